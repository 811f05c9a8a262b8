// A bench day in the browser, at 1366×768: a kit registered at the desk, its tubes received
// on the Receiving screen by scanning (and CONFIRM), placed in a box by scanning (a
// participant's tubes side by side), and one found again by scanning it; a second kit's tube
// received and placed in one step with CONFIRM. Every action is counted: between the first and
// the last scan of each scan loop there is no mouse click, and each loop scans one wrong thing
// whose refusal says what to do next. Also: the manifest of expected tubes, a
// consent-withdrawn tube flagged in the batch, and placing with "Receive tubes as they are
// placed" on.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO,
  launchBrowser,
  screenshot,
  signedInPage,
  startCore,
  VIEWPORT,
  waitForCount,
  wedgeScan,
} from './harness.mjs';

let core;
let browser;
let desk;
let tech;

before(async () => {
  [core, browser] = await Promise.all([startCore({ demo: true }), launchBrowser()]);
  [desk, tech] = await Promise.all([core.token(DEMO.desk), core.token(DEMO.tech)]);
});

after(async () => {
  await browser?.close();
  await core?.stop();
});

const WIDE = { width: 1920, height: 1080 };

/**
 * Every action a person takes, in order: scans, key presses and clicks (the mouse). `loop`
 * marks a scan loop; `endLoop` checks that no click came between its first and last scan.
 */
function actions() {
  const log = [];
  const loops = [];
  return {
    log,
    async scan(page, code) {
      log.push({ kind: 'scan', what: code });
      await wedgeScan(page, code);
    },
    async press(page, key) {
      log.push({ kind: 'key', what: key });
      await page.keyboard.press(key);
    },
    async click(locator, what) {
      log.push({ kind: 'click', what });
      await locator.click();
    },
    async check(locator, what) {
      log.push({ kind: 'click', what });
      await locator.check();
    },
    async uncheck(locator, what) {
      log.push({ kind: 'click', what });
      await locator.uncheck();
    },
    async select(locator, option, what) {
      log.push({ kind: 'click', what });
      await locator.selectOption(option);
    },
    loop(name) {
      loops.push({ name, start: log.length });
    },
    endLoop() {
      const loop = loops[loops.length - 1];
      const steps = log.slice(loop.start);
      const first = steps.findIndex((s) => s.kind === 'scan');
      const last = steps.findLastIndex((s) => s.kind === 'scan');
      assert.ok(first >= 0, `the ${loop.name} loop has scans`);
      const between = steps.slice(first, last + 1);
      const clicks = between.filter((s) => s.kind === 'click').map((s) => s.what);
      assert.deepEqual(clicks, [], `no mouse action between the scans of the ${loop.name} loop`);
      loop.counts = tally(between);
      return loop.counts;
    },
    loops,
  };
}

function tally(steps) {
  const n = (kind) => steps.filter((s) => s.kind === kind).length;
  return { scans: n('scan'), keys: n('key'), clicks: n('click') };
}

function countsText({ scans, keys, clicks }) {
  const plural = (k, one, many) => `${k} ${k === 1 ? one : many}`;
  return `${plural(scans, 'scan', 'scans')}, ${plural(keys, 'key press', 'key presses')}, ${plural(clicks, 'click', 'clicks')}`;
}

/** Screenshots at 1366×768, then at 1920×1080 (the layout watch checks both), then back. */
async function shots(page, name) {
  await screenshot(page, `${name}-1366`);
  await page.setViewportSize(WIDE);
  await page.waitForTimeout(300);
  await screenshot(page, `${name}-1920`);
  await page.setViewportSize(VIEWPORT);
  await page.waitForTimeout(300);
}

const feedbackBar = (page) => page.getByTestId('scan-feedback');

/** The scan feedback bar says `text` in `tone`, with a next step of its own. */
async function feedbackSays(page, tone, text) {
  const bar = feedbackBar(page);
  await bar.filter({ hasText: text }).waitFor();
  assert.equal(await bar.getAttribute('data-tone'), tone);
  if (tone !== 'accepted') await hasNextStep(bar, text);
}

