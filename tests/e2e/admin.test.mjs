// Admin: change a role, see the open sessions and end one with a reason, and find that in
// the audit trail with its filters; the chain verifies intact. What each role is offered
// follows the core's permissions: a lab manager reads the users but gets no account
// controls, and an administrator (who sets printers up but does not print) is not told to
// press a Test print button.

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

    // The audit trail, narrowed to that action (typed in the words the trail shows), shows
    // exactly that entry with its reason.
    await page.getByRole('link', { name: 'Audit trail' }).click();
    const filters = page.getByTestId('audit-filters');
    await filters.getByLabel('Action').fill('Session ended by an administrator');
    await filters.getByRole('button', { name: 'Apply' }).click();
    const rows = page.getByTestId('audit-table').locator('tbody tr');
    // A "Loading…" row is one row too: wait for the entry itself, then count.
    await rows.filter({ hasText: 'bench left signed in' }).waitFor();
    await waitForCount(rows, 1);
    assert.match(await rows.first().textContent(), /bench left signed in/);
    assert.match(await rows.first().textContent(), /Session ended by an administrator/);
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
    assert.match(about[0], /Role changed/);
    assert.match(about[1], /User created/);
    // Actions are words, never the names the core records them by.
    const actions = await rows.locator('td[data-action]').allTextContents();
    assert.deepEqual(actions, ['Role changed', 'User created']);
    assert.equal(await rows.first().locator('[data-action="change_role"]').count(), 1);
    await page.getByTestId('verify-chain').click();
    await page.getByTestId('verify-result').filter({ hasText: 'Chain intact' }).waitFor();
    await screenshot(page, 'admin-audit-filtered');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a lab manager sees the users but no reset, role or deactivate controls', async () => {
  const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
  try {
    // Lab managers read users (`read_users`); managing them is the administrator's.
    await page.getByRole('link', { name: 'Users' }).click();
    const table = page.getByTestId('users-table');
    await table.locator('tbody tr').filter({ hasText: 'tech' }).first().waitFor();
    assert.ok((await table.locator('tbody tr').count()) >= 4, 'every demo account is listed');
    for (const name of [/Reset password/, /Change role/, /Deactivate/]) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button`);
    }
    assert.equal(await table.getByRole('columnheader', { name: 'Actions' }).count(), 0);
    assert.equal(await page.getByTestId('create-user-form').count(), 0);
    assert.match(
      await page.getByTestId('users-read-only').textContent(),
      /is for an administrator/,
    );
    // Sessions are user management in the core: not offered either.
    assert.equal(await page.getByRole('link', { name: 'Sessions' }).count(), 0);
    await screenshot(page, 'admin-users-manager');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('an administrator saving a printer is not offered the test print only printers may do', async () => {
  const { page, context, errors } = await signedInPage(browser, core, DEMO.admin);
  try {
    await page.getByRole('link', { name: 'Printing' }).click();
    const printers = page.getByTestId('printers');
    await printers.getByRole('button', { name: 'Add a printer' }).click();
    const form = page.getByTestId('printer-form');
    await form.getByLabel('Name', { exact: true }).fill('Office Zebra');
    await form.getByLabel('Connection', { exact: true }).selectOption('tcp');
    await form.getByLabel('IP address or host name', { exact: true }).fill('127.0.0.1');
    await form.getByLabel('Port', { exact: true }).fill('9100');
    await form.getByLabel('Labels loaded', { exact: true }).selectOption('cryovial');
    await form.getByRole('button', { name: 'Save printer' }).click();
    await form.waitFor({ state: 'detached' });

    // `test_print` needs `print_labels`, which administrators lack: the message does not send
    // them to a button they do not have, and says who can.
    const notice = page.getByTestId('printers-notice');
    await notice.filter({ hasText: 'Office Zebra' }).waitFor();
    const text = await notice.textContent();
    assert.doesNotMatch(text, /Press “Test print”/);
    assert.match(text, /Route labels to it under Label routing below/);
    assert.match(text, /A test print checks it; that is for a lab manager/);
    const row = printers.getByTestId('printer-row').filter({ hasText: 'Office Zebra' });
    await row.waitFor();
    assert.equal(await row.getByRole('button', { name: /Test print/ }).count(), 0);
    assert.equal(await row.getByRole('button', { name: /^Edit/ }).count(), 1);
    const admin = await core.token(DEMO.admin);
    await assert.rejects(
      core.call('test_print', { printer: 'Office Zebra' }, admin),
      (e) => e.code === 'forbidden',
    );
    await screenshot(page, 'admin-printer-saved');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
