// Browser end-to-end test of the first run: create the first administrator, sign in, sign out.
//
// Drives `aliquot serve` (the browser mode of the desktop app) with Debian's Chromium through
// playwright-core. Run from ui/: `npm run build && npm run test:e2e`.
//   ALIQUOT_BIN      the server binary (default: <repo>/target/debug/aliquot)
//   CHROMIUM_PATH    the browser (default: /usr/bin/chromium)

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const uiDir = path.join(repo, 'ui');
// playwright-core is a dev dependency of ui/; resolve it from there.
const { chromium } = createRequire(path.join(uiDir, 'package.json'))('playwright-core');

const BIN = process.env.ALIQUOT_BIN ?? path.join(repo, 'target', 'debug', 'aliquot');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const UI_DIST = path.join(uiDir, 'dist');
const RESULTS = path.join(uiDir, 'test-results');

const ADMIN = {
  username: 'admin',
  displayName: 'Ada Admin',
  password: 'correct horse battery staple',
};

/** Starts the server on a free port; resolves with its URL once it says it is listening. */
function startServer(dataDir) {
  const child = spawn(BIN, ['serve', '--data-dir', dataDir, '--port', '0', '--ui-dir', UI_DIST], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const url = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      output += `${line}\n`;
      const match = /Aliquot browser mode listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${output}`)),
    );
  });
  return { child, url, output: () => output };
}

function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

let server;
let dataDir;
let browser;
let baseUrl;

before(async () => {
  assert.ok(existsSync(BIN), `server binary not found at ${BIN}; build it or set ALIQUOT_BIN`);
  assert.ok(
    existsSync(path.join(UI_DIST, 'index.html')),
    `${UI_DIST} has no index.html; run \`npm run build\` in ui/ first`,
  );
  dataDir = mkdtempSync(path.join(tmpdir(), 'aliquot-e2e-'));
  server = startServer(dataDir);
  baseUrl = await server.url;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  if (server) await stopServer(server.child);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('first run: create the administrator, sign in, sign out', { timeout: 120_000 }, async () => {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const pageErrors = [];
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
    await statusBar.filter({ hasText: /Outbox: \d+ pending/ }).waitFor();
    assert.match((await statusBar.textContent()) ?? '', /Scanner: none/);

    // A reload keeps the session.
    await page.reload();
    await shell.waitFor();
    assert.match((await currentUser.textContent()) ?? '', new RegExp(ADMIN.displayName));

    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'shell.png') });

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