/** The refusal convention: the element holds a `[data-next-step]` with words in it. */
async function hasNextStep(locator, what) {
  const step = locator.locator('[data-next-step]');
  assert.equal(await step.count(), 1, `${what}: one next step`);
  const text = (await step.textContent()).trim();
  assert.ok(text.length > 10, `${what}: the next step says something (“${text}”)`);
  return text;
}

async function storedTube() {
  const boxes = await core.call(
    'list_boxes',
    { search: 'F1-R1-B1', sort: 'name', order: 'asc', page: 1, per_page: 5 },
    tech,
  );
  const map = await core.call('get_box', { id: boxes.items[0].id }, tech);
  const tube = map.wells.find((w) => w.status === 'stored');
  assert.ok(tube);
  return tube;
}

/** A box that already holds tubes and still has room for ten, so adjacency means something. */
async function boxWithRoom() {
  const page = await core.call(
    'list_boxes',
    { has_space: true, sort: 'name', order: 'asc', page: 1, per_page: 100 },
    tech,
  );
  const grids = page.items.filter((b) => b.layout.kind === 'grid' && b.capacity - b.occupied >= 10);
  const box = grids.find((b) => b.occupied > 0) ?? grids[0];
  assert.ok(box, 'a demo box has room');
  return box;
}

async function standardKit() {
  const templates = (await core.call('list_kit_templates', { per_page: 200 }, desk)).items;
  const kit = templates.find((t) => t.name.startsWith('Standard blood and urine'));
  assert.ok(kit);
  return kit;
}

/** A participant with a freshly collected standard kit, registered through the API. */
async function kitThroughApi({ eventId = null, withdrawn = false } = {}) {
  const [site] = (await core.call('list_sites', { per_page: 200 }, desk)).items;
  const today = new Date().toISOString().slice(0, 10);
  const participant = await core.call(
    'register_participant',
    { site_id: site.id, consent: 'given', consent_date: today },
    desk,
  );
  if (eventId) {
    await core.call(
      'check_in_participant',
      { event_id: eventId, participant_id: participant.id },
      desk,
    );
  }
  const kit = await core.call(
    'register_kit',
    {
      participant_id: participant.id,
      template_id: (await standardKit()).id,
      ...(eventId ? { event_id: eventId } : {}),
      collected_at: new Date().toISOString(),
      collector: 'E2E collector',
    },
    desk,
  );
  if (withdrawn) {
    await core.call(
      'record_consent',
      {
        participant_id: participant.id,
        consent: 'withdrawn',
        consent_date: today,
        reason: 'asked to leave the study',
      },
      desk,
    );
  }
  return { participant, samples: kit.samples };
}

/** "A3" → its place in the box's well order (row by row), for a grid of `columns`. */
function wellIndex(position, columns) {
  const m = /^([A-Z])0*(\d+)$/.exec(position);
  assert.ok(m, `a grid position: ${position}`);
  return (m[1].charCodeAt(0) - 65) * columns + Number(m[2]) - 1;
}

async function openReceiving(page, act) {
  await act.click(page.getByRole('link', { name: 'Receiving' }), 'Receiving in the navigation');
  await page.getByRole('heading', { name: 'Receiving' }).waitFor();
  const field = page.getByLabel('Scan a tube');
  await field.waitFor();
  assert.equal(await field.evaluate((el) => el === document.activeElement), true);
}

