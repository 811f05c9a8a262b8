// The settings screen: fixed sets are choices, several changes are saved together with one
// reason (and found so in the audit trail), a refused change set keeps nothing, and the
// choices take effect: dates everywhere follow the lab's date format and time zone, and the
// desk starts with the lab's standard kit.

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

const REASON = 'Lab moved to Berlin';

/** `iso` as the lab reads it in Berlin with dates written day.month.year. */
function inBerlinDots(iso) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: 'Europe/Berlin',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.day}.${parts.month}.${parts.year} ${parts.hour}:${parts.minute}:${parts.second}`;
}

async function openSettings(page) {
  await page.getByRole('link', { name: 'Settings' }).click();
  const form = page.getByTestId('settings-form');
  await form.waitFor();
  // The choices come from the core: wait until the time zones are listed.
  await form.locator('#setting-time-zone option[value="Europe/Berlin"]').waitFor({
    state: 'attached',
  });
  return form;
}

test('a lab manager picks a time zone and a date format, gives one reason, saves once', async () => {
  const manager = await core.token(DEMO.manager);
  const before = await core.call('get_settings', {}, manager);
  assert.equal(before.date_format, 'year_month_day');
  const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
  try {
    const form = await openSettings(page);
    const save = page.getByTestId('settings-save');
    assert.ok(await save.getByRole('button', { name: 'Save changes' }).isDisabled());

    // Fixed sets are choices: the zone from the core's list, the format shown with an example.
    await form.getByLabel('Time zone', { exact: true }).selectOption('Europe/Berlin');
    const dateFormat = form.getByLabel('Date format', { exact: true });
    const dots = dateFormat.locator('option[value="day_month_year_dots"]');
    assert.match(await dots.textContent(), /^\d{2}\.\d{2}\.\d{4} \(day\.month\.year\)$/);
    await dateFormat.selectOption('day_month_year_dots');

    // What will change is shown before saving: these two, nothing else.
    const changes = save.getByTestId('settings-changes').locator('li');
    await waitForCount(changes, 2);
    assert.match(await changes.nth(0).textContent(), /Time zone: UTC → Europe\/Berlin/);
    assert.match(await changes.nth(1).textContent(), /Date format: .*→ .*day\.month\.year/);
    await screenshot(page, 'settings-change-set');

    // No reason, no save: nothing is sent.
    await save.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('settings-error').filter({ hasText: 'reason' }).waitFor();
    assert.equal((await core.call('get_settings', {}, manager)).display_timezone, 'UTC');

    await save.getByLabel('Reason for the change', { exact: true }).fill(REASON);
    await save.getByRole('button', { name: 'Save changes' }).click();
    await page
      .getByTestId('settings-saved')
      .filter({ hasText: 'Saved: time zone, date format.' })
      .waitFor();
    const after = await core.call('get_settings', {}, manager);
    assert.equal(after.display_timezone, 'Europe/Berlin');
    assert.equal(after.date_format, 'day_month_year_dots');
    assert.equal(after.lab_name, before.lab_name, 'only the changed settings were sent');
    assert.equal(after.label_copies, before.label_copies);

    // One change set: one audit entry per setting, both with the one reason.
    await page.getByRole('link', { name: 'Audit trail' }).click();
    const filters = page.getByTestId('audit-filters');
    await filters.getByLabel('Action').fill('Settings changed');
    await filters.getByRole('button', { name: 'Apply' }).click();
    const rows = page.getByTestId('audit-table').locator('tbody tr').filter({ hasText: REASON });
    await waitForCount(rows, 2);
    const texts = await rows.allTextContents();
    assert.ok(
      texts.some((t) => /display_timezone/.test(t)),
      'the time zone change is there',
    );
    assert.ok(
      texts.some((t) => /date_format/.test(t)),
      'the date format change is there',
    );
    // The trail itself now writes dates the lab's new way.
    assert.match(texts[0], /\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a refused change set keeps nothing, and says which field and why', async () => {
  const manager = await core.token(DEMO.manager);
  const before = await core.call('get_settings', {}, manager);
  const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
  try {
    const form = await openSettings(page);
    await form.getByLabel('Time zone', { exact: true }).selectOption('Asia/Tokyo');
    await form.getByLabel('Lab name', { exact: true }).fill('');
    const save = page.getByTestId('settings-save');
    await waitForCount(save.getByTestId('settings-changes').locator('li'), 2);
    await save.getByLabel('Reason for the change', { exact: true }).fill('Tokyo branch');
    await save.getByRole('button', { name: 'Save changes' }).click();

    const alert = page.getByTestId('settings-error');
    await alert.filter({ hasText: 'Nothing was saved' }).waitFor();
    assert.match(await alert.textContent(), /Lab name must be 1 to 120 printable characters/);
    const beside = page.getByTestId('setting-lab-name-error');
    assert.match(await beside.textContent(), /^Lab name must be/);
    assert.equal(
      await form.getByLabel('Lab name', { exact: true }).getAttribute('aria-invalid'),
      'true',
    );
    await screenshot(page, 'settings-refused');

    // All or none: the time zone in the same set was not saved either.
    assert.deepEqual(await core.call('get_settings', {}, manager), before);
    const audit = await core.call(
      'list_audit',
      { page: 1, per_page: 50, order: 'desc', action: 'change_settings' },
      manager,
    );
    assert.equal(audit.items.filter((e) => e.reason === 'Tokyo branch').length, 0);

    // Typing a name again clears the field's error.
    await form.getByLabel('Lab name', { exact: true }).fill(before.lab_name);
    await beside.waitFor({ state: 'detached' });

    // Label printers are set in one place: shown here, changed under Printing → Label routing.
    await save.getByRole('button', { name: 'Undo my changes' }).click();
    const routing = page.getByTestId('settings-routing');
    assert.match(await routing.textContent(), /Sample labels go to\s*no printer yet/);
    assert.equal(await form.locator('#setting-sample-label-printer').count(), 0);
    await routing.getByRole('link', { name: 'Change label routing' }).click();
    const editor = page.getByTestId('label-routing');
    await editor.getByLabel('Sample label printer', { exact: true }).waitFor();
    await page.waitForFunction(() => {
      const box = document.querySelector('[data-testid="label-routing"]')?.getBoundingClientRect();
      return box !== undefined && box.top >= 0 && box.top < window.innerHeight / 2;
    });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("a sample's dates follow the lab's date format and time zone", async () => {
  const manager = await core.token(DEMO.manager);
  assert.equal((await core.call('get_settings', {}, manager)).date_format, 'day_month_year_dots');
  const found = await core.call(
    'search_participants',
    { query: '', page: 1, per_page: 50 },
    manager,
  );
  let sample = null;
  for (const p of found.items) {
    const samples = (await core.call('participant_samples', { participant_id: p.id }, manager))
      .items;
    if (samples.length > 0) {
      sample = samples[0];
      break;
    }
  }
  assert.ok(sample, 'the demo lab has a sample');
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    await page.getByLabel('Scan or type a code').fill(sample.code);
    await page.getByTestId('code-entry').getByRole('button', { name: 'Open' }).click();
    const facts = page.getByTestId('sample-facts');
    await facts.waitFor();
    const collected = facts.locator('time').first();
    assert.equal(await collected.getAttribute('datetime'), sample.collected_at);
    const shown = await collected.textContent();
    assert.ok(
      shown.startsWith(inBerlinDots(sample.collected_at)),
      `"${shown}" is ${sample.collected_at} in Berlin, written day.month.year`,
    );
    assert.match(shown, /^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2} /);
    await screenshot(page, 'settings-sample-dates');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("the desk starts with the lab's standard kit, not the first one listed", async () => {
  const desk = await core.token(DEMO.desk);
  const site = (await core.call('list_sites', { per_page: 200 }, desk)).items.find(
    (x) => x.code === 'NORTH',
  );
  // Registered ahead with a consent date of the core's UTC day, which is never after the
  // lab's (Berlin's) today, whatever the time of day.
  const participant = await core.call(
    'register_participant',
    { site_id: site.id, consent: 'given', consent_date: new Date().toISOString().slice(0, 10) },
    desk,
  );
  const { page, context, errors } = await signedInPage(browser, core, DEMO.desk);
  try {
    await page.getByRole('link', { name: 'Registration desk' }).click();
    await page.getByLabel('Collection site').selectOption({ label: 'NORTH · North Clinic' });
    await page.getByLabel('Field event').selectOption({ index: 0 });
    const find = page.getByTestId('desk-find');
    await find.getByLabel(/Scan the participant card/).fill(participant.code);
    await find.getByRole('button', { name: 'Find' }).click();
    await find.getByRole('button', { name: new RegExp(participant.code) }).click();
    const kit = page.getByTestId('desk-kit');
    await kit.waitFor();
    const radios = kit.getByRole('radio');
    await waitForCount(radios, 2);
    // Listed by name, the standard kit is second; it is the one chosen.
    assert.match(await kit.locator('.desk-template').first().textContent(), /Saliva only/);
    const standard = kit.getByLabel(/Standard blood and urine/);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="desk-kit"] input[type="radio"]:checked') !== null,
    );
    assert.ok(await standard.isChecked(), 'the standard kit is preselected');
    assert.equal(
      (await kit.getByTestId('desk-standard-kit').textContent()).trim(),
      'Standard blood and urine is the lab’s standard kit.',
    );
    await kit.getByRole('button', { name: 'Register kit (5 tubes)' }).waitFor();
    await screenshot(page, 'settings-desk-standard-kit');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
