// Samples: a tube opened by scanning; only the allowed next statuses are offered; aliquots
// appear in its lineage; a technician's discard request is approved by a lab manager and
// the tube is disposed; a stored tube is taken out of its box onto the bench.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO,
  launchBrowser,
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
      name: 'Bench Zebra',
      address: zebra.address,
      language: 'zpl',
      dpi: 300,
      stock: 'cryovial',
      darkness: null,
    },
    manager,
  );
  await core.call(
    'change_settings',
    { settings: [{ key: 'sample_label_printer', value: 'Bench Zebra' }], reason: 'bench printer' },
    manager,
  );
});

after(async () => {
  await browser?.close();
  await zebra?.close();
  await core?.stop();
});

/** A newly registered kit's first tube (status "collected"). */
async function freshTube() {
  const desk = await core.token(DEMO.desk);
  const sites = (await core.call('list_sites', { per_page: 200 }, desk)).items;
  const site = sites.find((s) => s.code === 'NORTH');
  const participant = await core.call(
    'register_participant',
    { site_id: site.id, consent: 'given', consent_date: '2026-11-01' },
    desk,
  );
  const templates = (await core.call('list_kit_templates', { per_page: 200 }, desk)).items;
  const kit = await core.call(
    'register_kit',
    {
      participant_id: participant.id,
      template_id: templates.find((t) => t.name.startsWith('Standard')).id,
      collected_at: new Date().toISOString(),
      collector: 'Desk',
    },
    desk,
  );
  return { participant, sample: kit.samples[0] };
}

