// Runs (issue 16's acceptance), on the demo lab through the screens: a technician plans a run
// from a template with a control, fills the 96-well plate by scanning tubes, exports the plate
// map for Gen5, finds the reader's result file in the watch folder, previews it against the
// plate map and imports it; the control is out of range, so QC rejects the run and holds its
// results, which the tube's page shows as held.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEMO,
  launchBrowser,
  repo,
  screenshot,
  signedInPage,
  startCore,
  wedgeScan,
} from './harness.mjs';

const GEN5 = path.join(
  repo,
  '..',
  'shared',
  'fixtures',
  'instruments',
  'agilent_gen5',
  'absorbance',
  'endpoint_stdcurve_singleplate.txt',
);

let core;
let browser;
let folder;

before(async () => {
  [core, browser] = await Promise.all([startCore({ demo: true }), launchBrowser()]);
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'aliquot-watch-'));
});

after(async () => {
  await browser?.close();
  await core?.stop();
  if (folder) fs.rmSync(folder, { recursive: true, force: true });
});

/** Two received tubes of a new participant's saliva kits. */
async function receivedTubes(tech) {
  const [site] = (await core.call('list_sites', { per_page: 200 }, tech)).items;
  const participant = await core.call(
    'register_participant',
    { site_id: site.id, consent: 'given', consent_date: new Date().toISOString().slice(0, 10) },
    tech,
  );
  const templates = (await core.call('list_kit_templates', { per_page: 200 }, tech)).items;
  const saliva = templates.find((t) => t.name === 'Saliva only');
  const tubes = [];
  for (let i = 0; i < 2; i++) {
    const kit = await core.call(
      'register_kit',
      {
        participant_id: participant.id,
        template_id: saliva.id,
        collected_at: new Date().toISOString(),
        collector: 'E2E collector',
      },
      tech,
    );
    for (const sample of kit.samples) {
      await core.call(
        'transition_sample',
        { sample_id: sample.id, expected: 'collected', to: 'received' },
        tech,
      );
      tubes.push(sample);
    }
  }
  return tubes;
}