test('bench day: register a kit, receive it, place it and find a tube, all by scanning', async () => {
  const act = actions();
  const wrongTube = await storedTube();
  const box = await boxWithRoom();
  const second = await kitThroughApi();

  // ---- the desk registers a participant's kit at a field event
  let codes;
  let participant;
  {
    const { page, context, errors } = await signedInPage(browser, core, DEMO.desk);
    try {
      await act.click(page.getByRole('link', { name: 'Registration desk' }), 'Registration desk');
      await page.getByRole('heading', { name: 'Registration desk' }).waitFor();
      await act.select(
        page.getByLabel('Collection site'),
        { label: 'NORTH · North Clinic' },
        'site',
      );
      await act.select(page.getByLabel('Field event'), { index: 1 }, 'field event');
      const form = page.getByTestId('desk-new-participant');
      await act.check(form.getByLabel('The participant signed the consent form'), 'consent');
      await act.click(
        form.getByRole('button', { name: 'Register participant' }),
        'Register participant',
      );
      const code = page.getByTestId('desk-participant-code');
      await code.waitFor();
      participant = (await code.textContent()).trim();
      const otherDay = page.getByTestId('desk-other-day');
      await otherDay.waitFor();
      await act.click(otherDay.getByRole('button', { name: /^Check in to / }), 'check in');
      await page.getByTestId('desk-check-in').filter({ hasText: 'Community' }).waitFor();
      const kit = page.getByTestId('desk-kit');
      await act.check(kit.getByLabel(/Standard blood and urine/), 'standard kit');
      const print = kit.getByLabel("Print the kit's labels now");
      // No label printer in this test.
      if (await print.isChecked()) await act.uncheck(print, 'labels off');
      await act.click(kit.getByRole('button', { name: 'Register kit (5 tubes)' }), 'Register kit');
      const table = page.getByTestId('desk-kit-samples');
      await table.waitFor();
      codes = (await table.locator('tbody tr td:first-child').allTextContents()).map((t) =>
        t.trim(),
      );
      assert.equal(codes.length, 5);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  }
  const deskCounts = tally(act.log);
  const deskSteps = act.log.length;

  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    // ---- receiving: the five tubes, a tube already in the lab, an unknown code, a repeat
    await openReceiving(page, act);
    act.loop('receiving');
    await act.scan(page, codes[0]);
    await feedbackSays(page, 'accepted', `${codes[0]} added: 1 tube to receive.`);
    await act.scan(page, codes[1]);
    await act.scan(page, wrongTube.code);
    await feedbackSays(page, 'refused', `${wrongTube.code} was not added to the batch`);
    await act.scan(page, codes[2]);
    await act.scan(page, codes[0]);
    await feedbackSays(page, 'refused', `${codes[0]} is already in this batch`);
    await act.scan(page, 'ZZNOSUCH404');
    await feedbackSays(page, 'unknown', 'ZZNOSUCH404 was not added to the batch');
    await act.scan(page, codes[3]);
    await act.scan(page, codes[4]);
    await page.getByTestId('receive-count').filter({ hasText: '5 tubes to receive' }).waitFor();
    await page.getByRole('button', { name: 'Receive 5 tubes' }).waitFor();
    const batch = page.getByTestId('receive-batch');
    await waitForCount(batch.locator('tbody tr'), 5);
    // The unexpected ones are called out apart, each with what to do next.
    const odd = page.getByTestId('receive-unexpected').locator('li');
    await waitForCount(odd, 2);
    for (const code of [wrongTube.code, 'ZZNOSUCH404']) {
      await hasNextStep(
        page.locator(`[data-testid="receive-unexpected"] li[data-code="${code}"]`),
        code,
      );
    }
    await shots(page, 'receiving');
    await act.scan(page, 'AQCMD:CONFIRM');
    const result = page.getByTestId('receive-result');
    await result.filter({ hasText: '5 tubes received' }).waitFor();
    await feedbackSays(page, 'accepted', '5 tubes received');
    await page.getByTestId('receive-place').waitFor();
    await screenshot(page, 'receiving-received-1366');
    for (const code of codes) {
      const found = await core.call('lookup_scan', { code }, tech);
      assert.equal(found.sample.status, 'received', `${code} is received`);
    }
    // The next step is one key away: the focus is on it.
    const place = page.getByRole('button', { name: 'Place these tubes in a box' });
    assert.equal(await place.evaluate((el) => el === document.activeElement), true);
    const receiving = act.endLoop();

    // ---- placing: scan the box, then the tubes; an unknown code; a collected tube of the
    // second kit received and placed with CONFIRM; CANCEL ends placing
    act.loop('placement');
    await act.scan(page, box.barcode);
    await page.getByRole('heading', { name: `Box ${box.name}` }).waitFor();
    await page.getByTestId('placement-panel').waitFor();
    const map = page.getByTestId('box-map');
    const well = (code) => map.locator(`[data-code="${code}"]`);
    for (const code of codes) {
      await act.scan(page, code);
      await well(code).waitFor();
    }
    await act.scan(page, 'ZZNOSUCH405');
    await feedbackSays(page, 'unknown', 'No tube has the code ZZNOSUCH405. Nothing was placed.');
    const positions = [];
    for (const code of codes) positions.push(await well(code).getAttribute('data-position'));
    const columns = box.layout.columns;
    const order = positions.map((p) => wellIndex(p, columns)).sort((a, b) => a - b);
    assert.equal(
      order[order.length - 1] - order[0],
      codes.length - 1,
      `${participant}'s tubes are side by side: ${positions.join(', ')}`,
    );
    await shots(page, 'placement');

    const direct = second.samples[0];
    await act.scan(page, direct.code);
    await feedbackSays(page, 'refused', `${direct.code} has not been received yet`);
    const offer = page.getByTestId('receive-and-place');
    await offer.getByRole('button', { name: 'Receive and place' }).waitFor();
    assert.match(await hasNextStep(offer, 'not received'), /Scan CONFIRM/);
    assert.match(await hasNextStep(feedbackBar(page), 'not received'), /Scan CONFIRM/);
    await screenshot(page, 'placement-receive-1366');
    await act.scan(page, 'AQCMD:CONFIRM');
    await well(direct.code).waitFor();
    await feedbackSays(page, 'accepted', `${direct.code} received and placed at`);
    await offer.waitFor({ state: 'detached' });
    const placed = await core.call('get_sample', { id: direct.id }, tech);
    assert.equal(placed.sample.status, 'stored');
    assert.equal(placed.sample.location.box_id, box.id);

    await act.scan(page, 'AQCMD:CANCEL');
    await page.getByTestId('placement-panel').waitFor({ state: 'detached' });
    const placement = act.endLoop();
    await shots(page, 'boxmap');

    // ---- finding a tube again: scan it anywhere; an unknown code first
    act.loop('finding');
    await act.scan(page, 'ZZNOSUCH406');
    await feedbackSays(page, 'unknown', 'No sample, box or participant has the code ZZNOSUCH406');
    await act.scan(page, codes[2]);
    await page.getByTestId('sample-page').waitFor();
    assert.equal((await page.getByTestId('sample-code').textContent()).trim(), codes[2]);
    const where = page.getByTestId('sample-location');
    await where.filter({ hasText: box.name }).waitFor();
    assert.match(await where.textContent(), new RegExp(`${box.name}\\s*·\\s*${positions[2]}\\b`));
    const finding = act.endLoop();

    const total = tally(act.log);
    const bench = tally(act.log.slice(deskSteps));
    log(`bench day: ${countsText(total)}`);
    log(`  at the desk: ${countsText(deskCounts)}`);
    log(`  at the bench: ${countsText(bench)}`);
    for (const [name, counts] of [
      ['receiving', receiving],
      ['placement', placement],
      ['finding', finding],
    ]) {
      log(`  ${name} loop (first to last scan): ${countsText(counts)}`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the manifest lists the tubes expected from an event, marks the scanned ones and counts the missing', async () => {
  const [site] = (await core.call('list_sites', { per_page: 200 }, desk)).items;
  const me = await core.call('whoami', {}, desk);
  const event = await core.call(
    'create_field_event',
    {
      site_id: site.id,
      name: 'Manifest day',
      date: new Date().toISOString().slice(0, 10),
      coordinator_id: me.user.id,
    },
    desk,
  );
  const kit = await kitThroughApi({ eventId: event.id });
  const withdrawn = await kitThroughApi({ withdrawn: true });

  const act = actions();
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    await openReceiving(page, act);
    await act.click(page.getByRole('button', { name: 'Expected tubes' }), 'manifest');
    const manifest = page.getByTestId('manifest');
    await act.select(
      manifest.getByLabel('Field event'),
      {
        label: (await manifest.locator('option', { hasText: 'Manifest day' }).textContent()).trim(),
      },
      'event',
    );
    const counts = page.getByTestId('manifest-counts');
    await counts.filter({ hasText: '5 tubes expected' }).waitFor();
    await waitForCount(manifest.locator('tbody tr[data-scanned="no"]'), 5);

    await act.scan(page, kit.samples[0].code);
    await act.scan(page, kit.samples[1].code);
    await counts.filter({ hasText: '2 scanned into this batch · 3 still missing' }).waitFor();
    await waitForCount(manifest.locator('tbody tr[data-scanned="yes"]'), 2);
    await screenshot(page, 'receiving-manifest-1366');
    assert.equal(
      await manifest.locator(`tr[data-code="${kit.samples[0].code}"]`).getAttribute('data-scanned'),
      'yes',
    );

    // A tube whose participant withdrew consent joins the batch, flagged, with what to do.
    await act.scan(page, withdrawn.samples[0].code);
    await feedbackSays(page, 'warning', `${withdrawn.samples[0].code} added (3 tubes to receive)`);
    await act.click(page.getByRole('button', { name: 'This batch (3)' }), 'batch view');
    const flagged = page.locator(
      `[data-testid="receive-unexpected"] li[data-code="${withdrawn.samples[0].code}"]`,
    );
    await flagged.waitFor();
    assert.match(await hasNextStep(flagged, 'consent withdrawn'), /request its discard/);
    await page
      .getByTestId('receive-batch')
      .locator(`tr[data-code="${withdrawn.samples[0].code}"]`)
      .getByText('Consent withdrawn')
      .waitFor();

    // UNDO takes the last back; CANCEL clears the batch; nothing was received.
    await act.scan(page, 'AQCMD:UNDO');
    await page.getByTestId('receive-count').filter({ hasText: '2 tubes to receive' }).waitFor();
    await act.scan(page, 'AQCMD:CANCEL');
    await page.getByTestId('receive-count').filter({ hasText: '0 tubes to receive' }).waitFor();
    await act.scan(page, 'AQCMD:CONFIRM');
    await feedbackSays(page, 'refused', 'There is nothing to receive yet.');

    // The button commits too: Tab from the scan field, Enter.
    await act.scan(page, kit.samples[2].code);
    await page.getByTestId('receive-count').filter({ hasText: '1 tube to receive' }).waitFor();
    await page.getByLabel('Scan a tube').focus();
    await act.press(page, 'Tab');
    const commit = page.getByRole('button', { name: 'Receive 1 tube' });
    assert.equal(await commit.evaluate((el) => el === document.activeElement), true);
    await act.press(page, 'Enter');
    await page.getByTestId('receive-result').filter({ hasText: '1 tube received' }).waitFor();
    for (const s of [kit.samples[0], kit.samples[1], withdrawn.samples[0]]) {
      const found = await core.call('lookup_scan', { code: s.code }, tech);
      assert.equal(found.sample.status, 'collected', `${s.code} was not received`);
    }
    // The manifest has one fewer to expect.
    await act.click(page.getByRole('button', { name: 'Expected tubes' }), 'manifest');
    await counts.filter({ hasText: '4 tubes expected' }).waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('with "Receive tubes as they are placed" on, collected tubes are received and placed at once', async () => {
  const box = await boxWithRoom();
  const kit = await kitThroughApi();
  const act = actions();
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    await act.scan(page, box.barcode);
    await page.getByRole('heading', { name: `Box ${box.name}` }).waitFor();
    await act.click(page.getByRole('button', { name: 'Place tubes' }), 'Place tubes');
    await act.check(page.getByLabel('Receive tubes as they are placed'), 'receive as placed');
    await page.getByLabel('Scan a tube').focus();
    for (const s of kit.samples.slice(0, 2)) {
      await act.scan(page, s.code);
      await page.getByTestId('box-map').locator(`[data-code="${s.code}"]`).waitFor();
      await feedbackSays(page, 'accepted', `${s.code} received and placed at`);
    }
    assert.equal(await page.getByTestId('receive-and-place').count(), 0);
    for (const s of kit.samples.slice(0, 2)) {
      const found = await core.call('get_sample', { id: s.id }, tech);
      assert.equal(found.sample.status, 'stored');
    }
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

function log(line) {
  console.log(line);
}
