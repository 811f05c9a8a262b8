// Instruments (issue 16, item 1), on the demo lab through the screens: a lab manager registers
// a Gen5 plate reader and an ELISA reader whose CSV is read through a mapping, finds them by
// the filters, puts one out of service with a reason and adds a control lot with its target;
// a technician reads the list but is offered no change.

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

test('a lab manager registers instruments, changes a status and adds a control lot', async () => {
  const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
  try {
    await page.getByRole('link', { name: 'Instruments' }).click();
    const notice = page.getByTestId('instruments-notice');

    await page.getByRole('button', { name: 'Register an instrument' }).click();
    let dialog = page.getByTestId('instrument-dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('Synergy H1');
    await dialog.getByLabel('Model').fill('Synergy H1');
    await dialog.getByLabel('Serial number (optional)').fill('SN-4471');
    await dialog.getByLabel('Location (optional)').fill('Lab 2, bench 3');
    await dialog.getByRole('button', { name: 'Register the instrument' }).click();
    await notice.filter({ hasText: 'Synergy H1 registered, in service.' }).waitFor();

    // A generic CSV needs its columns named; without them the core says so.
    await page.getByRole('button', { name: 'Register an instrument' }).click();
    dialog = page.getByTestId('instrument-dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('ELISA reader');
    await dialog.getByLabel('Model').fill('Multiskan');
    await dialog.getByLabel('Result files it writes').selectOption('mapped_csv');
    await dialog.getByRole('button', { name: 'Register the instrument' }).click();
    await page
      .getByTestId('instrument-error')
      .filter({ hasText: /column/ })
      .waitFor();
    const mapping = dialog.getByTestId('csv-mapping');
    await mapping.getByLabel('Separator').selectOption(';');
    await mapping.getByLabel('Decimal mark').selectOption('comma');
    await mapping.getByLabel('Lines before the header').fill('2');
    await mapping.getByLabel('Column naming the well or sample').fill('Well');
    await mapping.getByLabel('Value column 1').fill('OD 450');
    await mapping.getByLabel('Unit (optional)').fill('OD');
    await dialog.getByRole('button', { name: 'Register the instrument' }).click();
    await notice.filter({ hasText: 'ELISA reader registered, in service.' }).waitFor();
    const token = await core.token(DEMO.manager);
    const elisa = (await core.call('list_instruments', { search: 'ELISA' }, token)).items[0];
    assert.deepEqual(elisa.csv_mapping, {
      separator: ';',
      decimal: 'comma',
      skip_lines: 2,
      position_column: 'Well',
      position_is: 'well',
      plate_column: null,
      values: [{ column: 'OD 450', read: null, unit: 'OD' }],
    });

    // Out of service, with the reason; the status filter finds it.
    const table = page.getByTestId('instruments-table');
    await table
      .locator('tr[data-instrument="ELISA reader"]')
      .getByRole('button', { name: 'Status…' })
      .click();
    dialog = page.getByTestId('instrument-status-dialog');
    await dialog.getByLabel('New status').selectOption('out_of_service');
    await dialog.getByLabel('Reason').fill('lamp failed');
    await dialog.getByRole('button', { name: 'Change the status' }).click();
    await notice.filter({ hasText: 'ELISA reader is now out of service.' }).waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('out_of_service');
    // The filtered page replaces the whole list: wait for it rather than count the old one.
    await waitForCount(table.locator('tbody tr[data-instrument]'), 1);
    await table.locator('tr[data-instrument="ELISA reader"]').waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('');

    // A control lot with its target.
    const synergy = table.locator('tr[data-instrument="Synergy H1"]');
    await synergy.getByRole('button', { name: 'Controls' }).click();
    const lots = page.getByTestId('control-lots');
    await lots.getByRole('button', { name: 'Add a control lot' }).click();
    dialog = page.getByTestId('lot-dialog');
    await dialog.getByLabel('Control material').fill('Level 1 control');
    await dialog.getByLabel('Lot').fill('L2291');
    await dialog.getByLabel('Read or analyte it controls').fill('abs450:450');
    await dialog.getByLabel('Target mean').fill('1,25');
    await dialog.getByLabel('Target SD').fill('0');
    await dialog.getByRole('button', { name: 'Add the lot' }).click();
    await page.getByTestId('lot-error').filter({ hasText: 'above 0' }).waitFor();
    await dialog.getByLabel('Target SD').fill('0.05');
    await dialog.getByRole('button', { name: 'Add the lot' }).click();
    await notice.filter({ hasText: 'Control lot L2291 of Level 1 control added' }).waitFor();
    const row = lots.locator('tr[data-lot="Level 1 control L2291 abs450:450"]');
    assert.match(await row.textContent(), /1\.25.*0\.05/);
    await screenshot(page, 'instruments');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }

  // A technician reads the list and the lots, and is offered no change.
  const tech = await signedInPage(browser, core, DEMO.tech);
  try {
    await tech.page.getByRole('link', { name: 'Instruments' }).click();
    const table = tech.page.getByTestId('instruments-table');
    await table.locator('tr[data-instrument="Synergy H1"]').waitFor();
    assert.equal(
      await tech.page.getByRole('button', { name: 'Register an instrument' }).count(),
      0,
    );
    assert.equal(await table.getByRole('button', { name: 'Edit…' }).count(), 0);
    await table
      .locator('tr[data-instrument="Synergy H1"]')
      .getByRole('button', { name: 'Controls' })
      .click();
    await tech.page.getByTestId('control-lots').locator('tr[data-lot]').waitFor();
    assert.equal(await tech.page.getByRole('button', { name: 'Add a control lot' }).count(), 0);
    assert.deepEqual(tech.errors, []);
  } finally {
    await tech.context.close();
  }
});