test('a technician fills a plate by scanning, exports its map, imports the watch folder’s file, and QC holds the run', async () => {
  const manager = await core.token(DEMO.manager);
  const tech = await core.token(DEMO.tech);
  const reader = await core.call(
    'register_instrument',
    {
      instrument: {
        name: 'Synergy E2E',
        kind: 'plate_reader',
        model: 'Synergy H1',
        serial_number: '',
        location: 'Bench 3',
        result_format: 'gen5',
        csv_mapping: null,
      },
    },
    manager,
  );
  // The file's H12 reads 0.194 at 630 nm: 6 SD below this target, so 1-3s rejects the run.
  const lot = await core.call(
    'add_control_lot',
    {
      instrument_id: reader.id,
      lot: {
        material: 'Level 1',
        lot: 'L-E2E',
        read: '630nmAbsRead:630',
        unit: 'OD',
        target_mean: 0.5,
        target_sd: 0.05,
      },
    },
    manager,
  );
  await core.call(
    'create_plate_template',
    {
      name: 'ELISA, control in H12',
      format: '96',
      layout: [
        { well: 'H12', content: { role: 'control', control_lot_id: lot.id } },
        { well: 'H11', content: { role: 'blank' } },
      ],
    },
    manager,
  );
  await core.call(
    'set_watch_folder',
    { instrument_id: reader.id, folder, auto_import: false, reason: 'Gen5 exports here' },
    manager,
  );
  // The lab fills its plates along the rows.
  await core.call(
    'change_settings',
    { settings: [{ key: 'plate_fill_order', value: 'rows' }], reason: 'ELISA pipetting head' },
    manager,
  );
  const tubes = await receivedTubes(tech);

  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    await page.getByRole('link', { name: 'Runs' }).click();
    await page.getByRole('button', { name: 'Plan a run' }).click();
    const dialog = page.getByTestId('plan-run-dialog');
    await dialog.getByLabel('Instrument (in service)').selectOption(reader.id);
    await dialog.getByLabel('Run name').fill('ELISA-E2E');
    await dialog
      .getByLabel('Template (controls, standards and blanks)')
      .selectOption({ label: 'ELISA, control in H12' });
    await dialog.getByRole('button', { name: 'Plan the run' }).click();
    await page.getByRole('heading', { name: 'Run ELISA-E2E' }).waitFor();

    // Scanning fills the plate in the lab's order, along the rows: A1, then A2.
    const grid = page.getByTestId('plate-grid');
    await grid.locator('[data-well="H12"][data-role="control"]').waitFor();
    await page.getByTestId('plate-scan').focus();
    await wedgeScan(page, tubes[0].code);
    await page
      .getByTestId('plate-message')
      .filter({ hasText: `${tubes[0].code} → A1` })
      .waitFor();
    await wedgeScan(page, tubes[1].code);
    await page
      .getByTestId('plate-message')
      .filter({ hasText: `${tubes[1].code} → A2` })
      .waitFor();
    await grid.locator('[data-well="A2"][data-role="sample"]').waitFor();
    // The same tube again is refused with where it is.
    await wedgeScan(page, tubes[0].code);
    await page.getByTestId('plate-error').filter({ hasText: 'already in A1' }).waitFor();
    await screenshot(page, 'run-plate-filled');

    // The plate map for Gen5: the grid of well IDs, then the sample IDs.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export plate map for Gen5' }).click(),
    ]);
    const map = fs.readFileSync(await download.path(), 'utf8');
    assert.match(map, /\r\nA,SPL1,SPL2,/);
    assert.match(map, /\r\nH,(,){10}BLK,CTL1\r\n/);
    assert.ok(map.includes(`A1,SPL1,${tubes[0].code}\r\n`), map);
    assert.ok(map.includes(`A2,SPL2,${tubes[1].code}\r\n`), map);

    // The reader writes its file into the watch folder; it is offered once it is complete.
    fs.copyFileSync(GEN5, path.join(folder, 'ELISA-E2E.txt'));
    const waiting = page.getByTestId('waiting-files');
    const preview = waiting.getByRole('button', { name: 'Preview ELISA-E2E.txt' });
    for (let i = 0; i < 60 && (await preview.count()) === 0; i++) {
      await page.waitForTimeout(500);
      await waiting.getByRole('button', { name: 'Look again' }).click();
    }
    await preview.click();
    const table = page.getByTestId('preview-table');
    await table.waitFor();
    assert.match(await page.getByTestId('preview-counts').innerText(), /matched to tubes/);
    assert.equal(
      (await table.locator('tr[data-position="A1"][data-match="sample"]').count()) > 0,
      true,
    );
    await screenshot(page, 'run-import-preview');
    await page.getByRole('button', { name: /^Import \d+ values$/ }).click();
    await page.getByTestId('run-notice').filter({ hasText: 'ELISA-E2E.txt imported' }).waitFor();
    await page.getByTestId('run-state').filter({ hasText: 'Held by QC' }).waitFor();
    assert.match(await page.getByTestId('run-qc').innerText(), /1-3s/);

    // The tube's page shows the run and its value, held.
    await page.goto(`${core.url}/#/sample/${tubes[0].id}`);
    const results = page.getByTestId('sample-results');
    await results.locator('tr[data-standing="held"]').first().waitFor();
    await page.getByTestId('sample-runs').getByText('ELISA-E2E').first().waitFor();
    await screenshot(page, 'sample-results-held');
    const runs = (await core.call('list_runs', { search: 'ELISA-E2E' }, tech)).items;
    assert.equal(runs[0].state, 'held');
    const watched = await core.call('list_watched_files', { instrument_id: reader.id }, tech);
    assert.equal(watched.items[0].state, 'imported');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a lab manager maps a partner’s code, and a technician imports the partner’s results with nothing dropped', async () => {
  const tech = await core.token(DEMO.tech);
  const [tube] = await receivedTubes(tech);
  const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
  try {
    await page.getByRole('link', { name: 'Result sets' }).click();
    const mappings = page.getByTestId('partner-mappings');
    await mappings.getByRole('button', { name: 'Add a mapping' }).click();
    const dialog = page.getByTestId('mapping-dialog');
    await dialog.getByLabel('Partner lab').fill('Partner Lab');
    await dialog.getByLabel('Partner code').fill('GLU');
    await dialog.getByLabel('Partner unit (optional)').fill('mg/dL');
    await dialog.getByLabel('Lab test code').fill('GLUCOSE');
    await dialog.getByLabel('Lab unit (optional)').fill('mmol/L');
    await dialog.getByLabel('Factor').fill('0.0555');
    await dialog.getByRole('button', { name: 'Add the mapping' }).click();
    await mappings.getByText('GLUCOSE').first().waitFor();

    const csv = `Sample ID;Test;Result;Units;Comment\r\n${tube.code};GLU;100;mg/dL;\r\n${tube.code};CRP;2,5;mg/L;hemolysed\r\nNOT-OURS-1;GLU;90;mg/dL;\r\n`;
    const importer = page.getByTestId('result-set-import');
    await importer.getByLabel('Format').selectOption('long_csv');
    await importer.getByLabel('Partner lab (optional)').fill('Partner Lab');
    await importer.getByLabel('Result set file').setInputFiles({
      name: 'partner-2026-12.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await page.getByTestId('result-set-preview').waitFor();
    await page.getByTestId('unknown-codes').getByText('NOT-OURS-1').waitFor();
    await page.getByTestId('unmapped-codes').getByText('CRP').waitFor();
    await screenshot(page, 'result-set-preview');
    await page.getByRole('button', { name: /^Import 3 values/ }).click();
    await page
      .getByTestId('result-sets-notice')
      .filter({ hasText: /imported/i })
      .waitFor();
    const sets = (await core.call('list_result_sets', {}, tech)).items;
    assert.equal(sets[0].unknown_codes, 1);
    assert.equal(sets[0].unmapped_codes, 1);
    assert.equal(sets[0].samples_matched, 1);

    await page.goto(`${core.url}/#/sample/${tube.id}`);
    const values = page.getByTestId('sample-set-values');
    await values.locator('tr[data-analyte="GLU"]').waitFor();
    assert.match(await values.locator('tr[data-analyte="GLU"]').innerText(), /GLUCOSE: 5\.55/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
