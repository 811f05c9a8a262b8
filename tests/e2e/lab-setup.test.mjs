// Lab setup corrections (issue 15, item 2), on the demo lab through the screens: the lab
// manager adds a sample type of the lab's own, changes the standard kit as its next version
// with a tube of it, retires a kit template and an unused sample type (and is told why a type
// still in a kit cannot be), and voids a site made by mistake (but not one in use). A box's
// tube labels go on an office printer's sheet: what the print dialog gets decodes, cell by
// cell, to the box's tube codes, and the saved PDF is a sheet of the paper's size.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO, launchBrowser, screenshot, signedInPage, startCore } from './harness.mjs';

let core;
let browser;

before(async () => {
  [core, browser] = await Promise.all([startCore({ demo: true }), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await core?.stop();
});

test('a lab manager adds a sample type, revises and retires kits, and voids a site made by mistake', async () => {
  const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
  try {
    await page.getByRole('link', { name: 'Lab setup' }).click();
    const notice = page.getByTestId('setup-notice');

    // A type of the lab's own: its stored code follows the name.
    const types = page.getByTestId('setup-types');
    await types.getByRole('button', { name: 'Add a sample type' }).click();
    let dialog = page.getByTestId('sample-type-dialog');
    await dialog.getByLabel('Name').fill('Cerebrospinal fluid');
    await dialog.getByLabel('Short code on labels').fill('cs');
    assert.equal(
      await dialog.getByLabel('Code (stored on every tube)').getAttribute('placeholder'),
      'cerebrospinal_fluid',
    );
    await dialog.getByRole('button', { name: 'Add the type' }).click();
    await notice.filter({ hasText: 'Sample type Cerebrospinal fluid (CS) added.' }).waitFor();
    await types.locator('tr[data-sample-type="cerebrospinal_fluid"]').getByText('CS').waitFor();

    // The standard kit gets a tube of it, as version 2; the reason is asked for.
    const kits = page.getByTestId('setup-kits');
    const standard = kits.locator('li[data-kit="Standard blood and urine"]');
    await standard.getByText('version 1').waitFor();
    await standard.getByRole('button', { name: 'Change…' }).click();
    dialog = page.getByTestId('kit-dialog');
    await dialog.getByRole('button', { name: 'Add a line of tubes' }).click();
    await dialog.locator('#kit-type-4').selectOption('cerebrospinal_fluid');
    await dialog.getByRole('button', { name: 'Save as version 2' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Say why the kit changes' }).waitFor();
    await dialog.getByLabel('Reason for the change').fill('lumbar puncture added to the visit');
    await dialog.getByRole('button', { name: 'Save as version 2' }).click();
    await notice
      .filter({ hasText: 'Kit template “Standard blood and urine” is now version 2.' })
      .waitFor();
    await standard.filter({ hasText: 'version 2 · 6 tubes' }).waitFor();
    assert.match(await standard.textContent(), /1 × Cerebrospinal fluid/);

    // The saliva kit is retired: listed as retired, gone from the desk's choices.
    await kits
      .locator('li[data-kit="Saliva only"]')
      .getByRole('button', { name: 'Retire…' })
      .click();
    dialog = page.getByTestId('retire-kit-dialog');
    await dialog.getByLabel('Reason for retiring the template').fill('saliva study closed');
    await dialog.getByRole('button', { name: 'Retire the template' }).click();
    await notice.filter({ hasText: 'Kit template “Saliva only” retired.' }).waitFor();
    await kits
      .locator('li[data-kit="Saliva only"]')
      .filter({ hasText: 'retired: saliva study closed' })
      .waitFor();
    const token = await core.token(DEMO.desk);
    const offered = await core.call('list_kit_templates', { page: 1, per_page: 50 }, token);
    assert.deepEqual(
      offered.items.map((k) => k.name),
      ['Standard blood and urine'],
    );

    // A type still in a kit in use cannot be retired, and the dialog says which kit.
    await types
      .locator('tr[data-sample-type="plasma"]')
      .getByRole('button', { name: 'Retire…' })
      .click();
    dialog = page.getByTestId('retire-type-dialog');
    await dialog.getByLabel('Reason for retiring the type').fill('no more plasma');
    await dialog.getByRole('button', { name: 'Retire the type' }).click();
    await page
      .getByTestId('retire-type-error')
      .filter({ hasText: 'Standard blood and urine' })
      .waitFor();
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await types
      .locator('tr[data-sample-type="stool"]')
      .getByRole('button', { name: 'Retire…' })
      .click();
    dialog = page.getByTestId('retire-type-dialog');
    await dialog.getByLabel('Reason for retiring the type').fill('not collected here');
    await dialog.getByRole('button', { name: 'Retire the type' }).click();
    await notice.filter({ hasText: 'Sample type Stool retired.' }).waitFor();
    await types
      .locator('tr[data-sample-type="stool"]')
      .filter({ hasText: 'retired: not collected here' })
      .waitFor();

    // A site made by mistake is voided; its numbers are free again. One in use is not.
    const sites = page.getByTestId('setup-sites');
    await sites.getByRole('button', { name: 'Add a collection site' }).click();
    dialog = page.getByTestId('site-dialog');
    await dialog.getByLabel('Code').fill('SPARE');
    await dialog.getByLabel('Name').fill('Typed twice');
    await dialog.getByLabel('First participant number').fill('900000');
    await dialog.getByLabel('Last participant number').fill('900999');
    await dialog.getByRole('button', { name: 'Add the site' }).click();
    await notice.filter({ hasText: 'Site SPARE added.' }).waitFor();
    await sites.locator('tr[data-site="SPARE"]').getByRole('button', { name: 'Void…' }).click();
    dialog = page.getByTestId('void-site-dialog');
    await dialog.getByLabel('Reason for voiding the site').fill('made twice by mistake');
    await dialog.getByRole('button', { name: 'Void the site' }).click();
    await notice.filter({ hasText: 'Site SPARE voided' }).waitFor();
    const spare = sites.locator('tr[data-site="SPARE"]');
    await spare.getByTestId('site-voided').waitFor();
    assert.match(await spare.textContent(), /free again/);
    assert.equal(await spare.getByRole('button').count(), 0);

    const inUse = sites.locator('tbody tr').filter({ hasNotText: 'SPARE' }).first();
    await inUse.getByRole('button', { name: 'Void…' }).click();
    dialog = page.getByTestId('void-site-dialog');
    await dialog.getByLabel('Reason for voiding the site').fill('try');
    await dialog.getByRole('button', { name: 'Void the site' }).click();
    await page.getByTestId('void-site-error').filter({ hasText: 'cannot be voided' }).waitFor();
    await screenshot(page, 'lab-setup-corrections');
    await dialog.getByRole('button', { name: 'Keep it' }).click();

    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

/** The DataMatrix in one label cell of page 1 of `pdf`, read by poppler and libdmtx. */
function decodeCell(pdf, dir, cell, i) {
  const dpi = 600;
  const px = (mm) => Math.round((mm / 25.4) * dpi);
  const margin = 2;
  const out = path.join(dir, `cell-${i}`);
  execFileSync('pdftoppm', [
    '-r',
    String(dpi),
    '-f',
    '1',
    '-l',
    '1',
    '-gray',
    '-png',
    '-singlefile',
    '-x',
    String(px(cell.left_mm - margin)),
    '-y',
    String(px(cell.top_mm - margin)),
    '-W',
    String(px(25.4 + 2 * margin)),
    '-H',
    String(px(12.7 + 2 * margin)),
    pdf,
    out,
  ]);
  return execFileSync('dmtxread', ['-N', '1', '-m', '5000', `${out}.png`])
    .toString()
    .trim();
}

test('a box’s tube labels print on an office sheet that decodes to its tubes, and save as a PDF', async () => {
  const token = await core.token(DEMO.tech);
  const boxes = await core.call(
    'list_boxes',
    { sort: 'name', order: 'asc', page: 1, per_page: 20 },
    token,
  );
  const withTubes = boxes.items.find((b) => b.occupied > 0);
  assert.ok(withTubes, 'the demo lab has a box with tubes');
  const map = await core.call('get_box', { id: withTubes.id }, token);
  const sheet = await core.call(
    'label_sheet',
    { labels: { group: 'box_contents', box_id: withTubes.id }, paper: 'a4', stock: 'cryovial' },
    token,
  );
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  const dir = mkdtempSync(path.join(tmpdir(), 'aliquot-sheet-'));
  try {
    await page.goto(`${core.url}/#/box/${withTubes.id}`);
    await page.getByRole('button', { name: 'Tube labels on a sheet…' }).click();
    const dialog = page.getByTestId('label-sheet-dialog');
    await dialog
      .getByTestId('label-sheet-summary')
      .filter({ hasText: `${withTubes.occupied} label` })
      .waitFor();
    assert.match(await dialog.getByTestId('label-sheet-summary').textContent(), /A4 cryovial 6x16/);
    await screenshot(page, 'label-sheet-dialog');

    // What the system's print dialog gets: the sheet alone, each label in its cell.
    // The harness pins the screen media; a PDF is made in print media, as a print dialog is.
    await page.emulateMedia({ media: 'print' });
    const printed = path.join(dir, 'printed.pdf');
    writeFileSync(printed, await page.pdf({ preferCSSPageSize: true }));
    await page.emulateMedia({ media: 'screen' });
    const pages = execFileSync('pdfinfo', [printed]).toString();
    assert.match(pages, /Pages:\s+1\n/);
    assert.match(pages, /Page size:\s+59\d\.\d+ x 841\.\d+ pts \(A4\)/);
    const codes = new Map(map.wells.map((w) => [w.sample_id, w.code]));
    const cells = sheet.cells.filter((c) => c.page === 0).slice(0, 8);
    for (const [i, cell] of cells.entries()) {
      assert.equal(decodeCell(printed, dir, cell, i), codes.get(cell.record), `cell ${i}`);
    }

    // The core's PDF, saved as a file of the name it gives.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Save the PDF' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), sheet.file_name);
    const saved = path.join(dir, 'saved.pdf');
    await download.saveAs(saved);
    const info = execFileSync('pdfinfo', [saved]).toString();
    assert.match(info, new RegExp(`Pages:\\s+${sheet.pages}\\n`));
    assert.equal(decodeCell(saved, dir, sheet.cells[0], 'saved'), codes.get(sheet.cells[0].record));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
