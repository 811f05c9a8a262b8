// Reports and the query builder (issue 17), on the demo lab through the screens: a lab
// manager builds a query (stored samples, three columns), previews it, exports it as CSV,
// looks at the file's first lines and reads the file itself from disk; the storage occupancy
// report draws its chart with the same numbers as a table; a tube's chain of custody is made
// from its page and saved as a PDF that says what it is about.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO, launchBrowser, screenshot, signedInPage, startCore, wedgeScan } from './harness.mjs';

let core;
let browser;
let dir;

before(async () => {
  [core, browser] = await Promise.all([startCore({ demo: true }), launchBrowser()]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aliquot-reports-'));
});

after(async () => {
  await browser?.close();
  await core?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The query the test builds on the screen, as the core takes it. */
const STORED_SAMPLES = {
  entity: 'samples',
  filter: {
    join: 'all',
    items: [{ item: 'condition', field: 'status', operator: 'equals', values: ['stored'] }],
  },
  columns: ['code', 'sample_type', 'status'],
  sort: [{ field: 'code', descending: false }],
};

test('a lab manager builds a query, previews it, exports it and reads the file', async () => {
  const manager = await core.token(DEMO.manager);
  const expected = await core.call('query_columns', { query: STORED_SAMPLES }, manager);
  assert.ok(expected.total > 0, 'the demo lab has stored samples');
  const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
  try {
    await page.getByRole('link', { name: 'Query builder' }).click();
    const form = page.getByTestId('query-form');
    await form.getByLabel('List', { exact: true }).selectOption('samples');

    // Which: status is stored.
    await form.getByRole('button', { name: 'Add condition' }).click();
    await form.getByLabel('Condition 1: Field').selectOption('status');
    await form.getByLabel('Condition 1: Comparison').selectOption('equals');
    await form.getByLabel('Condition 1: Value').selectOption('stored');

    // Three columns: the code, the type and the status (the default four less one).
    const columns = form.getByTestId('query-columns');
    await columns.getByLabel('Sample type name', { exact: true }).uncheck();
    for (const name of ['Sample code', 'Sample type', 'Status']) {
      assert.equal(await columns.getByLabel(name, { exact: true }).isChecked(), true, name);
    }
    await form.getByLabel('Sort by (sort key 1)').selectOption('code');

    // Preview: the total the core counts, and the rows themselves.
    await form.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('query-preview');
    await preview
      .getByTestId('query-total')
      .filter({ hasText: `${expected.total.toLocaleString('en')} sample` })
      .waitFor();
    const table = preview.getByTestId('query-preview-table');
    // A "Loading…" row would be a row too: wait for one that says stored.
    await table.locator('tbody tr').filter({ hasText: 'stored' }).first().waitFor();
    assert.deepEqual(await table.locator('thead th').allTextContents(), [
      'Sample code',
      'Sample type',
      'Status',
    ]);
    const statuses = await table.locator('tbody tr td:nth-child(3)').allTextContents();
    assert.ok(statuses.length > 0 && statuses.every((s) => s === 'stored'), statuses.join());
    const firstCode = (await table.locator('tbody tr td:first-child').first().textContent()).trim();
    assert.match(firstCode, /\S/);
    await screenshot(page, 'query-preview');

    // Export: the file is written on this workstation; its place and first lines are shown.
    const panel = page.getByTestId('query-export');
    assert.equal(await panel.getByLabel('For Excel').isChecked(), false, 'no BOM unless asked');
    await panel.getByRole('button', { name: 'Export CSV' }).click();
    await panel.locator('[data-testid="export-status"][data-state="finished"]').waitFor({
      timeout: 30_000,
    });
    const file = (await panel.getByTestId('export-path').textContent()).trim();
    assert.ok(path.isAbsolute(file), file);
    await panel.getByRole('button', { name: 'Show first lines' }).click();
    const head = panel.getByTestId('export-head');
    await head.filter({ hasText: firstCode }).waitFor();
    const shownLines = (await head.textContent()).split('\n');
    assert.equal(shownLines[0], 'Sample code,Sample type,Status');
    assert.match(shownLines[1], new RegExp(`^${firstCode},.*,stored$`));
    await screenshot(page, 'query-export');

    // The file itself: the header, then one line per sample the preview counted.
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(!text.startsWith('\uFEFF'), 'no byte-order mark');
    const lines = text.split(/\r?\n/).filter((l) => l !== '');
    assert.equal(lines[0], 'Sample code,Sample type,Status');
    assert.equal(lines.length - 1, expected.total);
    assert.equal(lines[1].split(',')[0], firstCode);
    assert.ok(
      lines.slice(1).every((l) => l.split(',').length === 3 && l.endsWith(',stored')),
      'every line is a stored sample in three columns',
    );
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the storage occupancy report draws its chart, with its numbers as a table', async () => {
  const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
  try {
    await page.getByRole('link', { name: 'Reports' }).click();
    const form = page.getByTestId('report-form');
    await form.getByLabel('Report', { exact: true }).selectOption('occupancy');
    await form.getByLabel('Freezer', { exact: true }).selectOption({ label: 'Every freezer' });
    await form.getByRole('button', { name: 'Make report' }).click();
    const report = page.getByTestId('report');
    await report.getByTestId('report-title').filter({ hasText: 'Storage occupancy' }).waitFor();
    assert.match(await report.getByTestId('report-made').textContent(), /Made .* by manager/);

    // The chart: a canvas that is an image named by what it shows, with something drawn on it.
    const canvas = report.getByRole('img', { name: /Used and free positions by freezer/ });
    await canvas.waitFor();
    assert.equal(await canvas.evaluate((c) => c.tagName), 'CANVAS');
    const painted = await canvas.evaluate((c) => {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n;
    });
    assert.ok(painted > 1000, `the chart is drawn (${painted} pixels painted)`);

    // Its numbers: one row per freezer, used and free adding up to the total.
    const chart = report.getByTestId('report-chart').first();
    await chart.getByRole('button', { name: 'Show numbers' }).click();
    const numbers = chart.getByTestId('chart-numbers');
    await numbers.waitFor();
    assert.deepEqual(await numbers.locator('thead th').allTextContents(), [
      'Freezer',
      'Used',
      'Free',
      'Total',
    ]);
    const freezers = await numbers.locator('tbody th').allTextContents();
    assert.ok(freezers.includes('Freezer 1') && freezers.includes('Freezer 2'), freezers.join());
    for (const row of await numbers.locator('tbody tr').all()) {
      const [used, free, total] = (await row.locator('td').allTextContents()).map((t) =>
        Number(t.replace(/,/g, '')),
      );
      assert.equal(used + free, total);
    }
    // The report's own table has the same freezers.
    const byFreezer = report.locator('[data-testid="report-table"]').first();
    for (const name of ['Freezer 1', 'Freezer 2']) {
      await byFreezer.locator('tbody tr').filter({ hasText: name }).first().waitFor();
    }
    await screenshot(page, 'report-occupancy');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a tube’s chain of custody, opened from its page, saved as a PDF', async () => {
  const manager = await core.token(DEMO.manager);
  const stored = await core.call(
    'preview_query',
    { query: STORED_SAMPLES, page: 1, per_page: 1 },
    manager,
  );
  const code = stored.items[0].cells[0];
  const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
  try {
    // The tube scanned anywhere opens its page; its "Chain of custody" makes the report.
    await wedgeScan(page, code);
    await page.getByTestId('sample-code').filter({ hasText: code }).waitFor();
    await page.getByRole('link', { name: 'Chain of custody' }).click();
    const report = page.getByTestId('report');
    await report.getByTestId('report-title').filter({ hasText: 'Chain of custody' }).waitFor();
    await report.getByTestId('report-parameters').filter({ hasText: code }).waitFor();
    assert.equal(await page.getByLabel('Sample code', { exact: true }).inputValue(), code);
    const steps = report.locator('[data-testid="report-table"]').first();
    await steps.locator('tbody tr').filter({ hasText: code }).first().waitFor();
    await screenshot(page, 'report-custody');

    // The PDF: the file the core names, saying what it is and which tube.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      report.getByRole('button', { name: 'Download PDF' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `chain-of-custody-${code}.pdf`);
    const pdf = path.join(dir, 'custody.pdf');
    await download.saveAs(pdf);
    const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
    assert.match(text, /Chain of custody/);
    assert.ok(text.includes(code), 'the PDF names the tube');

    // A table as CSV: its headings first.
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      steps.getByRole('button', { name: /as CSV$/ }).click(),
    ]);
    const saved = path.join(dir, 'custody.csv');
    await csv.saveAs(saved);
    const first = fs.readFileSync(saved, 'utf8').split(/\r?\n/)[0];
    assert.match(first, /^When,Sample,Step,/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a lab manager saves the query they built, schedules it daily, and voids the schedule', async () => {
  const manager = await core.token(DEMO.manager);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'aliquot-scheduled-'));
  const name = `Stored samples ${Date.now()}`;
  const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
  try {
    // The query: stored samples.
    await page.getByRole('link', { name: 'Query builder' }).click();
    const form = page.getByTestId('query-form');
    await form.getByLabel('List', { exact: true }).selectOption('samples');
    await form.getByRole('button', { name: 'Add condition' }).click();
    await form.getByLabel('Condition 1: Field').selectOption('status');
    await form.getByLabel('Condition 1: Comparison').selectOption('equals');
    await form.getByLabel('Condition 1: Value').selectOption('stored');

    // Saved under a name; a blank name is refused first, saying so.
    await form.getByRole('button', { name: 'Save…' }).click();
    const dialog = page.getByTestId('save-report-dialog');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.getByTestId('save-report-error').filter({ hasText: 'name' }).waitFor();
    await dialog.getByLabel('Name', { exact: true }).fill(name);
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await form.getByTestId('query-saved-note').filter({ hasText: name }).waitFor();
    // It is in the page's own "Saved" list at once.
    await form.getByLabel('Saved', { exact: true }).locator('option', { hasText: name }).waitFor({
      state: 'attached',
    });

    // The Saved & scheduled page lists it.
    await page.getByRole('link', { name: 'Saved & scheduled' }).click();
    const savedRow = page.getByTestId('saved-row').filter({ hasText: name });
    await savedRow.waitFor();
    assert.match(await savedRow.textContent(), /Query of samples/);

    // Scheduled daily at 06:30 in the lab's zone, as CSV (the only format of a query).
    await savedRow.getByRole('button', { name: `Schedule “${name}”` }).click();
    const schedule = page.getByTestId('schedule-dialog');
    await schedule.getByLabel('How often').selectOption('daily');
    await schedule.getByLabel('At (HH:MM, 24-hour)').fill('06:30');
    assert.equal(await schedule.getByLabel('Format').isDisabled(), true, 'a query is CSV only');
    // A folder that is not there is refused by the core, in its words.
    await schedule.getByLabel('Folder on this PC').fill(path.join(folder, 'not-there'));
    await schedule.getByRole('button', { name: 'Schedule', exact: true }).click();
    await schedule.getByTestId('schedule-error').filter({ hasText: 'no such folder' }).waitFor();
    await schedule.getByLabel('Folder on this PC').fill(folder);
    await schedule.getByRole('button', { name: 'Schedule', exact: true }).click();
    await page.getByTestId('saved-note').filter({ hasText: 'Every day at 06:30' }).waitFor();

    // Listed with its next run.
    const scheduleRow = page.getByTestId('schedule-row').filter({ hasText: name });
    await scheduleRow.waitFor();
    assert.match(await scheduleRow.textContent(), /Every day at 06:30/);
    assert.match(await scheduleRow.getByTestId('schedule-next').textContent(), /\d{2}:\d{2}/);
    assert.equal(
      (await scheduleRow.getByTestId('schedule-last').textContent()).trim(),
      'Not run yet',
    );
    const listed = await core.call('list_report_schedules', { page: 1, per_page: 100 }, manager);
    const mine = listed.items.find((s) => s.saved_name === name);
    assert.ok(mine, 'the core has the schedule');
    assert.equal(mine.folder, folder);
    assert.equal(mine.format, 'csv');
    await screenshot(page, 'saved-scheduled');

    // Voided with a reason: gone from the list, the saved query still there.
    await scheduleRow.getByRole('button', { name: /^Void the schedule of/ }).click();
    const voiding = page.getByTestId('void-schedule-dialog');
    await voiding.getByLabel('Reason for voiding the schedule').fill('test over');
    await voiding.getByRole('button', { name: 'Void the schedule' }).click();
    await page.getByTestId('saved-note').filter({ hasText: 'voided' }).waitFor();
    await page.getByTestId('schedule-row').filter({ hasText: name }).waitFor({ state: 'detached' });
    await savedRow.waitFor();
    const after = await core.call('list_report_schedules', { page: 1, per_page: 100 }, manager);
    assert.ok(!after.items.some((s) => s.id === mine.id), 'the schedule is no longer listed');

    // Open: the builder with the saved query in it.
    await savedRow.getByRole('button', { name: `Open “${name}”` }).click();
    const reopened = page.getByTestId('query-form');
    await reopened.getByLabel('Condition 1: Value').waitFor();
    assert.equal(await reopened.getByLabel('Condition 1: Value').inputValue(), 'stored');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    fs.rmSync(folder, { recursive: true, force: true });
  }
});
