// Admin: change a role, see the open sessions and end one with a reason, and find that in
// the audit trail with its filters; the chain verifies intact.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO,
  launchBrowser,
  screenshot,
  signedInPage,
  startCore,
  waitForCount,
} from './harness.mjs';

let core;
let browser;

before(async () => {
  [core, browser] = await Promise.all([startCore({ demo: true }), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await core?.stop();
});

test('an administrator changes a role, ends a session, and finds both in the audit trail', async () => {
  const techToken = await core.token(DEMO.tech);
  const { page, context, errors } = await signedInPage(browser, core, DEMO.admin);
  try {
    // Roles: the desk coordinator becomes a technician.
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Change role of desk' }).click();
    const dialog = page.getByTestId('role-dialog');
    await dialog.getByLabel('New role').selectOption('technician');
    await dialog.getByRole('button', { name: 'Change role' }).click();
    await dialog.getByRole('alert').filter({ hasText: /\S/ }).waitFor();
    await dialog.getByLabel('Reason').fill('moved to the bench');
    await dialog.getByRole('button', { name: 'Change role' }).click();
    await page.getByTestId('users-notice').filter({ hasText: 'desk is now technician' }).waitFor();
    const admin = await core.token(DEMO.admin);
    const users = await core.call('list_users', { page: 1, per_page: 50 }, admin);
    assert.equal(users.items.find((u) => u.username === 'desk').role, 'technician');
    await screenshot(page, 'admin-users');

    // Sessions: the admin's own is marked; the technician's is ended with a reason.
    await page.getByRole('link', { name: 'Sessions' }).click();
    const table = page.getByTestId('sessions-table');
    await table.locator('tr[data-username="tech"]').waitFor();
    assert.match(
      await table.locator('tr[data-username="admin"]').first().textContent(),
      /This is you/,
    );
    await screenshot(page, 'admin-sessions');
    await table.locator('tr[data-username="tech"]').getByRole('button').click();
    const form = page.getByTestId('end-session-form');
    await form.getByLabel('Reason').fill('bench left signed in');
    await form.getByRole('button', { name: 'End session' }).click();
    await page.getByTestId('sessions-notice').filter({ hasText: 'tech has ended' }).waitFor();
    await waitForCount(table.locator('tr[data-username="tech"]'), 0);
    await assert.rejects(core.call('whoami', {}, techToken), (e) => e.code === 'unauthenticated');

    // The audit trail, narrowed to that action, shows exactly that entry with its reason.
    await page.getByRole('link', { name: 'Audit trail' }).click();
    const filters = page.getByTestId('audit-filters');
    await filters.getByLabel('Action').fill('session_revoked');
    await filters.getByRole('button', { name: 'Apply' }).click();
    const rows = page.getByTestId('audit-table').locator('tbody tr');
    await waitForCount(rows, 1);
    assert.match(await rows.first().textContent(), /bench left signed in/);
    // By who: the admin's changes include the role change.
    await filters.getByLabel('Action').fill('');
    await filters.getByLabel('Who (username)').fill('admin');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await rows.filter({ hasText: 'moved to the bench' }).waitFor();
    assert.ok((await rows.count()) >= 2);
    // A record id narrows the trail to that record.
    await rows.filter({ hasText: 'moved to the bench' }).locator('.entity-id').click();
    // The desk account's record: its creation and the role change, nothing else.
    await waitForCount(rows, 2);
    const about = await rows.allTextContents();
    assert.match(about[0], /change_role/);
    assert.match(about[1], /create_user/);
    await page.getByTestId('verify-chain').click();
    await page.getByTestId('verify-result').filter({ hasText: 'Chain intact' }).waitFor();
    await screenshot(page, 'admin-audit-filtered');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
