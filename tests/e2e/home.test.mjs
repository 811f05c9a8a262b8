// Home: a code typed (or scanned) into the home page's field opens what it names, a code
// nobody has is refused plainly, and a lab manager's notifications lead to the work.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO,
  launchBrowser,
  screenshot,
  signedInPage,
  startCore,
  startFakeSerialScanner,
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

test('a code typed on the home page opens its sample, box or participant', async () => {
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    const token = await core.token(DEMO.tech);
    const boxes = await core.call(
      'list_boxes',
      { sort: 'name', order: 'asc', page: 1, per_page: 1 },
      token,
    );
    const box = boxes.items[0];
    const map = await core.call('get_box', { id: box.id }, token);
    const well = map.wells[0];

    const field = page.getByLabel('Scan or type a code');
    await field.fill(well.code);
    await field.press('Enter');
    await page.waitForURL(`**/#/sample/${well.sample_id}`);
    await page
      .getByTestId('scan-feedback')
      .filter({ hasText: `Sample ${well.code}` })
      .waitFor();

    await page.getByRole('link', { name: 'Home' }).click();
    await field.fill(box.barcode);
    await field.press('Enter');
    await page.waitForURL(`**/#/box/${box.id}`);

    await page.getByRole('link', { name: 'Home' }).click();
    await field.fill(well.participant_code);
    await field.press('Enter');
    await page.waitForURL('**/#/participant/**');

    await page.getByRole('link', { name: 'Home' }).click();
    await field.fill('NOSUCH01');
    await field.press('Enter');
    const feedback = page.getByTestId('scan-feedback');
    await feedback
      .filter({ hasText: 'No sample, box or participant has the code NOSUCH01' })
      .waitFor();
    assert.equal(await feedback.getAttribute('data-tone'), 'unknown');
    assert.match(page.url(), /#\/home$/);
    await screenshot(page, 'home-unknown-code');

    // The red message belongs to the home page: it does not follow the user elsewhere, and is
    // gone (not hidden) when they come back.
    await page.getByRole('link', { name: 'Printing' }).click();
    await page.getByRole('heading', { name: 'Printing', level: 1 }).waitFor();
    await feedbackGone(page);
    await page.getByRole('link', { name: 'Home' }).click();
    await field.waitFor();
    await feedbackGone(page);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

/** The scan feedback bar shows nothing. */
async function feedbackGone(page) {
  const bar = page.getByTestId('scan-feedback');
  assert.equal(await bar.getAttribute('data-tone'), null);
  assert.equal((await bar.textContent()).trim(), '');
}

test('an address that names no page says "Not found", with a way home', async () => {
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    await page.evaluate(() => {
      window.location.hash = '#/nonsense';
    });
    const notFound = page.getByTestId('not-found');
    await notFound.getByRole('heading', { name: 'Not found' }).waitFor();
    assert.match(await notFound.textContent(), /#\/nonsense/);
    await screenshot(page, 'not-found');
    await notFound.getByRole('link', { name: 'Go to Home' }).click();
    await page.getByLabel('Scan or type a code').waitFor();
    assert.match(page.url(), /#\/home$/);
    assert.equal(await page.getByTestId('not-found').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("a lab manager's notification of a discard request leads to the requests", async () => {
  const tech = await core.token(DEMO.tech);
  const boxes = await core.call(
    'list_boxes',
    { sort: 'name', order: 'asc', page: 1, per_page: 20 },
    tech,
  );
  const filled = boxes.items.filter((b) => b.occupied > 0).at(-1);
  const map = await core.call('get_box', { id: filled.id }, tech);
  const well = map.wells.at(-1);
  await core.call(
    'request_discard',
    { sample_id: well.sample_id, reason: 'cap cracked in the freezer' },
    tech,
  );

  const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
  try {
    const note = page
      .getByTestId('notifications')
      .getByRole('button', { name: new RegExp(`discard ${well.code}`) });
    await note.waitFor();
    assert.match(await note.textContent(), /cap cracked in the freezer/);
    await screenshot(page, 'home-manager');
    await note.click();
    await page.waitForURL('**/#/discards');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a scan from the serial scanner opens the tube wherever the user is; junk is refused', async () => {
  const scanner = await startFakeSerialScanner();
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    const manager = await core.token(DEMO.manager);
    await core.call(
      'change_settings',
      {
        settings: [
          {
            key: 'scanner',
            value: {
              kind: 'serial',
              port: scanner.path,
              baud: 115200,
              flow_control: 'none',
              framing: { terminator: 'cr', prefix: '', suffix: '', max_length: 64 },
            },
          },
        ],
        reason: 'bench scanner',
      },
      manager,
    );
    await page
      .getByTestId('status-bar')
      .getByTestId('status-scanner')
      .filter({ hasText: 'connected' })
      .waitFor();

    const tech = await core.token(DEMO.tech);
    const boxes = await core.call(
      'list_boxes',
      { sort: 'name', order: 'asc', page: 1, per_page: 20 },
      tech,
    );
    const filled = boxes.items.filter((b) => b.occupied > 1)[1];
    const well = (await core.call('get_box', { id: filled.id }, tech)).wells[1];

    // On another page, with the focus in no field: the device scan still lands.
    await page.getByRole('link', { name: 'Printing' }).click();
    scanner.scan(well.code);
    await page.waitForURL(`**/#/sample/${well.sample_id}`);
    const feedback = page.getByTestId('scan-feedback');
    await feedback.filter({ hasText: `Sample ${well.code}` }).waitFor();

    // A control character in a scan is refused by the driver, and nothing opens.
    scanner.scan('AQ\u0007BELL');
    await feedback.filter({ hasText: /control/i }).waitFor();
    assert.equal(await feedback.getAttribute('data-tone'), 'refused');
    assert.match(page.url(), new RegExp(`#/sample/${well.sample_id}$`));
    assert.deepEqual(errors, []);
  } finally {
    scanner.stop();
    await context.close();
  }
});
