// The registration desk in the browser: register a participant at a field event, register
// their kit in one step and see its labels arrive at the (fake, TCP 9100) Zebra with the
// right codes; bind pre-printed tubes by scanning; an unknown code is refused plainly.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO,
  RESULTS,
  checkScreen,
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
    'change_settings',
    { settings: [{ key: 'sample_label_printer', value: 'Desk Zebra' }], reason: 'desk printer' },
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

/**
 * `locator` is in the window with the page scrolled to its top (no scrolling needed to reach
 * it), and nothing lies over it.
 */
async function assertInViewUnscrolled(page, locator, what) {
  await page.locator('.shell-main').evaluate((main) => {
    main.scrollTop = 0;
  });
  const box = await locator.boundingBox();
  const { width, height } = page.viewportSize();
  assert.ok(
    box && box.y >= 0 && box.x >= 0 && box.y + box.height <= height && box.x + box.width <= width,
    `${what} is in the ${width}×${height} window without scrolling: ${JSON.stringify(box)}`,
  );
  const reachable = await locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit !== null && el.contains(hit);
  });
  assert.ok(reachable, `${what} is not covered by anything`);
}

/** Today in `timeZone`, as "YYYY-MM-DD". */
function dayIn(timeZone, at = new Date()) {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
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

    // The new participant form's submit is in the window at 1366×768 without scrolling.
    await assertInViewUnscrolled(
      page,
      page.getByRole('button', { name: 'Register participant' }),
      'Register participant',
    );
    const participant = await registerNewParticipant(page);
    assert.match(participant, /^P\d+[0-9A-Z]$/);
    // The demo lab's event was on another day: the desk asks before checking anyone in to it.
    const otherDay = page.getByTestId('desk-other-day');
    await otherDay.waitFor();
    assert.match(await otherDay.textContent(), new RegExp(`${eventName} was on`));
    await screenshot(page, 'desk-other-day');
    await otherDay.getByRole('button', { name: `Check in to ${eventName}` }).click();
    await page.getByTestId('desk-check-in').filter({ hasText: eventName }).waitFor();

    const kit = page.getByTestId('desk-kit');
    await kit.getByLabel(/Standard blood and urine/).check();
    await assertInViewUnscrolled(
      page,
      kit.getByRole('button', { name: 'Register kit (5 tubes)' }),
      'Register kit',
    );
    await checkScreen(page, 'the kit step at 1366×768');
    await screenshot(page, 'desk-kit-step');
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
    const samples = (
      await core.call('participant_samples', { participant_id: found.participant.id }, token)
    ).items;
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
    // Today's event: checked in at once, nothing asked.
    await page.getByTestId('desk-check-in').filter({ hasText: 'Market day, Elm Street' }).waitFor();
    assert.equal(await page.getByTestId('desk-other-day').count(), 0);
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

test("an event on another day is found with the lab's time zone, not the workstation's", async () => {
  const manager = await core.token(DEMO.manager);
  const desk = await core.token(DEMO.desk);
  // A lab zone whose today is not UTC's (the browser's zone here) at this time of day.
  const zone = new Date().getUTCHours() >= 10 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
  const labToday = dayIn(zone);
  const utcToday = dayIn('UTC');
  assert.notEqual(labToday, utcToday);
  const before = await core.call('get_settings', {}, manager);
  // The lab's zone, and its way of writing dates (day/month/year here), in one change set.
  const setZone = (value, dateFormat) =>
    core.call(
      'change_settings',
      {
        settings: [
          { key: 'display_timezone', value },
          { key: 'date_format', value: dateFormat },
        ],
        reason: 'lab zone test',
      },
      manager,
    );
  await setZone(zone, 'day_month_year_slashes');
  const site = (await core.call('list_sites', { per_page: 200 }, desk)).items.find(
    (x) => x.code === 'NORTH',
  );
  const me = await core.call('whoami', {}, desk);
  // Registered ahead, consenting on the lab's today (the core judges "not in the future" by
  // the lab's day too), and found at the desk by scanning their cards.
  const participants = [];
  for (let i = 0; i < 2; i += 1) {
    participants.push(
      await core.call(
        'register_participant',
        { site_id: site.id, consent: 'given', consent_date: labToday },
        desk,
      ),
    );
  }
  for (const [name, date] of [
    ['Lab day', labToday],
    ['UTC day', utcToday],
  ]) {
    await core.call(
      'create_field_event',
      { site_id: site.id, name, date, coordinator_id: me.user.id },
      desk,
    );
  }

  const { page, context, errors } = await signedInPage(browser, core, DEMO.desk);
  try {
    await openDesk(page);
    await page.getByLabel('Collection site').selectOption({ label: 'NORTH · North Clinic' });
    const eventField = page.getByLabel('Field event');
    const option = (name) => eventField.locator('option', { hasText: name });
    await option('Lab day').waitFor({ state: 'attached' });
    // Dates are written the lab's way (its date format), not as the stored ISO text.
    const [year, month, day] = labToday.split('-');
    assert.equal(
      (await option('Lab day').textContent()).trim(),
      `Lab day · ${day}/${month}/${year}`,
    );
    await eventField.selectOption({ label: await option('Lab day').textContent() });

    // The lab's today: checked in without a question.
    await page.getByTestId('desk-find').waitFor();
    await wedgeScan(page, participants[0].code);
    await page.getByTestId('desk-check-in').filter({ hasText: 'Lab day' }).waitFor();
    assert.equal(await page.getByTestId('desk-other-day').count(), 0);
    // The collection time starts at the lab's wall clock.
    assert.ok(
      (await page.getByLabel('Collected at (lab time)').inputValue()).startsWith(labToday),
      'collected at starts on the lab day',
    );

    // The workstation's (UTC) today is another day for the lab: asked, and declined.
    await page.getByRole('button', { name: 'Another participant' }).click();
    await eventField.selectOption({ label: await option('UTC day').textContent() });
    await page.getByTestId('desk-find').waitFor();
    await wedgeScan(page, participants[1].code);
    const otherDay = page.getByTestId('desk-other-day');
    await otherDay.waitFor();
    assert.match(await otherDay.textContent(), new RegExp(zone));
    await otherDay.getByRole('button', { name: 'Don’t check in' }).click();
    await page.getByTestId('desk-not-checked-in').waitFor();
    assert.equal(await page.getByTestId('desk-check-in').textContent(), '');

    // One tube, in the singular; registered without the event it was not checked in to.
    const kit = page.getByTestId('desk-kit');
    const saliva = kit.locator('label', { hasText: 'Saliva only' });
    assert.match(await saliva.textContent(), /· 1 tube:/);
    await saliva.getByRole('radio').check();
    await kit.getByLabel("Print the kit's labels now").uncheck();
    await kit.getByRole('button', { name: 'Register kit (1 tube)' }).click();
    await page
      .getByTestId('desk-done')
      .getByRole('heading', { name: /: 1 tube$/ })
      .waitFor();
    const [tube] = await kitCodes(page);
    const found = await core.call('lookup_scan', { code: tube }, desk);
    assert.equal(found.sample.event_id, null);
    assert.deepEqual(errors, []);
  } finally {
    await setZone(before.display_timezone, before.date_format);
    await context.close();
  }
});
