// Printing survives a crash without printing twice (issue 11), in the browser:
// - a kit registered while no printer takes its labels is listed at the registration desk with
//   why, and printing it from there sends its labels once a printer is routed;
// - print jobs a crash caught while they were being sent (the core killed with SIGKILL while the
//   fake Zebra has the job but has not confirmed it) are held after the restart, never resent on
//   their own: the queue shows them as "may have printed", one is printed again with a reason,
//   the other confirmed as printed without sending anything.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO,
  launchBrowser,
  screenshot,
  signedInPage,
  startCore,
  startFakeZebra,
} from './harness.mjs';

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** Adds a cryovial Zebra at `address` and routes sample labels to it, as a lab manager. */
async function routeSampleLabels(core, name, address) {
  const manager = await core.token(DEMO.manager);
  await core.call(
    'configure_printer',
    { name, address, language: 'zpl', dpi: 203, stock: 'cryovial', darkness: null },
    manager,
  );
  await core.call(
    'change_settings',
    { settings: [{ key: 'sample_label_printer', value: name }], reason: 'printer set up' },
    manager,
  );
}

async function jobById(core, token, id) {
  const page = await core.call('list_print_jobs', { page: 1, per_page: 50 }, token);
  return page.items.find((j) => j.id === id);
}

/** Polls the core until `check()` gives a value, or fails with `what`. */
async function until(check, what, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/**
 * Kills the core while job `id` is "sent": the fake printer has its `labels` labels and the
 * worker is waiting for the printer's confirmation (which never comes).
 */
async function crashWhileSending(core, zebra, token, id, labels) {
  await until(async () => {
    if (zebra.labels().length < labels) return false;
    const job = await jobById(core, token, id);
    assert.notEqual(job.state, 'done', 'the fake printer must not confirm the job');
    return job.state === 'sent';
  }, `job ${id} to be sent to the printer`);
  await core.crash();
}

/** After a restart: waits until the worker has held job `id` in doubt. */
async function heldAfterRestart(core, id) {
  const token = await core.token(DEMO.manager);
  return until(async () => {
    const job = await jobById(core, token, id);
    return job.in_doubt_since !== null ? job : null;
  }, `job ${id} to be held in doubt`);
}

async function openDesk(page) {
  await page.getByRole('link', { name: 'Registration desk' }).click();
  await page.getByRole('heading', { name: 'Registration desk' }).waitFor();
}

test(
  'a kit registered while no printer takes its labels is listed at the desk and printed from there',
  { timeout: 120_000 },
  async () => {
    const [core, zebra] = await Promise.all([startCore({ demo: true }), startFakeZebra()]);
    const { page, context, errors } = await signedInPage(browser, core, DEMO.desk);
    try {
      await openDesk(page);
      await page.getByLabel('Collection site').selectOption({ label: 'NORTH · North Clinic' });
      // Nothing is owed: no panel.
      await page.getByTestId('desk-new-participant').waitFor();
      assert.equal(await page.getByTestId('desk-unprinted').count(), 0);

      const form = page.getByTestId('desk-new-participant');
      await form.getByLabel('The participant signed the consent form').check();
      await form.getByRole('button', { name: 'Register participant' }).click();
      const codeCell = page.getByTestId('desk-participant-code');
      await codeCell.waitFor();
      const participant = (await codeCell.textContent()).trim();

      // No sample label printer is routed: the kit is registered, its labels are not queued.
      const kit = page.getByTestId('desk-kit');
      await kit.getByLabel(/Standard blood and urine/).check();
      assert.ok(await kit.getByLabel("Print the kit's labels now").isChecked());
      await kit.getByRole('button', { name: 'Register kit (5 tubes)' }).click();
      await page
        .getByTestId('desk-print-error')
        .filter({ hasText: 'No printer is set for sample labels' })
        .waitFor();
      const table = page.getByTestId('desk-kit-samples');
      await table.waitFor();
      const codes = (await table.locator('tbody tr td:first-child').allTextContents()).map((t) =>
        t.trim(),
      );
      assert.equal(codes.length, 5);

      // The desk lists the kit as owing its labels, with why.
      const panel = page.getByTestId('desk-unprinted');
      await panel.getByRole('heading', { name: 'Kits registered without labels' }).waitFor();
      const rows = panel.getByTestId('desk-unprinted-kit');
      assert.equal(await rows.count(), 1);
      const row = rows.filter({ hasText: participant });
      const text = (await row.textContent()) ?? '';
      assert.match(text, /Standard blood and urine/);
      assert.match(await row.locator('td.numeric').textContent(), /^5$/);
      assert.match(
        await row.getByTestId('desk-unprinted-why').textContent(),
        /No printer is set for sample labels/,
      );
      const token = await core.token(DEMO.desk);
      const owed = await core.call('list_unprinted_kits', { page: 1, per_page: 10 }, token);
      assert.equal(owed.total, 1);
      assert.equal(owed.items[0].participant_code, participant);
      await screenshot(page, 'desk-unprinted-kit');

      // A printer is set up; "Print labels" sends the kit's five labels and empties the list.
      await routeSampleLabels(core, 'Desk Zebra', zebra.address);
      await row.getByRole('button', { name: /^Print labels/ }).click();
      await panel.waitFor({ state: 'detached' });
      await page
        .getByTestId('desk-unprinted-job')
        .filter({ hasText: `Labels of ${participant}` })
        .filter({ hasText: 'Printed on Desk Zebra' })
        .waitFor();
      // The registered kit below follows the same job: the earlier problem is gone.
      await page
        .getByTestId('desk-labels-status')
        .filter({ hasText: 'Printed on Desk Zebra' })
        .waitFor();
      assert.equal(await page.getByTestId('desk-print-error').textContent(), '');
      await page.getByTestId('desk-previews').locator('img').nth(4).waitFor();
      await zebra.waitFor((z) => z.labels().length >= 5, 'the kit’s five labels');
      const labels = zebra.labels();
      assert.equal(labels.length, 5);
      for (const code of codes) {
        assert.equal(labels.filter((l) => l.includes(code)).length, 1, `one label carries ${code}`);
      }
      assert.equal(
        (await core.call('list_unprinted_kits', { page: 1, per_page: 10 }, token)).total,
        0,
      );
      await screenshot(page, 'desk-unprinted-printed');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await zebra.close();
      await core.stop();
    }
  },
);

test(
  'jobs caught sending by a crash are held: one printed again with a reason, one confirmed',
  { timeout: 180_000 },
  async () => {
    const printer = 'Crash Zebra';
    const [core, zebra] = await Promise.all([
      startCore({ demo: true }),
      startFakeZebra({ confirmJobs: false }),
    ]);
    let context = null;
    let adminContext = null;
    try {
      await routeSampleLabels(core, printer, zebra.address);

      // Job A: a kit's five labels, registered at the desk (through the API).
      const desk = await core.token(DEMO.desk);
      const site = (await core.call('list_sites', { per_page: 200 }, desk)).items.find(
        (s) => s.code === 'NORTH',
      );
      const participant = await core.call(
        'register_participant',
        { site_id: site.id, consent: 'given', consent_date: new Date().toISOString().slice(0, 10) },
        desk,
      );
      const template = (await core.call('list_kit_templates', { per_page: 200 }, desk)).items.find(
        (t) => /Standard blood and urine/.test(t.name),
      );
      const kit = await core.call(
        'register_kit',
        {
          participant_id: participant.id,
          template_id: template.id,
          collected_at: new Date().toISOString(),
          collector: 'Crash test',
          print_labels: true,
        },
        desk,
      );
      assert.equal(kit.labels.result, 'queued');
      const kitJob = kit.labels.job.id;
      await crashWhileSending(core, zebra, desk, kitJob, 5);
      await core.restart();
      await heldAfterRestart(core, kitJob);

      // Job B: a test label, caught the same way by a second crash.
      let manager = await core.token(DEMO.manager);
      const testJob = (await core.call('test_print', { printer }, manager)).id;
      await crashWhileSending(core, zebra, manager, testJob, 6);
      await core.restart();
      const heldTest = await heldAfterRestart(core, testJob);
      assert.equal(heldTest.state, 'sent');
      assert.match(heldTest.last_error, /may have printed/);
      manager = await core.token(DEMO.manager);
      const heldKit = await jobById(core, manager, kitJob);
      assert.equal(heldKit.state, 'sent');
      assert.notEqual(heldKit.in_doubt_since, null, 'the first held job stays held');

      // The printer answers again from now on; nothing was resent by itself.
      zebra.setConfirmJobs(true);
      const before = zebra.labels().length;
      assert.equal(before, 6);

      // Everyone sees the held jobs; someone who cannot print is not offered to settle them.
      const admin = await signedInPage(browser, core, DEMO.admin);
      adminContext = admin.context;
      await admin.page.goto(`${core.url}/#/printing`);
      const adminRow = admin.page.locator(
        `[data-testid="print-job"][data-job-id="${kitJob}"][data-in-doubt="true"]`,
      );
      await adminRow
        .getByTestId('print-job-state')
        .filter({ hasText: 'May have printed — check the printer' })
        .waitFor();
      assert.equal(await adminRow.getByRole('button').count(), 0);
      assert.deepEqual(admin.errors, []);
      await adminContext.close();
      adminContext = null;

      const signedIn = await signedInPage(browser, core, DEMO.manager);
      context = signedIn.context;
      const { page, errors } = signedIn;
      await page.goto(`${core.url}/#/printing`);
      const queue = page.getByTestId('print-queue');
      const rowOf = (id) => queue.locator(`[data-testid="print-job"][data-job-id="${id}"]`);
      for (const id of [kitJob, testJob]) {
        const row = rowOf(id);
        await row.and(page.locator('[data-in-doubt="true"]')).waitFor();
        assert.equal(await row.getAttribute('data-state'), 'sent');
        assert.equal(
          await row.getByTestId('print-job-state').textContent(),
          'May have printed — check the printer',
        );
        assert.match((await row.textContent()) ?? '', /not sent again by itself/);
        await row.getByTestId('job-in-doubt-since').waitFor();
        // Settled, not reprinted or cancelled.
        assert.equal(await row.getByRole('button', { name: /^Reprint/ }).count(), 0);
        assert.equal(await row.getByRole('button', { name: /^Cancel/ }).count(), 0);
      }
      // The status bar says so too: the sample printer's last job may have printed.
      await page
        .getByTestId('workstation-status')
        .getByTestId('status-printer')
        .filter({ hasText: `Printer: ${printer} · may have printed — check the printer` })
        .waitFor();
      await queue.scrollIntoViewIfNeeded();
      await screenshot(page, 'printing-in-doubt');

      // The kit's labels did not come out: print them again, which needs a reason.
      await rowOf(kitJob)
        .getByRole('button', { name: /^Print again/ })
        .click();
      const dialog = page.getByTestId('print-again-dialog');
      await dialog.getByRole('button', { name: 'Print again', exact: true }).click();
      await dialog.getByRole('alert').filter({ hasText: 'Say why' }).waitFor();
      assert.equal(zebra.labels().length, before, 'nothing sent without a reason');
      await dialog
        .getByLabel('Why print them again', { exact: true })
        .fill('no labels came out of the printer');
      await dialog.getByRole('button', { name: 'Print again', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      await page
        .getByTestId('print-queue-notice')
        .filter({ hasText: `Printing again on ${printer}` })
        .waitFor();
      await rowOf(kitJob).and(page.locator('[data-state="done"]')).waitFor();
      await zebra.waitFor((z) => z.labels().length >= before + 5, 'the kit printed again');
      assert.equal(zebra.labels().length, before + 5, 'the kit’s labels printed once more');
      assert.equal(await rowOf(kitJob).getAttribute('data-in-doubt'), null);
      assert.match((await rowOf(kitJob).textContent()) ?? '', /Printed/);

      // The test label is there: confirm it; nothing is sent.
      await rowOf(testJob)
        .getByRole('button', { name: /^Labels are there/ })
        .click();
      await page
        .getByTestId('print-queue-notice')
        .filter({ hasText: `Marked as printed: test print on ${printer}` })
        .waitFor();
      await rowOf(testJob).and(page.locator('[data-state="done"]')).waitFor();
      assert.equal(await rowOf(testJob).getAttribute('data-in-doubt'), null);
      await page
        .getByTestId('workstation-status')
        .getByTestId('status-printer')
        .filter({ hasText: 'last job printed' })
        .waitFor();
      await queue.scrollIntoViewIfNeeded();
      await screenshot(page, 'printing-in-doubt-settled');

      // The core agrees, and both decisions are in the audit trail.
      const kitAfter = await jobById(core, manager, kitJob);
      const testAfter = await jobById(core, manager, testJob);
      assert.equal(kitAfter.state, 'done');
      assert.equal(kitAfter.in_doubt_since, null);
      assert.equal(testAfter.state, 'done');
      assert.equal(testAfter.in_doubt_since, null);
      assert.equal(testAfter.attempts, heldTest.attempts, 'the confirmed job was not sent again');
      const retried = await core.call('list_audit', { action: 'print_job_retried' }, manager);
      assert.deepEqual(
        retried.items.map((e) => [e.entity_id, e.reason]),
        [[kitJob, 'no labels came out of the printer']],
      );
      const confirmed = await core.call('list_audit', { action: 'print_job_confirmed' }, manager);
      assert.deepEqual(
        confirmed.items.map((e) => e.entity_id),
        [testJob],
      );
      assert.equal(zebra.labels().length, before + 5, 'only the kit was printed again');
      assert.deepEqual(errors, []);
    } finally {
      await adminContext?.close();
      await context?.close();
      await zebra.close();
      await core.stop();
    }
  },
);
