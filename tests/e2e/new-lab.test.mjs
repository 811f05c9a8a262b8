// A lab that is not the demo sets itself up through the screens alone, from an empty data
// directory, led by the setup guide: the first administrator, the lab's name and time zone, a
// collection site, its participant numbers and the sample-code format, a lab manager's
// account; the guide is left there and resumed by the manager at the first step still to do:
// a kit template, a freezer filled with racks and boxes in one go, a label printer whose test
// print reaches the (fake) printer, a test scan; then a participant and kit registered at the
// desk. No API call changes anything here: the core is only read, to check what the screens
// did.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser,
  sampleCode,
  startCore,
  startFakeZebra,
  VIEWPORT,
  watchLayout,
  wedgeScan,
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
      // Which Aliquot this is, for a support call, before anyone has an account.
      assert.match(
        await page.getByTestId('release-line').innerText(),
        /^Aliquot \d+\.\d+\.\d+ · development build$/,
      );
      await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
      await page.getByLabel('Display name', { exact: true }).fill('Lab Admin');
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await page.getByLabel('Confirm password', { exact: true }).fill(ADMIN.password);
      await page.getByRole('button', { name: 'Create administrator' }).click();
      await signIn(page, ADMIN);

      // Home offers the guide; it opens at its first step.
      const card = page.getByTestId('setup-card');
      await card.getByText('0 of 8 steps done').waitFor();
      await card.getByRole('button', { name: 'Continue the setup guide' }).click();
      const guide = page.getByTestId('setup-guide');
      const lab = guide.getByTestId('setup-step-lab');
      await lab.getByText('The name heads the screens').waitFor();
      await lab.getByLabel('Lab name').fill('North Biobank');
      await lab.getByLabel('Time zone').selectOption('Europe/Oslo');
      await lab.getByRole('button', { name: 'Save the name and time zone' }).click();
      await guide.getByTestId('guide-notice').filter({ hasText: 'North Biobank' }).waitFor();
      await page.getByTestId('lab-name').filter({ hasText: 'North Biobank' }).waitFor();
      await guide.locator('[data-step="lab"][data-done="true"]').waitFor();
      await guide.getByRole('button', { name: 'Next: A collection site' }).click();

      // A collection site with its participant numbers.
      const setup = guide.getByTestId('setup-step-site');
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
      await page.getByTestId('guide-notice').filter({ hasText: 'Site NORTH added.' }).waitFor();
      await setup.locator('tr[data-site="NORTH"]').filter({ hasText: '1000–1999' }).waitFor();
      await guide.getByRole('button', { name: /^Next: Numbers and sample codes/ }).click();

      // This workstation's participant numbers of that site, and its sample-code format.
      const blocks = guide.getByTestId('setup-step-numbers').getByTestId('setup-blocks');
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

      // The lab manager who sets up the rest: made on the Users page, the guide left there.
      await guide.locator('[data-step="numbers"][data-done="true"]').waitFor();
      await guide.getByRole('button', { name: 'Next: A lab manager' }).click();
      await guide
        .getByTestId('setup-step-people')
        .getByRole('button', { name: 'Open Users' })
        .click();
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

      // The manager resumes the guide from Home, at the first step still to do.
      await page.getByRole('link', { name: 'Home' }).click();
      await page.getByTestId('setup-card').getByText('4 of 8 steps done').waitFor();
      await page.getByRole('button', { name: 'Continue the setup guide' }).click();
      const kits = guide.getByTestId('setup-step-kits');
      await kits.getByRole('button', { name: 'Add a kit template' }).click();
      dialog = page.getByTestId('kit-dialog');
      await dialog.getByLabel('Name').fill('Blood and urine');
      await dialog.getByLabel('Sample type').selectOption('plasma');
      await dialog.getByLabel('Number of tubes').fill('2');
      await dialog.getByLabel('Volume of each (µl, optional)').fill('500');
      await dialog.getByRole('button', { name: 'Add a line of tubes' }).click();
      await dialog.locator('#kit-type-1').selectOption('urine');
      await dialog.getByRole('button', { name: 'Add the kit template' }).click();
      await page
        .getByTestId('guide-notice')
        .filter({ hasText: 'Kit template “Blood and urine” added.' })
        .waitFor();
      await kits.locator('li[data-kit="Blood and urine"]').filter({ hasText: '3 tubes' }).waitFor();
      await guide.getByRole('button', { name: 'Next: A freezer with racks and boxes' }).click();

      // A freezer, then two racks of three 9 × 9 boxes in one go, named by patterns.
      const storage = guide.getByTestId('setup-step-storage');
      await storage.getByRole('button', { name: 'Add a freezer' }).click();
      const freezerDialog = page.getByTestId('create-freezer-dialog');
      await freezerDialog.getByLabel('Name').fill('Freezer 1');
      await freezerDialog.getByLabel('Location').fill('Room B2');
      await freezerDialog.getByLabel('Set temperature (°C)').fill('-80');
      await freezerDialog.getByRole('button', { name: 'Add freezer' }).click();
      await storage.getByRole('button', { name: 'Add racks and boxes to Freezer 1' }).click();
      const bulk = page.getByTestId('racks-and-boxes-dialog');
      await bulk.getByLabel('Racks', { exact: true }).fill('2');
      await bulk.getByLabel('Boxes in each rack').fill('3');
      await bulk.getByLabel('Box barcode pattern').fill('NL-{box}');
      // Two racks cannot share box barcodes: the preview says so before anything is made.
      await bulk.getByTestId('bulk-preview').getByText('NL-1').waitFor();
      await bulk.getByLabel('Box barcode pattern').fill('NL-R{rack}-B{box:2}');
      await bulk
        .getByTestId('bulk-preview')
        .getByText('Rack 2: Box 2-1 (NL-R2-B01) … Box 2-3 (NL-R2-B03)')
        .waitFor();
      await bulk.getByLabel('Print the boxes’ labels (one job)').uncheck();
      await bulk.getByRole('button', { name: 'Add 2 racks and 6 boxes' }).click();
      await page
        .getByTestId('guide-notice')
        .filter({ hasText: 'Added 2 racks and 6 boxes to Freezer 1.' })
        .waitFor();
      await guide.locator('[data-step="storage"][data-done="true"]').waitFor();
      await page.getByTestId('setup-summary').getByText('ready for its first kit').waitFor();

      // A label printer, checked with a test print that reaches it: on the Printing page.
      await guide.getByRole('button', { name: /^Next: A label printer/ }).click();
      await guide
        .getByTestId('setup-step-printer')
        .getByRole('button', { name: 'Open Printing' })
        .click();
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

      // Back in the guide (from Lab setup), at the scanner: a test scan opens nothing.
      await page.getByRole('link', { name: 'Lab setup' }).click();
      await page.getByRole('button', { name: 'Open the setup guide' }).click();
      await guide.locator('[data-step="printer"][data-done="true"]').waitFor();
      await guide.locator('[data-step="scanner"]').click();
      const scan = guide.getByTestId('setup-step-scanner');
      await scan.getByText('Waiting for a scan…').waitFor();
      await wedgeScan(page, 'TEST-SCAN-42');
      await scan
        .getByTestId('guide-scan-result')
        .filter({ hasText: 'Read “TEST-SCAN-42” from the keyboard-wedge scanner.' })
        .waitFor();
      await page.getByTestId('setup-summary').getByText('8 of 8 steps done').waitFor();

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
        freezers.items.map((f) => [f.name, f.racks, f.boxes]),
        [['Freezer 1', 2, 6]],
      );
      const settings = await core.call('get_settings', {}, token);
      assert.deepEqual(
        [settings.lab_name, settings.display_timezone],
        ['North Biobank', 'Europe/Oslo'],
      );
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  },
);
