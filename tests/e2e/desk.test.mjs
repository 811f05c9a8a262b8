// The registration desk in the browser: register a participant at a field event, register
// their kit in one step and see its labels arrive at the (fake, TCP 9100) Zebra with the
// right codes; bind pre-printed tubes by scanning; an unknown code is refused plainly.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO,
  RESULTS,
  launchBrowser,
  sampleCode,
  screenshot,
  signedInPage,
  startCore,
  startFakeZebra,
  wedgeScan,
} from './harness.mjs';

let core;
let browser;
let zebra;

before(async () => {
  [core, browser, zebra] = await Promise.all([
    startCore({ demo: true }),
    launchBrowser(),
    startFakeZebra(),
  ]);
  const manager = await core.token(DEMO.manager);
  await core.call(
    'configure_printer',
    {
      name: 'Desk Zebra',
      address: zebra.address,
      language: 'zpl',
      dpi: 203,
      stock: 'cryovial',
      darkness: null,
    },
    manager,
  );
  await core.call(
    'change_setting',
    { setting: { key: 'sample_label_printer', value: 'Desk Zebra' }, reason: 'desk printer' },
    manager,
  );
});

after(async () => {
  await browser?.close();
  await zebra?.close();
  await core?.stop();
});

async function openDesk(page) {
  await page.getByRole('link', { name: 'Registration desk' }).click();
  await page.getByRole('heading', { name: 'Registration desk' }).waitFor();
}

async function registerNewParticipant(page) {
  const form = page.getByTestId('desk-new-participant');
  await form.getByLabel('The participant signed the consent form').check();
  await form.getByRole('button', { name: 'Register participant' }).click();
  const code = page.getByTestId('desk-participant-code');
  await code.waitFor();
  return (await code.textContent()).trim();
}

async function kitCodes(page) {
  const table = page.getByTestId('desk-kit-samples');
  await table.waitFor();
  return (await table.locator('tbody tr td:first-child').allTextContents()).map((t) => t.trim());
}

test('register a participant and kit at an event; the labels arrive with the right codes', async () => {
  const { page, context, errors } = await signedInPage(browser, core, DEMO.desk);
  try {
    await openDesk(page);
    await page.getByLabel('Collection site').selectOption({ label: 'NORTH · North Clinic' });
    await page.getByLabel('Field event').selectOption({ index: 1 });
    const eventName = (await page.getByLabel('Field event').locator('option:checked').textContent())
      .split(' · ')[0]
      .trim();
    await screenshot(page, 'desk-start');

    // Registering without consent is refused plainly and registers nobody.
    await page
      .getByTestId('desk-new-participant')
      .getByRole('button', { name: 'Register participant' })
      .click();
    await page.getByTestId('desk-participant-error').filter({ hasText: 'consent form' }).waitFor();

    const participant = await registerNewParticipant(page);
    assert.match(participant, /^P\d+[0-9A-Z]$/);
    await page.getByTestId('desk-check-in').filter({ hasText: eventName }).waitFor();

    const kit = page.getByTestId('desk-kit');
    await kit.getByLabel(/Standard blood and urine/).check();
    assert.ok(await kit.getByLabel("Print the kit's labels now").isChecked());
    await kit.getByRole('button', { name: 'Register kit (5 tubes)' }).click();

    const codes = await kitCodes(page);
    assert.equal(codes.length, 5);
    await page
      .getByTestId('desk-labels-status')
      .filter({ hasText: 'Printed on Desk Zebra' })
      .waitFor();

    // The printer got one label per tube, each carrying its tube's code (in the 2D code's
    // data and as text) and the participant.
    await zebra.waitFor((z) => z.labels().length >= 5, 'five labels');
    const labels = zebra.labels();
    assert.equal(labels.length, 5);
    for (const code of codes) {
      const carrying = labels.filter((l) => l.includes(code));
      assert.equal(carrying.length, 1, `exactly one label carries ${code}`);
      assert.ok(carrying[0].includes(participant), `the label of ${code} names ${participant}`);
    }

    // The preview shows the same labels.
    const previews = page.getByTestId('desk-previews').locator('img');
    await previews.first().waitFor();
    assert.equal(await previews.count(), 5);
    await screenshot(page, 'desk-kit-registered');
    await page
      .getByTestId('desk-previews')
      .screenshot({ path: `${RESULTS}/desk-label-previews.png` });

    // The core agrees: the participant has the kit's five samples.
    const token = await core.token(DEMO.desk);
    const found = await core.call('lookup_scan', { code: participant }, token);
    const samples = await core.call('participant_samples', { id: found.participant.id }, token);
    assert.deepEqual(samples.map((s) => s.code).sort(), [...codes].sort());

    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('pre-printed tubes are bound by scanning; an unknown code is refused plainly', async () => {
  const { page, context, errors } = await signedInPage(browser, core, DEMO.desk);
  try {
    await openDesk(page);
    await page.getByLabel('Collection site').selectOption({ label: 'NORTH · North Clinic' });

    // A coordinator starts today's event at the desk; it is chosen at once.
    await page.getByRole('button', { name: 'New field event…' }).click();
    const eventForm = page.getByTestId('desk-new-event');
    await eventForm.getByRole('button', { name: 'Create event' }).click();
    await eventForm.getByRole('alert').filter({ hasText: 'Give the event a name' }).waitFor();
    await eventForm.getByLabel('Name').fill('Market day, Elm Street');
    await eventForm.getByRole('button', { name: 'Create event' }).click();
    await page
      .getByLabel('Field event')
      .locator('option:checked', { hasText: 'Market day, Elm Street' })
      .waitFor({ state: 'attached' });

    // A scan of a code nobody has, on the desk, names the code and changes nothing.
    await wedgeScan(page, 'ZZ123456');
    const feedback = page.getByTestId('scan-feedback');
    await feedback
      .filter({ hasText: 'No sample, box or participant has the code ZZ123456' })
      .waitFor();
    assert.equal(await feedback.getAttribute('data-tone'), 'unknown');

    await registerNewParticipant(page);
    await page
      .getByTestId('desk-kit')
      .getByLabel(/Standard blood and urine/)
      .check();
    await page.getByLabel('The tubes already have printed labels: scan them').check();
    await page.getByLabel("Print the kit's labels now").uncheck();
    const rolls = [11, 12, 13, 14, 15].map((n) => sampleCode('RL', 6, n));
    for (const code of rolls) await wedgeScan(page, code);
    // The same tube twice is refused, not bound twice.
    await wedgeScan(page, rolls[0]);
    await feedback.filter({ hasText: 'already scanned' }).waitFor();
    const tubes = page.getByTestId('desk-tubes');
    for (const code of rolls) {
      await tubes
        .getByText(code)
        .waitFor()
        .catch(async (e) => {
          await screenshot(page, 'desk-pre-printed-failed');
          throw e;
        });
    }
    await screenshot(page, 'desk-pre-printed');

    await page.getByRole('button', { name: 'Register kit (5 tubes)' }).click();
    const codes = await kitCodes(page);
    assert.deepEqual([...codes].sort(), [...rolls].sort());
    await page.getByTestId('desk-labels-status').filter({ hasText: 'not asked for' }).waitFor();

    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
