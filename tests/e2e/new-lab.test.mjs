// A lab that is not the demo sets itself up through the screens alone, from an empty data
// directory: the first administrator, a collection site, its participant numbers and the
// sample-code format, a lab manager's account; then the manager's kit template, a freezer
// with a rack and a box, a label printer whose test print reaches the (fake) printer, and a
// participant and kit registered at the desk. No API call changes anything here: the core is
// only read, to check what the screens did.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser,
  sampleCode,
  startCore,
  startFakeZebra,
  VIEWPORT,
  watchLayout,
} from './harness.mjs';

const ADMIN = { username: 'labadmin', password: 'new lab admin passphrase' };
const MANAGER = { username: 'mgr', password: 'new lab manager passphrase' };

let core;
let browser;
let zebra;

before(async () => {
  [core, browser, zebra] = await Promise.all([startCore(), launchBrowser(), startFakeZebra()]);
});

after(async () => {
  await browser?.close();
  await zebra?.close();
  await core?.stop();
});

async function signIn(page, account) {
  await page.getByTestId('login-form').waitFor();
  await page.getByLabel('Username', { exact: true }).fill(account.username);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('shell').waitFor();
}

test(
  'a new lab is set up through the screens alone and registers its first kit',
  { timeout: 180_000 },
  async () => {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const errors = [];
    await watchLayout(context, errors);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => errors.push(String(error)));
    try {
      // The first administrator, on a workstation with nothing in it.
      await page.goto(core.url);
      await page.getByTestId('first-run-form').waitFor();
      await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
      await page.getByLabel('Display name', { exact: true }).fill('Lab Admin');
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await page.getByLabel('Confirm password', { exact: true }).fill(ADMIN.password);
      await page.getByRole('button', { name: 'Create administrator' }).click();
      await signIn(page, ADMIN);

      // A collection site with its participant numbers.
      await page.getByRole('link', { name: 'Lab setup' }).click();
      const setup = page.getByTestId('lab-setup');
      await setup.getByTestId('setup-sites').getByText('No collection site yet').waitFor();
      await setup.getByRole('button', { name: 'Add a collection site' }).click();
      let dialog = page.getByTestId('site-dialog');
      await dialog.getByLabel('Code').fill('north');
      await dialog.getByLabel('Name').fill('North Clinic');
      await dialog.getByLabel('First participant number').fill('1000');
      await dialog.getByRole('button', { name: 'Add the site' }).click();
      await dialog.getByRole('alert').filter({ hasText: 'whole number' }).waitFor();
      await dialog.getByLabel('Last participant number').fill('1999');
      await dialog.getByRole('button', { name: 'Add the site' }).click();
      await page.getByTestId('setup-notice').filter({ hasText: 'Site NORTH added.' }).waitFor();
      await setup.locator('tr[data-site="NORTH"]').filter({ hasText: '1000–1999' }).waitFor();

      // This workstation's participant numbers of that site, and its sample-code format.
      const blocks = setup.getByTestId('setup-blocks');
      await blocks.getByRole('button', { name: 'Assign a block to this workstation' }).click();
      dialog = page.getByTestId('block-dialog');
      await dialog.getByLabel('First number').fill('1000');
      await dialog.getByLabel('Last number').fill('1099');
      await dialog.getByLabel('Reason').fill('first desk');
      await dialog.getByRole('button', { name: 'Assign the block' }).click();
      await dialog.waitFor({ state: 'detached' });
      await blocks.getByRole('button', { name: 'Assign a block to this workstation' }).click();
      dialog = page.getByTestId('block-dialog');
      await dialog.getByLabel('What it numbers').selectOption('sample');
      await dialog.getByLabel('Code prefix').fill('NL');
      await dialog.getByLabel('Digits after the prefix').fill('6');
      await dialog.getByLabel('First number').fill('1');
      await dialog.getByLabel('Last number').fill('5000');
      await dialog.getByLabel('Reason').fill('first desk');
      await dialog.getByRole('button', { name: 'Assign the block' }).click();
      await dialog.waitFor({ state: 'detached' });
      const sampleBlock = blocks.locator('tr[data-block="sample"]');
      await sampleBlock.waitFor();
      assert.match(await sampleBlock.textContent(), new RegExp(sampleCode('NL', 6, 1)));

      // The lab manager who sets up the rest.
      await page.getByRole('link', { name: 'Users' }).click();
      const create = page.getByTestId('create-user-form');
      await create.getByLabel('Username').fill(MANAGER.username);
      await create.getByLabel('Display name').fill('Maria Manager');
      await create.getByLabel('Role').selectOption('lab_manager');
      await create.getByLabel('Initial password', { exact: true }).fill(MANAGER.password);
      await create.getByLabel('Confirm initial password').fill(MANAGER.password);
      await create.getByRole('button', { name: 'Create account' }).click();
      await page.getByText('Maria Manager').first().waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signIn(page, MANAGER);

      // The kit the desk registers.
      await page.getByRole('link', { name: 'Lab setup' }).click();
      await setup.getByRole('button', { name: 'Add a kit template' }).click();
      dialog = page.getByTestId('kit-dialog');
      await dialog.getByLabel('Name').fill('Blood and urine');
      await dialog.getByLabel('Sample type').selectOption('plasma');
      await dialog.getByLabel('Number of tubes').fill('2');
      await dialog.getByLabel('Volume of each (µl, optional)').fill('500');
      await dialog.getByRole('button', { name: 'Add a line of tubes' }).click();
      await dialog.locator('#kit-type-1').selectOption('urine');
      await dialog.getByRole('button', { name: 'Add the kit template' }).click();
      await page
        .getByTestId('setup-notice')
        .filter({ hasText: 'Kit template “Blood and urine” added.' })
        .waitFor();
      await setup
        .locator('li[data-kit="Blood and urine"]')
        .filter({ hasText: '3 tubes' })
        .waitFor();

      // A freezer with a rack and a box.
      await page.getByRole('link', { name: 'Storage' }).click();
      await page.getByRole('button', { name: 'Add a freezer' }).click();
      const freezerDialog = page.getByTestId('create-freezer-dialog');
      await freezerDialog.getByLabel('Name').fill('Freezer 1');
      await freezerDialog.getByLabel('Location').fill('Room B2');
      await freezerDialog.getByLabel('Set temperature (°C)').fill('-80');
      await freezerDialog.getByRole('button', { name: 'Add freezer' }).click();
      const tree = page.getByTestId('storage-tree');
      await tree.getByRole('button', { name: /^Freezer 1 / }).click();
      await tree.getByRole('button', { name: 'Add a rack to Freezer 1' }).click();
      await page.getByTestId('create-rack-dialog').getByLabel('Rack name').fill('Rack A');
      await page
        .getByTestId('create-rack-dialog')
        .getByRole('button', { name: 'Add rack' })
        .click();
      await tree.getByRole('button', { name: /^Rack A / }).click();
      await tree.getByRole('button', { name: 'Add a box to Rack A' }).click();
      const boxDialog = page.getByTestId('create-box-dialog');
      await boxDialog.getByLabel('Box name').fill('Box A1');
      await boxDialog.getByLabel('Box barcode').fill('NL-BOX-001');
      await boxDialog.getByLabel('Rows').fill('9');
      await boxDialog.getByLabel('Columns').fill('9');
      await boxDialog.getByRole('button', { name: 'Add box' }).click();
      await tree.getByRole('row', { name: /Box A1/ }).waitFor();

      // A label printer, checked with a test print that reaches it.
      await page.getByRole('link', { name: 'Printing' }).click();
      const printers = page.getByTestId('printers');
      await printers.getByRole('button', { name: 'Add a printer' }).click();
      const form = page.getByTestId('printer-form');
      await form.getByLabel('Name', { exact: true }).fill('Desk Zebra');
      await form.getByLabel('Connection', { exact: true }).selectOption('tcp');
      await form.getByLabel('IP address or host name', { exact: true }).fill('127.0.0.1');
      await form.getByLabel('Port', { exact: true }).fill(String(zebra.port));
      await form.getByLabel('Labels loaded', { exact: true }).selectOption('cryovial');
      await form.getByRole('button', { name: 'Save printer' }).click();
      await form.waitFor({ state: 'detached' });
      const row = printers.getByTestId('printer-row').filter({ hasText: 'Desk Zebra' });
      await row.getByRole('button', { name: 'Test print on Desk Zebra' }).click();
      await zebra.waitFor((z) => z.labels().length >= 1, 'the test label');
      assert.ok(zebra.fieldData().some((text) => text.includes('Desk Zebra')));

      // The first participant and kit at the desk (one site: chosen by itself).
      await page.getByRole('link', { name: 'Registration desk' }).click();
      const participant = page.getByTestId('desk-new-participant');
      await participant.getByLabel('The participant signed the consent form').check();
      await participant.getByRole('button', { name: 'Register participant' }).click();
      const code = page.getByTestId('desk-participant-code');
      await code.waitFor();
      assert.match((await code.textContent()).trim(), /^P1000[0-9A-Z]$/);
      const kit = page.getByTestId('desk-kit');
      await kit.getByLabel(/Blood and urine/).check();
      await kit.getByLabel("Print the kit's labels now").uncheck();
      await kit.getByRole('button', { name: 'Register kit (3 tubes)' }).click();
      const table = page.getByTestId('desk-kit-samples');
      await table.waitFor();
      const codes = (await table.locator('tbody tr td:first-child').allTextContents()).map((t) =>
        t.trim(),
      );
      assert.deepEqual(
        codes.sort(),
        [1, 2, 3].map((n) => sampleCode('NL', 6, n)),
      );

      // Read back from the core: this lab and nothing of the demo.
      const token = await core.token(MANAGER);
      const sites = await core.call('list_sites', {}, token);
      assert.deepEqual(
        sites.items.map((s) => s.code),
        ['NORTH'],
      );
      const freezers = await core.call('list_freezers', {}, token);
      assert.deepEqual(
        freezers.items.map((f) => f.name),
        ['Freezer 1'],
      );
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  },
);