test('a tube opened by scanning offers only its allowed next statuses; aliquots show in its lineage', async () => {
  const { participant, sample } = await freshTube();
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    const scanner = page.getByTestId('status-bar').getByTestId('status-scanner');
    await scanner.filter({ hasText: 'Scanner: none' }).waitFor();
    await wedgeScan(page, sample.code);
    await page.waitForURL(`**/#/sample/${sample.id}`);
    await page.getByTestId('sample-code').filter({ hasText: sample.code }).waitFor();
    assert.equal(await page.getByTestId('sample-status').getAttribute('data-status'), 'collected');
    // The wedge scan showed the keyboard scanner works; the status bar says so.
    await scanner.filter({ hasText: 'Scanner: keyboard' }).waitFor();
    assert.equal(await scanner.getAttribute('data-tone'), 'ok');

    // Routine actions first, then the other status changes; "Request discard" last, apart
    // and quiet.
    const actions = page.getByTestId('sample-actions');
    const named = (await actions.getByRole('button').allTextContents()).map((t) => t.trim());
    const at = (name) => {
      const i = named.indexOf(name);
      assert.ok(i >= 0, `${name} in ${named.join(', ')}`);
      return i;
    };
    assert.ok(at('Mark received') < at('Make aliquots…'), named.join(', '));
    assert.ok(at('Make aliquots…') < at('Print its label'), named.join(', '));
    assert.ok(at('Print its label') < at('Mark in transit'), named.join(', '));
    assert.equal(at('Request discard…'), named.length - 1, named.join(', '));
    const discard = actions.getByTestId('sample-discard').getByRole('button');
    assert.equal((await discard.textContent()).trim(), 'Request discard…');
    assert.doesNotMatch(await discard.getAttribute('class'), /button-(danger|primary)/);
    assert.match(
      await actions.getByRole('button', { name: 'Mark received' }).getAttribute('class'),
      /button-primary/,
    );
    // Every status the core offers, and nothing else.
    const offered = named.filter((t) => t.startsWith('Mark ')).sort();
    const expected = sample.next_statuses.map((s) => `Mark ${s.replace('_', ' ')}`).sort();
    assert.deepEqual(offered, expected);
    // Never in a freezer: no time out of one.
    assert.equal(await page.getByTestId('sample-time-out').count(), 0);
    assert.doesNotMatch(await page.getByTestId('sample-facts').textContent(), /freezer/i);
    await screenshot(page, 'sample-collected');

    await page.getByRole('button', { name: /Mark received/i }).click();
    await page
      .getByTestId('transition-form')
      .getByRole('button', { name: /Mark received/i })
      .click();
    await page.getByTestId('sample-notice').filter({ hasText: 'is now received' }).waitFor();
    // The page reloads the tube: the status it shows is the core's.
    await page.locator('[data-testid="sample-status"][data-status="received"]').waitFor();
    assert.equal(
      await actions.getByRole('button', { name: /Mark received/i }).count(),
      0,
      'the status it has is no longer offered',
    );

    await page.getByRole('button', { name: 'Make aliquots…' }).click();
    const form = page.getByTestId('aliquots-form');
    await form.getByLabel('How many').fill('2');
    await form.getByLabel('Volume of each (µl)').fill('100');
    await form.getByRole('button', { name: 'Make aliquots' }).click();
    await page.getByTestId('sample-notice').filter({ hasText: '2 aliquots made' }).waitFor();
    const aliquots = page.getByTestId('aliquots').getByRole('link');
    await aliquots.nth(1).waitFor();
    assert.equal(await aliquots.count(), 2);
    await page.getByTestId('history').filter({ hasText: 'Collected → Received' }).waitFor();
    // Its label, printed again from its page, is listed there and reaches the printer.
    const printed = page.getByTestId('labels-printed');
    assert.match(await printed.textContent(), /No label of this tube/);
    await page.getByRole('button', { name: 'Print its label' }).click();
    await printed.getByText(/on Bench Zebra · printed/).waitFor();
    await zebra.waitFor((z) => z.labels().length === 1, 'one label');
    assert.ok(zebra.labels()[0].includes(sample.code));
    // The history says what happened in words, never a command's or a path's name.
    await page.getByTestId('history').getByText('Label printed').waitFor();
    const words = await page.getByTestId('history').textContent();
    assert.match(words, /Collected \(kit registered\)/);
    assert.doesNotMatch(words, /[a-z]+_[a-z]+/);
    await screenshot(page, 'sample-page');

    // An aliquot's page names its parent; the participant page lists all three.
    await aliquots.first().click();
    await page.getByText(`Made from ${sample.code}`).waitFor();
    await page.getByRole('link', { name: participant.code }).click();
    const rows = page.getByTestId('participant-samples').locator('tbody tr');
    await rows.nth(6).waitFor();
    assert.equal(await rows.count(), 7, 'five kit tubes and two aliquots');
    await screenshot(page, 'participant-page');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a technician requests a discard; a lab manager approves it; the tube is disposed', async () => {
  const tech = await core.token(DEMO.tech);
  const boxes = await core.call(
    'list_boxes',
    { sort: 'name', order: 'asc', page: 1, per_page: 20 },
    tech,
  );
  const filled = boxes.items.filter((b) => b.occupied > 2)[2];
  const well = (await core.call('get_box', { id: filled.id }, tech)).wells[2];

  const asTech = await signedInPage(browser, core, DEMO.tech);
  try {
    const { page } = asTech;
    await wedgeScan(page, well.code);
    await page.waitForURL(`**/#/sample/${well.sample_id}`);
    // A stored tube has been in a freezer: its time out of one is shown, and its placement is
    // told in words.
    await page.getByTestId('sample-time-out').waitFor();
    await page
      .getByTestId('history')
      .filter({ hasText: /Placed in box at \w+/ })
      .waitFor();
    assert.doesNotMatch(await page.getByTestId('history').textContent(), /[a-z]+_[a-z]+/);
    await page.getByRole('button', { name: 'Request discard…' }).click();
    const form = page.getByTestId('discard-form');
    await form.getByRole('button', { name: 'Request discard' }).click();
    await form.getByRole('alert').filter({ hasText: 'Say why' }).waitFor();
    await form.getByLabel('Reason').fill('thawed in a power cut');
    await form.getByRole('button', { name: 'Request discard' }).click();
    await page.getByTestId('sample-notice').filter({ hasText: 'Discard of' }).waitFor();
    assert.equal(await page.getByTestId('sample-status').getAttribute('data-status'), 'stored');
    // The page says a request is waiting, and a second one cannot be made.
    await page
      .getByTestId('discard-pending')
      .filter({ hasText: 'thawed in a power cut' })
      .waitFor();
    assert.ok(await page.getByRole('button', { name: 'Request discard…' }).isDisabled());
    await page.getByTestId('history').filter({ hasText: 'Discard requested' }).waitFor();
    // The banner leads to the technician's list, which holds the request without decision buttons.
    await page
      .getByTestId('discard-pending')
      .getByRole('link', { name: 'Discard requests' })
      .click();
    const mine = page.getByTestId('discard-requests').locator(`tr[data-sample="${well.code}"]`);
    await mine.waitFor();
    assert.match(await mine.textContent(), /Waiting/);
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0);
    assert.deepEqual(asTech.errors, []);
  } finally {
    await asTech.context.close();
  }

  const asManager = await signedInPage(browser, core, DEMO.manager);
  try {
    const { page } = asManager;
    // The request is an unread notification: counted beside Home, where it is listed.
    const unread = await core.call(
      'list_notifications',
      { unread_only: true, page: 1, per_page: 1 },
      await core.token(DEMO.manager),
    );
    assert.ok(unread.total >= 1);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByTestId('notification-count')
      .filter({ hasText: String(unread.total) })
      .waitFor();
    await page.getByRole('link', { name: 'Discard requests' }).click();
    const row = page.getByTestId('discard-requests').locator(`tr[data-sample="${well.code}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /thawed in a power cut/);
    await screenshot(page, 'discard-requests');
    await row.getByRole('button', { name: 'Approve' }).click();
    const decide = page.getByTestId('decide-form');
    await decide.getByLabel('Note').fill('confirmed with the freezer log');
    await decide.getByRole('button', { name: 'Approve and dispose' }).click();
    await page.getByTestId('discards-notice').filter({ hasText: 'discard approved' }).waitFor();

    // The approved request has left the pending list; the approved list leads to the tube.
    await page.getByLabel('Show').selectOption('approved');
    await page.getByTestId('discard-requests').getByRole('link', { name: well.code }).click();
    await page.waitForURL(`**/#/sample/${well.sample_id}`);
    await page.getByTestId('sample-status').filter({ hasText: 'Disposed' }).waitFor();
    assert.match(await page.getByTestId('sample-location').textContent(), /not in storage/);
    const history = await page.getByTestId('history').textContent();
    assert.match(history, /Stored → Disposed \(discard approved\)/);
    assert.match(history, /Taken out of its box \(discarded\)/);
    assert.match(history, /Discard request approved.*confirmed with the freezer log/);
    assert.equal(await page.getByTestId('discard-pending').count(), 0);
    await screenshot(page, 'sample-disposed');
    assert.deepEqual(asManager.errors, []);
  } finally {
    await asManager.context.close();
  }

  // The technician sees what became of the request.
  const again = await signedInPage(browser, core, DEMO.tech);
  try {
    const { page } = again;
    await page.getByRole('link', { name: 'Discard requests' }).click();
    await page.getByLabel('Show').selectOption('approved');
    const row = page.getByTestId('discard-requests').locator(`tr[data-sample="${well.code}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /Approved.*by manager/);
    assert.deepEqual(again.errors, []);
  } finally {
    await again.context.close();
  }
});

test('a stored tube is taken out of its box onto the bench, with a reason; its well is free', async () => {
  const tech = await core.token(DEMO.tech);
  const boxes = await core.call(
    'list_boxes',
    { sort: 'name', order: 'asc', page: 1, per_page: 20 },
    tech,
  );
  const filled = boxes.items.filter((b) => b.occupied > 4)[3];
  const well = (await core.call('get_box', { id: filled.id }, tech)).wells[4];
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    await wedgeScan(page, well.code);
    await page.waitForURL(`**/#/sample/${well.sample_id}`);
    await page.getByRole('button', { name: 'Take out of its box…' }).click();
    const form = page.getByTestId('unplace-form');
    await form.getByRole('button', { name: 'Take out of its box' }).click();
    await form.getByRole('alert').filter({ hasText: 'Say why' }).waitFor();
    await form.getByLabel('Reason').fill('kept on the bench for the pathologist');
    await form.getByRole('button', { name: 'Take out of its box' }).click();
    await page.getByTestId('sample-notice').filter({ hasText: 'out of its box' }).waitFor();
    await page.locator('[data-testid="sample-status"][data-status="received"]').waitFor();
    assert.match(await page.getByTestId('sample-location').textContent(), /not in storage/);
    await page
      .getByTestId('history')
      .filter({ hasText: 'Taken out of its box (onto the bench)' })
      .filter({ hasText: 'kept on the bench for the pathologist' })
      .waitFor();
    // The well it left is free in the box map.
    const map = await core.call('get_box', { id: filled.id }, tech);
    assert.ok(!map.wells.some((w) => w.sample_id === well.sample_id));
    assert.equal(map.wells.length, filled.occupied - 1);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('scanning a code that names nothing says so on the home page and stays there', async () => {
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    const before = page.url();
    await wedgeScan(page, 'QQ000000');
    const feedback = page
      .getByTestId('scan-feedback')
      .filter({ hasText: 'No sample, box or participant has the code QQ000000' });
    await feedback.waitFor();
    assert.equal(await feedback.getAttribute('data-tone'), 'unknown');
    assert.equal(page.url(), before, 'an unknown code opens nothing');
    assert.equal(await page.getByTestId('sample-page').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
