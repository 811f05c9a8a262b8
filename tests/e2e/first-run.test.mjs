// Browser end-to-end test of the first run: create the first administrator, sign in, sign out.
//
// Drives `aliquot serve` (the browser mode of the desktop app) with Debian's Chromium through
// playwright-core (tests/e2e/harness.mjs). Run from ui/: `npm run build && npm run test:e2e`.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, startCore, watchLayout } from './harness.mjs';

const ADMIN = {
  username: 'admin',
  displayName: 'Ada Admin',
  password: 'correct horse battery staple',
};

let core;
let browser;
let baseUrl;

before(async () => {
  core = await startCore();
  baseUrl = core.url;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await core?.stop();
});

test('first run: create the administrator, sign in, sign out', { timeout: 120_000 }, async () => {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
  });
  const pageErrors = [];
  // The 48 px and overflow checks on the first-run and sign-in screens and the shell.
  await watchLayout(context, pageErrors);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error));

  try {
    await page.goto(baseUrl);

    // First run: no account yet.
    const firstRun = page.getByTestId('first-run-form');
    await firstRun.waitFor();
    await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
    await page.getByLabel('Display name', { exact: true }).fill(ADMIN.displayName);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Confirm password', { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();

    // Sign-in screen.
    const login = page.getByTestId('login-form');
    await login.waitFor();
    assert.equal(await firstRun.count(), 0, 'the first-run form is gone after setup');

    // A wrong password is refused with a message in the alert region.
    await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill('not the right password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = login.getByRole('alert');
    await alert.filter({ hasText: /\S/ }).waitFor();
    assert.match((await alert.textContent()) ?? '', /\S/);
    assert.ok(await login.isVisible(), 'still on the sign-in form after a wrong password');
    assert.equal(await page.getByTestId('shell').count(), 0);

    // The right password opens the shell.
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const shell = page.getByTestId('shell');
    await shell.waitFor();
    const currentUser = page.getByTestId('current-user');
    assert.match((await currentUser.textContent()) ?? '', new RegExp(ADMIN.displayName));
    assert.match((await currentUser.textContent()) ?? '', /Administrator/);
    const statusBar = page.getByTestId('status-bar');
    // Stand-alone (no hub): the sync item says the changes are kept here.
    await statusBar
      .getByTestId('status-sync')
      .filter({ hasText: /^Stand-alone · \d+ changes? kept here$/ })
      .waitFor();
    // The scanner's state is asked for once the shell is up.
    await statusBar.getByTestId('status-scanner').filter({ hasText: 'Scanner: none' }).waitFor();

    // A reload keeps the session.
    await page.reload();
    await shell.waitFor();
    assert.match((await currentUser.textContent()) ?? '', new RegExp(ADMIN.displayName));

    await screenshot(page, 'shell');

    // Signing out returns to the sign-in form.
    await page.getByTestId('sign-out').click();
    await login.waitFor();
    assert.equal(await shell.count(), 0, 'the shell is gone after signing out');

    assert.deepEqual(
      pageErrors.map((e) => String(e)),
      [],
      'no uncaught errors in the page',
    );
  } finally {
    await context.close();
  }
});
