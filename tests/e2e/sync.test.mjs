// Sync at the bench, with real processes: a lab hub and two workstations in browser mode.
// Desk A joins the hub from its first screen and signs in with a lab account; its status
// bar follows the hub (connected, offline since when, what waits). While the hub is gone,
// both desks create the same account; when it is back, the hub takes A's and refuses B's,
// and B's Sync issues page says so in words, with a count in the navigation and the status
// bar. A's freezer reached B through the hub. Two offline desks fill the same well; a user
// deactivated on the hub is signed out; an administrator disconnects desk B.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HUB_ADMIN,
  VIEWPORT,
  launchBrowser,
  screenshot,
  signedInPage,
  startCore,
  startHub,
  watchLayout,
  wedgeScan,
} from './harness.mjs';

let hub;
let deskA;
let deskB;
let browser;

before(async () => {
  [hub, deskA, deskB, browser] = await Promise.all([
    startHub(),
    startCore(),
    startCore(),
    launchBrowser(),
  ]);
});

after(async () => {
  await browser?.close();
  await deskA?.stop();
  await deskB?.stop();
  await hub?.remove();
});

test('two desks share one lab through the hub, offline and back, and a refusal reaches a person', async () => {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const errors = [];
  await watchLayout(context, errors);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => errors.push(String(error)));
  let pageB = null;
  try {
    // Desk A: a fresh workstation joins the lab's hub from its first screen.
    await page.goto(deskA.url);
    await page.getByTestId('first-run-form').waitFor();
    await page.getByTestId('join-hub-instead').click();
    await page.getByLabel('Hub address').fill(hub.url);
    await page.getByRole('button', { name: 'Check the hub' }).click();
    // Over plain HTTP on this machine there is no certificate to compare.
    await page
      .getByTestId('hub-fingerprint')
      .filter({ hasText: /plain HTTP/ })
      .waitFor();
    await page.getByLabel('Enrollment code').fill('not-a-code');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByTestId('hub-connect-error').filter({ hasText: /\S/ }).waitFor();
    await page.getByLabel('Enrollment code').fill(hub.enroll('Desk A'));
    await page.getByRole('button', { name: 'Connect' }).click();
    // The lab's accounts came with the hub: its administrator signs in here.
    await page.getByTestId('login-form').waitFor();
    await page.getByText('joined the lab’s hub as “Desk A”').waitFor();
    await page.getByLabel('Username', { exact: true }).fill(HUB_ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill(HUB_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('shell').waitFor();
    const sync = page.getByTestId('status-sync');
    await sync.and(page.locator('[data-state="online"]')).waitFor();
    await sync.filter({ hasText: 'Hub connected · all sent' }).waitFor();
    await page.getByRole('link', { name: 'Lab hub' }).click();
    await page.getByTestId('hub-device-name').filter({ hasText: 'Desk A' }).waitFor();
    await screenshot(page, 'sync-lab-hub');

    // Desk B joins through the API (its own first screen offers the same).
    const connected = await deskB.call('connect_hub', {
      url: hub.url,
      code: hub.enroll('Desk B'),
      fingerprint: '',
    });
    assert.equal(connected.device_name, 'Desk B');
    const tokenA = await deskA.token(HUB_ADMIN);
    const tokenB = await deskB.token(HUB_ADMIN);

    // A's freezer goes to the hub (a command wakes the sync loop; "Sync now" makes sure
    // before the hub goes away, and the status bar, read before, catches up).
    await deskA.call(
      'create_freezer',
      { name: 'Freezer from A', location: 'Room 2', kind: 'ultra_low', temperature_c: -80 },
      tokenA,
    );
    assert.equal((await deskA.call('sync_now', {}, tokenA)).counts.pending, 0);
    await sync.filter({ hasText: 'Hub connected · all sent' }).waitFor();

    // The hub goes away. Work goes on; the status bar says since when, and what waits.
    await hub.stop();
    await page.getByTestId('sync-now').click();
    await sync.and(page.locator('[data-state="offline"]')).waitFor();
    await sync.filter({ hasText: /Hub offline since .+ · 0 changes waiting/ }).waitFor();
    const account = {
      display_name: 'Sam Lee',
      role: 'technician',
      password: 'quiet bench passphrase',
    };
    await deskA.call('create_user', { username: 'sam', ...account }, tokenA);
    await sync.filter({ hasText: /Hub offline since .+ · 1 change waiting/ }).waitFor();
    await screenshot(page, 'sync-status-offline');
    await deskB.call('sync_now', {}, tokenB);
    await deskB.call('create_user', { username: 'sam', ...account }, tokenB);

    // The hub is back: A's account is taken first, B's is refused.
    await hub.start();
    await page.getByTestId('sync-now').click();
    await sync.and(page.locator('[data-state="online"]')).waitFor();
    await sync.filter({ hasText: 'Hub connected · all sent' }).waitFor();
    const statusB = await deskB.call('sync_now', {}, tokenB);
    assert.equal(statusB.counts.pending, 0);
    assert.equal(statusB.counts.rejected, 1, JSON.stringify(statusB));

    // A's freezer is on B.
    const freezers = (await deskB.call('list_freezers', {}, tokenB)).items;
    assert.ok(freezers.some((f) => f.name === 'Freezer from A'));

    // On B, the refusal reaches a person: a count in the navigation and the status bar,
    // and the Sync issues page in words.
    let errorsB;
    ({ page: pageB, errors: errorsB } = await signedInPage(browser, deskB, HUB_ADMIN));
    await pageB.getByTestId('sync-issue-count').filter({ hasText: '1' }).waitFor();
    await pageB.getByTestId('status-sync-issues').filter({ hasText: '1 sync issue' }).click();
    const row = pageB.getByTestId('sync-issues-table').locator('tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    assert.equal(await row.getAttribute('data-status'), 'rejected');
    const text = (await row.textContent()) ?? '';
    assert.match(text, /User created/);
    assert.match(text, /Refused by the hub/);
    assert.match(text, /sam/);
    await screenshot(pageB, 'sync-issues');
    assert.deepEqual(errors, []);
    assert.deepEqual(errorsB, []);
  } finally {
    await pageB?.context().close();
    await context.close();
  }
});

/** Lena, a lab manager of the hub's lab (made on desk A by the hub's administrator). */
const LENA = { username: 'lena', password: 'north freezer passphrase' };

async function syncBoth() {
  for (let round = 0; round < 2; round += 1) {
    await deskA.call('sync_now', {}, await deskA.token(HUB_ADMIN));
    await deskB.call('sync_now', {}, await deskB.token(HUB_ADMIN));
  }
}

/** A participant and a kit of two tubes, registered (online or not) at `desk`. */
async function kitAt(desk, token, site, template) {
  const participant = await desk.call(
    'register_participant',
    { site_id: site.id, consent: 'given', consent_date: new Date().toISOString().slice(0, 10) },
    token,
  );
  const kit = await desk.call(
    'register_kit',
    {
      participant_id: participant.id,
      template_id: template.id,
      collected_at: new Date().toISOString(),
      collector: 'Nurse Jo',
    },
    token,
  );
  return kit.samples;
}

test('two offline desks fill the same well: the box maps show queued, then applied or refused, and the loser re-places by scanning', async () => {
  const adminA = await deskA.token(HUB_ADMIN);
  await deskA.call(
    'create_user',
    {
      username: LENA.username,
      display_name: 'Lena Park',
      role: 'lab_manager',
      password: LENA.password,
    },
    adminA,
  );
  await syncBoth();
  const lenaA = await deskA.token(LENA);
  const lenaB = await deskB.token(LENA);
  const site = await deskA.call(
    'create_site',
    {
      code: 'NORTH',
      name: 'North clinic',
      participant_range_start: 1,
      participant_range_end: 99999,
    },
    lenaA,
  );
  const template = await deskA.call(
    'create_kit_template',
    { name: 'Two tubes', items: [{ sample_type: 'whole_blood', count: 2, volume_ul: 500 }] },
    lenaA,
  );
  const freezer = await deskA.call(
    'create_freezer',
    { name: 'Freezer S', location: 'Room 3', kind: 'ultra_low', temperature_c: -80 },
    lenaA,
  );
  const rack = await deskA.call('create_rack', { freezer_id: freezer.id, name: 'Rack S' }, lenaA);
  const box = await deskA.call(
    'create_box',
    {
      rack_id: rack.id,
      name: 'Sync box',
      barcode: 'BXSYNC1',
      box_type: '9x9',
      layout: { kind: 'grid', rows: 9, columns: 9 },
    },
    lenaA,
  );
  // The site and storage reach B; the hub leases both desks their number blocks.
  await syncBoth();
  const tubesA = await kitAt(deskA, lenaA, site, template);
  const tubesB = await kitAt(deskB, lenaB, site, template);
  await syncBoth();

  // The hub goes away; both desks place tubes in the same box, B in A's well.
  await hub.stop();
  await deskA.call('sync_now', {}, adminA);
  const place = (desk, token, sample, position) =>
    desk.call(
      'place_samples',
      {
        box_id: box.id,
        tubes: [{ sample_id: sample.id, position }],
        source: 'scan',
        receive: true,
      },
      token,
    );
  await place(deskA, lenaA, tubesA[0], 'A1');
  await place(deskA, lenaA, tubesA[1], 'A2');
  await place(deskB, lenaB, tubesB[0], 'A1');
  const refusedBefore = (await deskB.call('sync_status', {}, lenaB)).counts.rejected;
  // Desk B is switched off while the hub is away, so A reaches the hub first when it is back
  // (B's own retries would otherwise race A's "Sync now", and then A's tube is the refused one).
  await deskB.crash();

  // On A, the box map marks both tubes as waiting for the hub, with a legend.
  const { page, errors } = await signedInPage(browser, deskA, LENA);
  let pageB = null;
  let errorsB = [];
  try {
    await page.evaluate((id) => {
      window.location.hash = `#/box/${id}`;
    }, box.id);
    const map = page.getByTestId('box-map');
    const wellA1 = map.locator('[data-position="A1"]');
    await wellA1.and(page.locator('[data-sync="queued"]')).waitFor();
    await map.locator('[data-position="A2"][data-sync="queued"]').waitFor();
    await page.getByTestId('legend-sync-queued').waitFor();
    await page.getByTestId('status-sync').and(page.locator('[data-state="offline"]')).waitFor();
    await screenshot(page, 'sync-box-map-queued');

    // At A's desk, offline too, a new participant's kit is registered: waiting for the hub.
    const desk = await signedInPage(browser, deskA, LENA);
    const deskPage = desk.page;
    await deskPage.getByRole('link', { name: 'Registration desk' }).click();
    await deskPage.getByLabel('Collection site').selectOption({ label: 'NORTH · North clinic' });
    const newParticipant = deskPage.getByTestId('desk-new-participant');
    await newParticipant.getByLabel('The participant signed the consent form').check();
    await newParticipant.getByRole('button', { name: 'Register participant' }).click();
    const kitForm = deskPage.getByTestId('desk-kit');
    await kitForm.getByLabel("Print the kit's labels now").uncheck();
    await kitForm.getByRole('button', { name: 'Register kit (2 tubes)' }).click();
    const kitSync = deskPage.getByTestId('desk-kit-sync');
    await kitSync.and(deskPage.locator('[data-state="queued"]')).waitFor();
    await screenshot(deskPage, 'sync-desk-queued');

    // The hub is back: A goes first; its wells and its kit turn to applied while open.
    await hub.start();
    await page.getByTestId('sync-now').click();
    await wellA1
      .and(page.locator('[data-sync="applied"]'))
      .waitFor()
      .catch(async (error) => {
        const status = await deskA.call('sync_status', {}, lenaA).catch((e) => String(e));
        throw new Error(
          `${error.message}\ndesk A: ${JSON.stringify(status)}\ndesk A's log:\n${deskA
            .output()
            .slice(-6000)}\nthe hub's log:\n${hub.output().slice(-6000)}`,
        );
      });
    await map.locator('[data-position="A2"][data-sync="applied"]').waitFor();
    assert.equal(await page.getByTestId('legend-sync-queued').count(), 0);
    await kitSync.and(deskPage.locator('[data-state="applied"]')).waitFor();
    assert.deepEqual(desk.errors, []);
    await desk.context.close();

    // B is switched on again: its placement reaches the hub and is refused, naming the tube
    // in the well; B's tube is off the map.
    await deskB.restart();
    const statusB = await deskB.call('sync_now', {}, lenaB);
    assert.equal(statusB.counts.rejected, refusedBefore + 1, JSON.stringify(statusB.counts));
    ({ page: pageB, errors: errorsB } = await signedInPage(browser, deskB, LENA));
    await pageB.getByRole('link', { name: /Sync issues/ }).click();
    const row = pageB.locator(
      '[data-testid="sync-issues-table"] tbody tr[data-reason="position_occupied"]',
    );
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', new RegExp(tubesA[0].code));
    assert.match((await row.textContent()) ?? '', /Placed in box/);
    await screenshot(pageB, 'sync-issues-position');
    const mapB = await deskB.call('get_box', { id: box.id }, lenaB);
    assert.equal(mapB.wells.find((w) => w.position === 'A1')?.sample_id, tubesA[0].id);
    assert.ok(!mapB.wells.some((w) => w.sample_id === tubesB[0].id));

    // The technician re-places it by scanning, into the next free well.
    await pageB.evaluate((id) => {
      window.location.hash = `#/box/${id}`;
    }, box.id);
    await pageB.getByRole('button', { name: 'Place tubes' }).click();
    await pageB.getByLabel('Scan a tube').waitFor();
    await wedgeScan(pageB, tubesB[0].code);
    // The refused placement took its receipt with it: the tube is received and placed again,
    // confirmed by scanning CONFIRM, as at the bench.
    await pageB.getByRole('button', { name: 'Receive and place' }).waitFor();
    await wedgeScan(pageB, 'AQCMD:CONFIRM');
    const replaced = pageB.getByTestId('box-map').locator(`[data-code="${tubesB[0].code}"]`);
    await replaced.waitFor();
    await deskB.call('sync_now', {}, lenaB);
    await replaced.and(pageB.locator('[data-sync="applied"]')).waitFor();

    // Put right, the refusal is settled, with a reason: it leaves B's list, and the lab's
    // record of it (seen by a lab manager at any desk) says who settled it and why.
    await pageB.getByRole('link', { name: /Sync issues/ }).click();
    await row.getByRole('button', { name: /Settle/ }).click();
    const settle = pageB.getByTestId('settle-dialog');
    await settle.getByLabel(/Done again/).check();
    await settle.getByLabel('Reason').fill('scanned into the next free well');
    await settle.getByRole('button', { name: 'Settle' }).click();
    await pageB.getByTestId('sync-issues-notice').filter({ hasText: 'was done again' }).waitFor();
    await row.waitFor({ state: 'detached' });
    await deskB.call('sync_now', {}, lenaB);
    await deskA.call('sync_now', {}, lenaA);
    await page.getByRole('link', { name: /Sync issues/ }).click();
    await page.getByLabel('Show settled ones too').check();
    await page
      .getByTestId('lab-sync-issues-table')
      .locator('tr[data-reason="position_occupied"][data-device="Desk B"]')
      .getByTestId('lab-sync-issue-settled')
      .filter({ hasText: /Done again by lena.*scanned into the next free well/ })
      .waitFor();
    await screenshot(page, 'sync-issues-lab');

    // Both box maps match the hub's (each desk pulled to the hub's head).
    await syncBoth();
    const wells = async (desk, token) =>
      (await desk.call('get_box', { id: box.id }, token)).wells
        .map((w) => `${w.position}=${w.code}`)
        .sort();
    const onA = await wells(deskA, lenaA);
    assert.deepEqual(onA, await wells(deskB, lenaB));
    assert.equal(onA.length, 3);
    assert.deepEqual(errors, []);
    assert.deepEqual(errorsB, []);
  } finally {
    await pageB?.context().close();
    await page.context().close();
  }
});

test('a user deactivated on the hub is signed out of another workstation within one sync interval', async () => {
  const adminA = await deskA.token(HUB_ADMIN);
  const user = await deskA.call(
    'create_user',
    {
      username: 'omar',
      display_name: 'Omar Haddad',
      role: 'technician',
      password: 'night shift passphrase',
    },
    adminA,
  );
  await syncBoth();
  const { page, context, errors } = await signedInPage(browser, deskB, {
    username: 'omar',
    password: 'night shift passphrase',
  });
  try {
    await page.getByTestId('status-sync').and(page.locator('[data-state="online"]')).waitFor();
    await deskA.call('deactivate_user', { user_id: user.id, reason: 'left the lab' }, adminA);
    assert.equal((await deskA.call('sync_now', {}, adminA)).counts.pending, 0);
    // Nobody touches desk B: its own sync loop (every 10 s) pulls the deactivation and ends
    // the session; the open page finds it gone and asks for a sign-in.
    const started = Date.now();
    await page.getByTestId('login-form').waitFor({ timeout: 30_000 });
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 25, `signed out after ${seconds} s`);
    await page
      .getByTestId('login-error')
      .filter({ hasText: /session/i })
      .waitFor();
    await assert.rejects(deskB.token({ username: 'omar', password: 'night shift passphrase' }));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('an administrator disconnects a workstation: refused while a change waits, then it leaves and starts afresh', async () => {
  const { page, context, errors } = await signedInPage(browser, deskB, HUB_ADMIN);
  try {
    const tokenB = await deskB.token(HUB_ADMIN);
    await page.getByRole('link', { name: 'Lab hub' }).click();
    await page.getByTestId('hub-device-name').filter({ hasText: 'Desk B' }).waitFor();

    // With the hub gone, a change made here waits: disconnecting is refused, nothing lost.
    await hub.stop();
    await deskB.call(
      'create_freezer',
      {
        name: 'Freezer made offline on B',
        location: 'Room 3',
        kind: 'freezer',
        temperature_c: -20,
      },
      tokenB,
    );
    await page.getByTestId('hub-disconnect-open').click();
    await page.getByTestId('hub-disconnect-waiting').filter({ hasText: '1 change' }).waitFor();
    await page.getByLabel('This workstation’s name').fill('Desk A');
    await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await page.getByTestId('hub-disconnect-error').filter({ hasText: '“Desk B”' }).waitFor();
    await page.getByLabel('This workstation’s name').fill('Desk B');
    await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await page
      .getByTestId('hub-disconnect-error')
      .filter({ hasText: /1 change made here has not reached the hub yet/ })
      .waitFor();
    await screenshot(page, 'sync-disconnect-refused');
    assert.equal((await deskB.call('sync_status', {}, tokenB)).counts.pending, 1);

    // The hub is back: disconnecting sends the change, then the workstation leaves.
    await hub.start();
    await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await page.getByTestId('left-hub').waitFor();
    const archive = (await page.getByTestId('left-hub-archive').textContent()) ?? '';
    assert.match(archive, /archive\/left-hub-/);
    // The change B sent before leaving is the lab's: A has it after a pull.
    const tokenA = await deskA.token(HUB_ADMIN);
    await deskA.call('sync_now', {}, tokenA);
    const freezers = (await deskA.call('list_freezers', {}, tokenA)).items;
    assert.ok(freezers.some((f) => f.name === 'Freezer made offline on B'));
    await assert.rejects(deskB.token(HUB_ADMIN), /left its hub/);

    // Started again, it is a fresh workstation at the first screen; its copy is kept aside.
    await page.goto(await deskB.restart());
    await page.getByTestId('first-run-form').waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
