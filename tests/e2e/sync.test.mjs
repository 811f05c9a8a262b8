// Sync at the bench, with real processes: a lab hub and two workstations in browser mode.
// Desk A joins the hub from its first screen and signs in with a lab account; its status
// bar follows the hub (connected, offline since when, what waits). While the hub is gone,
// both desks create the same account; when it is back, the hub takes A's and refuses B's,
// and B's Sync issues page says so in words, with a count in the navigation and the status
// bar. A's freezer reached B through the hub.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HUB_ADMIN,
  VIEWPORT,
  launchBrowser,
  screenshot,
  signedInPage,
  startCore,
  startHub,
  watchLayout,
} from './harness.mjs';

let hub;
let deskA;
let deskB;
let browser;

before(async () => {
  [hub, deskA, deskB, browser] = await Promise.all([
    startHub(),
    startCore(),
    startCore(),
    launchBrowser(),
  ]);
});

after(async () => {
  await browser?.close();
  await deskA?.stop();
  await deskB?.stop();
  await hub?.remove();
});

test('two desks share one lab through the hub, offline and back, and a refusal reaches a person', async () => {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const errors = [];
  await watchLayout(context, errors);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => errors.push(String(error)));
  let pageB = null;
  try {
    // Desk A: a fresh workstation joins the lab's hub from its first screen.
    await page.goto(deskA.url);
    await page.getByTestId('first-run-form').waitFor();
    await page.getByTestId('join-hub-instead').click();
    await page.getByLabel('Hub address').fill(hub.url);
    await page.getByRole('button', { name: 'Check the hub' }).click();
    // Over plain HTTP on this machine there is no certificate to compare.
    await page
      .getByTestId('hub-fingerprint')
      .filter({ hasText: /plain HTTP/ })
      .waitFor();
    await page.getByLabel('Enrollment code').fill('not-a-code');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByTestId('hub-connect-error').filter({ hasText: /\S/ }).waitFor();
    await page.getByLabel('Enrollment code').fill(hub.enroll('Desk A'));
    await page.getByRole('button', { name: 'Connect' }).click();
    // The lab's accounts came with the hub: its administrator signs in here.
    await page.getByTestId('login-form').waitFor();
    await page.getByText('joined the lab’s hub as “Desk A”').waitFor();
    await page.getByLabel('Username', { exact: true }).fill(HUB_ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill(HUB_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('shell').waitFor();
    const sync = page.getByTestId('status-sync');
    await sync.and(page.locator('[data-state="online"]')).waitFor();
    await sync.filter({ hasText: 'Hub connected · all sent' }).waitFor();
    await page.getByRole('link', { name: 'Lab hub' }).click();
    await page.getByTestId('hub-device-name').filter({ hasText: 'Desk A' }).waitFor();
    await screenshot(page, 'sync-lab-hub');

    // Desk B joins through the API (its own first screen offers the same).
    const connected = await deskB.call('connect_hub', {
      url: hub.url,
      code: hub.enroll('Desk B'),
      fingerprint: '',
    });
    assert.equal(connected.device_name, 'Desk B');
    const tokenA = await deskA.token(HUB_ADMIN);
    const tokenB = await deskB.token(HUB_ADMIN);

    // A's freezer goes to the hub by itself (a command wakes the sync loop).
    await deskA.call(
      'create_freezer',
      { name: 'Freezer from A', location: 'Room 2', kind: 'ultra_low', temperature_c: -80 },
      tokenA,
    );
    await sync.filter({ hasText: 'Hub connected · all sent' }).waitFor();

    // The hub goes away. Work goes on; the status bar says since when, and what waits.
    await hub.stop();
    await page.getByTestId('sync-now').click();
    await sync.and(page.locator('[data-state="offline"]')).waitFor();
    await sync.filter({ hasText: /Hub offline since .+ · 0 changes waiting/ }).waitFor();
    const account = {
      display_name: 'Sam Lee',
      role: 'technician',
      password: 'quiet bench passphrase',
    };
    await deskA.call('create_user', { username: 'sam', ...account }, tokenA);
    await sync.filter({ hasText: /Hub offline since .+ · 1 change waiting/ }).waitFor();
    await screenshot(page, 'sync-status-offline');
    await deskB.call('sync_now', {}, tokenB);
    await deskB.call('create_user', { username: 'sam', ...account }, tokenB);

    // The hub is back: A's account is taken first, B's is refused.
    await hub.start();
    await page.getByTestId('sync-now').click();
    await sync.and(page.locator('[data-state="online"]')).waitFor();
    await sync.filter({ hasText: 'Hub connected · all sent' }).waitFor();
    const statusB = await deskB.call('sync_now', {}, tokenB);
    assert.equal(statusB.counts.pending, 0);
    assert.equal(statusB.counts.rejected, 1, JSON.stringify(statusB));

    // A's freezer is on B.
    const freezers = await deskB.call('list_freezers', {}, tokenB);
    assert.ok(freezers.some((f) => f.name === 'Freezer from A'));

    // On B, the refusal reaches a person: a count in the navigation and the status bar,
    // and the Sync issues page in words.
    let errorsB;
    ({ page: pageB, errors: errorsB } = await signedInPage(browser, deskB, HUB_ADMIN));
    await pageB.getByTestId('sync-issue-count').filter({ hasText: '1' }).waitFor();
    await pageB.getByTestId('status-sync-issues').filter({ hasText: '1 sync issue' }).click();
    const row = pageB.getByTestId('sync-issues-table').locator('tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    assert.equal(await row.getAttribute('data-status'), 'rejected');
    const text = (await row.textContent()) ?? '';
    assert.match(text, /User created/);
    assert.match(text, /Refused by the hub/);
    assert.match(text, /sam/);
    await screenshot(pageB, 'sync-issues');
    assert.deepEqual(errors, []);
    assert.deepEqual(errorsB, []);
  } finally {
    await pageB?.context().close();
    await context.close();
  }
});
