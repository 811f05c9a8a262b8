// Browser end-to-end test of the Printing page on the demo lab: a lab manager adds a (fake) Zebra
// through the form, routes sample labels to it, test-prints and reprints with a reason, and sets
// up a (fake) serial scanner; the fake devices are real transports (loopback TCP, a pty).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import {
  DEMO,
  launchBrowser,
  screenshot,
  signedInPage,
  startCore,
  startFakeSerialScanner,
  startFakeZebra,
} from './harness.mjs';

const PRINTER = 'Bench Zebra';

let core;
let browser;
let zebra;
let scanner;

before(async () => {
  core = await startCore({ demo: true });
  browser = await launchBrowser();
  zebra = await startFakeZebra();
  scanner = await startFakeSerialScanner();
});

after(async () => {
  scanner?.stop();
  await zebra?.close();
  await browser?.close();
  await core?.stop();
});

test(
  'printing: add a printer, route, test print, reprint, scanner',
  { timeout: 180_000 },
  async () => {
    const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
    const token = await core.token(DEMO.manager);
    try {
      await page.getByRole('link', { name: 'Printing' }).click();
      await page.getByRole('heading', { name: 'Printing', level: 1 }).waitFor();
      const workstation = page.getByTestId('workstation-status');
      const printers = page.getByTestId('printers');
      const queue = page.getByTestId('print-queue');

      // Nothing set up yet: the page says what to do, the status says so too.
      await printers.getByTestId('printers-empty').waitFor();
      await workstation
        .getByTestId('status-printer')
        .filter({ hasText: 'Printer: none' })
        .waitFor();
      await workstation
        .getByTestId('status-scanner')
        .filter({ hasText: 'Scanner: none' })
        .waitFor();
      // Attached devices were looked for: either listed (each with a way to use it) or an empty
      // state that says what to do.
      const devices = page.getByTestId('devices');
      await devices
        .getByTestId('device')
        .or(devices.getByTestId('devices-empty'))
        .first()
        .waitFor();
      const listed = (await core.call('list_devices', {}, token)).items;
      assert.equal(await devices.getByTestId('device').count(), listed.length);
      for (const [i, d] of listed.entries()) {
        const row = devices.getByTestId('device').nth(i);
        assert.match((await row.textContent()) ?? '', new RegExp(escape(d.name)));
        if (d.problem) assert.match((await row.textContent()) ?? '', /Cannot be opened now/);
      }
      await devices.scrollIntoViewIfNeeded();
      await screenshot(page, 'printing-devices');

      // Add the fake Zebra through the form.
      await printers.getByRole('button', { name: 'Add a printer' }).click();
      const form = page.getByTestId('printer-form');
      await form.waitFor();
      await form.getByLabel('Name', { exact: true }).fill(PRINTER);
      await form.getByLabel('Connection', { exact: true }).selectOption('tcp');
      await form.getByLabel('IP address or host name', { exact: true }).fill('127.0.0.1');
      await form.getByLabel('Port', { exact: true }).fill(String(zebra.port));
      await form.getByLabel('Printer language', { exact: true }).selectOption('zpl');
      await form.getByLabel('Resolution', { exact: true }).selectOption('203');
      await form.getByLabel('Labels loaded', { exact: true }).selectOption('cryovial');
      await screenshot(page, 'printing-printer-form');
      await form.getByRole('button', { name: 'Save printer' }).click();
      await form.waitFor({ state: 'detached' });
      const row = printers.getByTestId('printer-row').filter({ hasText: PRINTER });
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', new RegExp(`127\\.0\\.0\\.1:${zebra.port}`));
      assert.deepEqual((await core.call('list_printers', {}, token)).items, [
        {
          name: PRINTER,
          address: { kind: 'tcp', host: '127.0.0.1', port: zebra.port },
          language: 'zpl',
          dpi: 203,
          stock: 'cryovial',
          darkness: null,
        },
      ]);

      // Route sample labels to it.
      const routing = page.getByTestId('label-routing');
      await routing.getByLabel('Sample label printer', { exact: true }).selectOption(PRINTER);
      await routing
        .getByLabel('Reason for the change', { exact: true })
        .fill('Bench printer set up');
      await routing.getByRole('button', { name: 'Save label routing' }).click();
      await routing
        .getByTestId('routing-saved')
        .filter({ hasText: 'sample label printer' })
        .waitFor();
      assert.equal((await core.call('get_settings', {}, token)).sample_label_printer, PRINTER);
      await row.getByText('Sample labels').waitFor();
      await workstation
        .getByTestId('status-printer')
        .filter({ hasText: `Printer: ${PRINTER}` })
        .waitFor();

      // Test print: one label naming the printer arrives, the queue shows the job printed.
      await row.getByRole('button', { name: `Test print on ${PRINTER}` }).click();
      await zebra.waitFor((z) => z.labels().length >= 1, 'the test label');
      const result = printers.getByTestId('test-print-result');
      await result.and(page.locator('[data-state="done"]')).waitFor();
      const jobs = queue.getByTestId('print-job');
      await jobs.first().and(page.locator('[data-state="done"]')).waitFor();
      assert.equal(await jobs.count(), 1);
      assert.match((await jobs.first().textContent()) ?? '', /Test label/);
      assert.match((await jobs.first().textContent()) ?? '', /Printed/);
      assert.equal(zebra.labels().length, 1, 'exactly one label printed');
      assert.match(zebra.labels()[0], /^\^XA[\s\S]*\^XZ$/);
      assert.ok(
        zebra.fieldData().some((text) => text.includes(PRINTER)),
        `a field names the printer: ${JSON.stringify(zebra.fieldData())}`,
      );
      await workstation
        .getByTestId('status-printer')
        .filter({ hasText: 'last job printed' })
        .waitFor();

      // Reprint it with a reason: a second label, and the queue shows the reprint and why.
      await jobs
        .first()
        .getByRole('button', { name: /^Reprint/ })
        .click();
      const dialog = page.getByTestId('reprint-dialog');
      await dialog.getByLabel('Reason for the reprint', { exact: true }).fill('Label smudged');
      await dialog.getByRole('button', { name: 'Reprint', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      await zebra.waitFor((z) => z.labels().length >= 2, 'the reprinted label');
      const reprint = jobs.filter({ has: page.getByTestId('job-reprint-reason') });
      await reprint.and(page.locator('[data-state="done"]')).waitFor();
      assert.match(
        (await reprint.getByTestId('job-reprint-reason').textContent()) ?? '',
        /Reprint: Label smudged/,
      );
      assert.equal(await jobs.count(), 2);
      assert.equal(zebra.labels().length, 2);
      assert.equal(zebra.labels()[1], zebra.labels()[0], 'the reprint is the same label');
      const [newest] = (await core.call('list_print_jobs', { page: 1, per_page: 10 }, token)).items;
      assert.equal(newest.reason, 'Label smudged');
      assert.equal(newest.state, 'done');
      await queue.scrollIntoViewIfNeeded();
      await screenshot(page, 'printing-queue');

      // The scanner: a serial scanner at 115200 baud ending codes with CR.
      const scannerForm = page.getByTestId('scanner-settings');
      await scannerForm.getByLabel('Scanner connection', { exact: true }).selectOption('serial');
      await scannerForm.getByLabel('Serial port', { exact: true }).fill(scanner.path);
      await scannerForm.getByLabel('Baud rate', { exact: true }).selectOption('115200');
      await scannerForm.getByLabel('Each code ends with', { exact: true }).selectOption('cr');
      await scannerForm.getByLabel('Reason for the change', { exact: true }).fill('Bench scanner');
      await scannerForm.getByRole('button', { name: 'Save scanner setting' }).click();
      await scannerForm.getByTestId('scanner-saved').filter({ hasText: /saved/ }).waitFor();
      await scannerForm
        .getByTestId('scanner-status')
        .and(page.locator('[data-state="connected"]'))
        .waitFor({ timeout: 20_000 });
      await workstation
        .getByTestId('status-scanner')
        .filter({ hasText: `Scanner: connected (${scanner.path})` })
        .waitFor();
      assert.deepEqual((await core.call('get_settings', {}, token)).scanner, {
        kind: 'serial',
        port: scanner.path,
        baud: 115200,
        flow_control: 'none',
        framing: { terminator: 'cr', prefix: '', suffix: '', max_length: 128 },
      });
      assert.deepEqual(await core.call('scanner_status', {}, token), {
        state: 'connected',
        source: scanner.path,
      });
      await scannerForm.scrollIntoViewIfNeeded();
      await screenshot(page, 'printing-scanner');

      // This workstation's panel now shows both devices working.
      await page.getByRole('heading', { name: 'Printing', level: 1 }).scrollIntoViewIfNeeded();
      assert.match(
        (await workstation.textContent()) ?? '',
        /Scanner: connected.*Printer: Bench Zebra · last job printed/,
      );
      await screenshot(page, 'printing-page');

      // Rename the printer: its route and its jobs go with it.
      const renamed = `${PRINTER} (left)`;
      await row.getByRole('button', { name: `Rename ${PRINTER}` }).click();
      const rename = page.getByTestId('rename-printer-dialog');
      await rename.getByLabel('New name', { exact: true }).fill(renamed);
      await rename.getByRole('button', { name: 'Rename', exact: true }).click();
      await rename.waitFor({ state: 'detached' });
      await printers
        .getByTestId('printers-notice')
        .filter({ hasText: `is now called ${renamed}` })
        .waitFor();
      const renamedRow = printers.getByTestId('printer-row').filter({ hasText: renamed });
      await renamedRow.getByText('Sample labels').waitFor();
      assert.equal((await core.call('get_settings', {}, token)).sample_label_printer, renamed);
      const renamedJobs = (await core.call('list_print_jobs', { page: 1, per_page: 10 }, token))
        .items;
      assert.ok(renamedJobs.every((job) => job.printer === renamed));

      // Remove it, with a reason: the route is cleared and the page says none is set up.
      await renamedRow.getByRole('button', { name: `Remove ${renamed}` }).click();
      const remove = page.getByTestId('remove-printer-dialog');
      await remove.getByText('Sample labels will have no printer').waitFor();
      await remove.getByRole('button', { name: 'Remove the printer' }).click();
      await remove.getByText('Say why the printer is removed').waitFor();
      await remove
        .getByLabel('Reason for removing it', { exact: true })
        .fill('Sent back for repair');
      await remove.getByRole('button', { name: 'Remove the printer' }).click();
      await remove.waitFor({ state: 'detached' });
      await printers.getByTestId('printers-empty').waitFor();
      assert.equal((await core.call('get_settings', {}, token)).sample_label_printer, null);
      assert.equal((await core.call('list_print_jobs', {}, token)).total, 2, 'past jobs stay');

      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  },
);

test(
  'printing: a printer that does not answer; a job is cancelled with a reason, a failed one retried',
  { timeout: 120_000 },
  async () => {
    const token = await core.token(DEMO.manager);
    // A loopback port nobody listens on: connections are refused.
    const closed = await new Promise((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        server.close(() => resolve(port));
      });
    });
    const name = 'Unplugged Zebra';
    await core.call(
      'configure_printer',
      {
        name,
        address: { kind: 'tcp', host: '127.0.0.1', port: closed },
        language: 'zpl',
        dpi: 203,
        stock: 'cryovial',
        darkness: null,
      },
      token,
    );
    await core.call(
      'change_settings',
      { settings: [{ key: 'sample_label_printer', value: name }], reason: 'Testing' },
      token,
    );
    const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
    try {
      await page.goto(`${core.url}/#/printing`);
      const row = page.getByTestId('printer-row').filter({ hasText: name });
      await row.getByRole('button', { name: `Test print on ${name}` }).click();
      const result = page.getByTestId('test-print-result');
      await result.filter({ hasText: 'Retrying' }).waitFor();
      assert.match((await result.textContent()) ?? '', /Trying again by itself \(attempt \d\)/);
      const job = page.getByTestId('print-job').first();
      await job.filter({ hasText: 'Retrying' }).waitFor();
      assert.equal(await job.getAttribute('data-state'), 'queued');
      assert.match((await job.textContent()) ?? '', /Unplugged Zebra/);
      await page
        .getByTestId('workstation-status')
        .getByTestId('status-printer')
        .filter({ hasText: `Printer: ${name} · retrying` })
        .waitFor();
      await screenshot(page, 'printing-retrying');

      // Cancelled with a reason, the job leaves the queue's work and is never sent.
      const first = await job.getAttribute('data-job-id');
      await job.getByRole('button', { name: /^Cancel/ }).click();
      const cancel = page.getByTestId('cancel-dialog');
      await cancel.getByRole('button', { name: 'Cancel the job' }).click();
      await cancel.getByRole('alert').filter({ hasText: 'Say why' }).waitFor();
      await cancel
        .getByLabel('Reason for cancelling', { exact: true })
        .fill('printer is unplugged for the day');
      await cancel.getByRole('button', { name: 'Cancel the job' }).click();
      await cancel.waitFor({ state: 'detached' });
      await page
        .getByTestId('workstation-status')
        .getByTestId('status-printer')
        .filter({ hasText: `Printer: ${name} · last job cancelled` })
        .waitFor();
      await page
        .getByTestId('print-queue-notice')
        .filter({ hasText: `Cancelled: test print on ${name} on ${name}. It will not be printed.` })
        .waitFor();
      const cancelled = page.locator(`[data-testid="print-job"][data-job-id="${first}"]`);
      await cancelled.and(page.locator('[data-state="cancelled"]')).waitFor();
      assert.equal(
        await cancelled.getByTestId('job-cancel-reason').textContent(),
        'Cancelled: printer is unplugged for the day',
      );
      assert.equal(await cancelled.getByRole('button', { name: /^Cancel/ }).count(), 0);
      assert.equal(await cancelled.getByRole('button', { name: /^Retry/ }).count(), 0);
      const audit = await core.call('list_audit', { action: 'print_job_cancelled' }, token);
      assert.equal(audit.items.length, 1);
      assert.equal(audit.items[0].entity_id, first);
      assert.equal(audit.items[0].reason, 'printer is unplugged for the day');
      const jobById = async (id) =>
        (await core.call('list_print_jobs', { page: 1, per_page: 25 }, token)).items.find(
          (j) => j.id === id,
        );
      const attemptsAtCancel = (await jobById(first)).attempts;
      // The reason is kept with the job: it is there when the page is opened again.
      await page.reload();
      await cancelled
        .getByTestId('job-cancel-reason')
        .filter({ hasText: 'Cancelled: printer is unplugged for the day' })
        .waitFor();
      await page.getByTestId('print-queue').scrollIntoViewIfNeeded();
      await screenshot(page, 'printing-cancelled');

      // A job that used up its attempts (5, a few seconds apart) fails; once the printer is back,
      // Retry prints it.
      await row.getByRole('button', { name: `Test print on ${name}` }).click();
      const second = page.getByTestId('print-job').first();
      await second.and(page.locator('[data-state="failed"]')).waitFor({ timeout: 60_000 });
      const secondId = await second.getAttribute('data-job-id');
      assert.notEqual(secondId, first);
      assert.match((await second.textContent()) ?? '', /Gave up after 5 attempts/);
      await page
        .getByTestId('workstation-status')
        .getByTestId('status-printer')
        .filter({ hasText: 'last job failed' })
        .waitFor();
      // All that time the cancelled job was left alone: never tried again.
      const stillCancelled = await jobById(first);
      assert.equal(stillCancelled.state, 'cancelled');
      assert.equal(stillCancelled.attempts, attemptsAtCancel, 'the cancelled job is not retried');
      assert.equal(await cancelled.getAttribute('data-state'), 'cancelled');
      await page.getByTestId('print-queue').scrollIntoViewIfNeeded();
      await screenshot(page, 'printing-failed');

      const zebra = await startFakeZebra({ port: closed });
      try {
        await second.getByRole('button', { name: /^Retry/ }).click();
        await page
          .getByTestId('print-queue-notice')
          .filter({ hasText: `Sending again to ${name}` })
          .waitFor();
        await second.and(page.locator('[data-state="done"]')).waitFor();
        assert.equal(await second.getAttribute('data-job-id'), secondId, 'the same job printed');
        assert.match((await second.textContent()) ?? '', /Printed/);
        assert.equal(await second.getByRole('button', { name: /^Retry/ }).count(), 0);
        assert.equal(await second.getByRole('button', { name: /^Cancel/ }).count(), 0);
        await zebra.waitFor((z) => z.labels().length === 1, 'the retried label');
        assert.ok(
          // The name is cut to the cryovial label's width.
          zebra.fieldData().some((text) => text.length >= 8 && name.startsWith(text)),
          `the retried test label names the printer: ${JSON.stringify(zebra.fieldData())}`,
        );
        const retried = await core.call('list_audit', { action: 'print_job_retried' }, token);
        assert.equal(retried.items.length, 1);
        assert.equal(retried.items[0].entity_id, secondId);
        await page
          .getByTestId('workstation-status')
          .getByTestId('status-printer')
          .filter({ hasText: 'last job printed' })
          .waitFor();
        // The cancelled job stays cancelled, and nothing else was sent.
        assert.equal((await jobById(first)).state, 'cancelled');
        assert.equal(zebra.labels().length, 1, 'only the retried job reached the printer');
        await page.getByTestId('print-queue').scrollIntoViewIfNeeded();
        await screenshot(page, 'printing-retried');
      } finally {
        await zebra.close();
      }
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  },
);

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
