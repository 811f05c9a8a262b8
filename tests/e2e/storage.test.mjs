// Storage in the browser: the freezer → rack → box tree opens a box; ten tubes placed in a new
// box by scanning show on its map (and in the core), UNDO puts the last back where it came
// from; a code that is not a tube is refused and places nothing; a never-stored tube placed by
// scan cannot be "un-placed" and the screen says so; a rack scan shows its diff on the map and
// imports all of it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, launchBrowser, screenshot, signedInPage, startCore, wedgeScan } from './harness.mjs';

let core;
let browser;
let manager;
let tech;

before(async () => {
  [core, browser] = await Promise.all([startCore({ demo: true }), launchBrowser()]);
  manager = await core.token(DEMO.manager);
  tech = await core.token(DEMO.tech);
});

after(async () => {
  await browser?.close();
  await core?.stop();
});

async function boxNamed(name) {
  const page = await core.call(
    'list_boxes',
    { search: name, sort: 'name', order: 'asc', page: 1, per_page: 5 },
    tech,
  );
  const box = page.items.find((b) => b.name === name);
  assert.ok(box, `demo box ${name} exists`);
  return core.call('get_box', { id: box.id }, tech);
}

let boxCount = 0;
/** A new empty 8×12 box in the demo lab's first rack, made by the lab manager. */
async function newBox() {
  const [freezer] = (await core.call('list_freezers', {}, manager)).items;
  const [rack] = (await core.call('list_racks', { freezer_id: freezer.id }, manager)).items;
  boxCount += 1;
  return core.call(
    'create_box',
    {
      rack_id: rack.id,
      name: `E2E box ${boxCount}`,
      barcode: `E2EBOX${String(boxCount).padStart(2, '0')}`,
      box_type: '96-tube rack',
      layout: { kind: 'grid', rows: 8, columns: 12 },
    },
    manager,
  );
}

async function openBox(page, box) {
  await page.evaluate((id) => {
    window.location.hash = `#/box/${id}`;
  }, box.id);
  await page.getByRole('heading', { name: `Box ${box.name}` }).waitFor();
  await page.getByTestId('box-map').waitFor();
}

async function startPlacing(page) {
  await page.getByRole('button', { name: 'Place tubes' }).click();
  const field = page.getByLabel('Scan a tube');
  await field.waitFor();
  assert.equal(await field.evaluate((el) => el === document.activeElement), true);
}

const well = (page, code) => page.getByTestId('box-map').locator(`[data-code="${code}"]`);

async function feedbackSays(page, tone, text) {
  const bar = page.getByTestId('scan-feedback');
  await bar.filter({ hasText: text }).waitFor();
  assert.equal(await bar.getAttribute('data-tone'), tone);
}

test('the storage tree opens a box, and boxes with space can be searched', async () => {
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    await page.getByRole('link', { name: 'Storage' }).click();
    await page.getByRole('heading', { name: 'Storage' }).waitFor();
    const tree = page.getByTestId('storage-tree');
    await tree.getByRole('button', { name: /^Freezer 1 / }).click();
    await tree
      .getByRole('button', { name: /^Rack 1 / })
      .first()
      .click();
    const expected = await boxNamed('F1-R1-B1');
    assert.ok(expected.wells.length > 80);
    const row = tree.getByRole('row', { name: /F1-R1-B1/ });
    await row.waitFor();
    assert.match(await row.textContent(), new RegExp(`${expected.wells.length} / 96`));
    await screenshot(page, 'storage-tree');

    await row.getByRole('button', { name: 'F1-R1-B1' }).click();
    await page.getByRole('heading', { name: 'Box F1-R1-B1' }).waitFor();
    assert.match(page.url(), /#\/box\//);
    await well(page, expected.wells[0].code).waitFor();
    assert.equal(
      await page.getByTestId('box-map').locator('[data-code]').count(),
      expected.wells.length,
    );
    // A well shows its tube, with a way to the sample.
    await well(page, expected.wells[5].code).click();
    assert.equal(
      (await page.getByTestId('well-code').textContent()).trim(),
      expected.wells[5].code,
    );
    await page
      .getByTestId('well-detail')
      .getByRole('link', { name: `Open sample ${expected.wells[5].code}` })
      .waitFor();

    // Boxes with space, searched by the start of a name.
    await page.getByRole('button', { name: '← Storage' }).click();
    await page.getByRole('button', { name: 'Boxes with space' }).click();
    await page.getByLabel('Box name or barcode starts with').fill('F2-R2');
    const space = page.getByTestId('boxes-with-space');
    await space.getByRole('row', { name: /F2-R2-B5/ }).waitFor();
    const names = await space.locator('tbody tr td:first-child').allTextContents();
    assert.ok(names.length > 0);
    assert.ok(
      names.every((n) => n.startsWith('F2-R2')),
      names.join(', '),
    );
    await page.getByLabel('Box name or barcode starts with').fill('NO-SUCH-BOX');
    await space.getByText(/No box with space/).waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('place 10 tubes in a box by scanning, see them on the map, undo the last', async () => {
  const target = await newBox();
  const source = await boxNamed('F2-R1-B1');
  const tubes = source.wells.filter((w) => w.status === 'stored').slice(0, 10);
  assert.equal(tubes.length, 10);

  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    await openBox(page, target);
    assert.equal(await page.getByTestId('box-map').locator('[data-code]').count(), 0);
    await startPlacing(page);
    // Eight into the scan field, the last two with the focus elsewhere (scan anywhere).
    for (const t of tubes.slice(0, 8)) {
      await wedgeScan(page, t.code);
      await well(page, t.code).waitFor();
    }
    await page.getByRole('heading', { name: `Box ${target.name}` }).focus();
    for (const t of tubes.slice(8)) {
      await wedgeScan(page, t.code);
      await well(page, t.code).waitFor();
    }
    for (const t of tubes) assert.equal(await well(page, t.code).count(), 1, t.code);
    await feedbackSays(page, 'accepted', `${tubes[9].code} placed at A10`);
    assert.equal(await page.getByTestId('placed-list').locator('li').count(), 10);
    assert.equal(await well(page, tubes[9].code).getAttribute('data-position'), 'A10');
    assert.match(await well(page, tubes[9].code).getAttribute('class'), /well-last/);
    assert.match(await page.getByTestId('box-occupancy').textContent(), /10 \/ 96/);

    const placed = await core.call('get_box', { id: target.id }, tech);
    assert.deepEqual(placed.wells.map((w) => w.code).sort(), tubes.map((t) => t.code).sort());
    await screenshot(page, 'storage-box-map-placed');

    // "Placed this session" leaves room for its numbers (the list scrolls, which would clip
    // numbers set outside it).
    const room = await page.getByTestId('placed-list').evaluate((list) => {
      const cs = getComputedStyle(list);
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      return { padding: parseFloat(cs.paddingLeft), needed: ctx.measureText('100. ').width };
    });
    assert.ok(room.padding >= room.needed, `numbers need ${room.needed} px, have ${room.padding}`);
    await page.getByTestId('placed-list').scrollIntoViewIfNeeded();
    await screenshot(page, 'storage-placed-list');

    // Each well is readable at arm's length: the end of its code, large, on one line; the
    // whole code in its title and accessible name, and shown on keyboard focus.
    const lastWell = well(page, tubes[9].code);
    const tail = lastWell.locator('.well-code');
    assert.equal((await tail.textContent()).trim(), tubes[9].code.slice(-4));
    const text = await tail.evaluate((el) => {
      const cs = getComputedStyle(el);
      return { size: parseFloat(cs.fontSize), height: el.getBoundingClientRect().height };
    });
    assert.ok(text.size >= 16, `the code's end is ${text.size} px`);
    assert.ok(text.height < text.size * 2, 'the code is on one line');
    assert.match(await lastWell.getAttribute('title'), new RegExp(tubes[9].code));
    assert.match(await lastWell.getAttribute('aria-label'), new RegExp(tubes[9].code));
    await well(page, tubes[0].code).focus();
    await page.keyboard.press('Tab');
    const tip = well(page, tubes[1].code).locator('.well-tip');
    await tip.waitFor({ state: 'visible' });
    assert.equal(await tip.textContent(), tubes[1].code);
    await screenshot(page, 'storage-box-map-focus');

    // Undo last (the button), then UNDO scanned: each tube goes back where it was.
    await page.getByRole('button', { name: `Undo last (${tubes[9].code})` }).click();
    await well(page, tubes[9].code).waitFor({ state: 'detached' });
    await feedbackSays(page, 'accepted', `Undone: ${tubes[9].code} is back in box F2-R1-B1`);
    await wedgeScan(page, 'AQCMD:UNDO');
    await well(page, tubes[8].code).waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('placed-list').locator('li').count(), 8);
    const after = await core.call('get_box', { id: target.id }, tech);
    assert.equal(after.wells.length, 8);
    const back = await core.call('get_box', { id: source.storage_box.id }, tech);
    for (const t of tubes.slice(8)) {
      const w = back.wells.find((x) => x.code === t.code);
      assert.equal(w?.position, t.position, `${t.code} is back at ${t.position}`);
    }

    // A chosen well: click a free well, the next tube goes there.
    await page.getByTestId('box-map').locator('[data-position="H12"]').click();
    await page.getByTestId('placement-next').getByText('H12').waitFor();
    await wedgeScan(page, tubes[9].code);
    await well(page, tubes[9].code).waitFor();
    assert.equal(await well(page, tubes[9].code).getAttribute('data-position'), 'H12');

    // CANCEL leaves placement mode.
    await wedgeScan(page, 'AQCMD:CANCEL');
    await page.getByTestId('placement-panel').waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('in placement mode a code that is not a tube is refused and nothing is placed', async () => {
  const target = await newBox();
  const source = await boxNamed('F2-R1-B2');
  const tube = source.wells.find((w) => w.status === 'stored');
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    await openBox(page, target);
    await startPlacing(page);
    await wedgeScan(page, 'NOSUCHCODE42');
    await feedbackSays(page, 'unknown', 'No tube has the code NOSUCHCODE42. Nothing was placed.');
    await wedgeScan(page, tube.participant_code);
    await feedbackSays(page, 'refused', `${tube.participant_code} is a participant's code`);
    let now = await core.call('get_box', { id: target.id }, tech);
    assert.equal(now.wells.length, 0);
    assert.equal(await page.getByTestId('box-map').locator('[data-code]').count(), 0);

    // A tube already in this box is refused too and stays where it is.
    await wedgeScan(page, tube.code);
    await well(page, tube.code).waitFor();
    await wedgeScan(page, tube.code);
    await feedbackSays(page, 'refused', `${tube.code} is already in this box at A1`);
    now = await core.call('get_box', { id: target.id }, tech);
    assert.deepEqual(
      now.wells.map((w) => [w.code, w.position]),
      [[tube.code, 'A1']],
    );
    assert.equal(await page.getByTestId('placed-list').locator('li').count(), 1);

    // NEXT BOX: a box barcode scanned while placing opens that box, still placing.
    const next = await newBox();
    await wedgeScan(page, next.barcode);
    await page.getByRole('heading', { name: `Box ${next.name}` }).waitFor();
    await page.getByTestId('placement-panel').waitFor();
    await feedbackSays(page, 'accepted', `Next box: ${next.name}.`);
    assert.equal(
      await page.getByLabel('Scan a tube').evaluate((el) => el === document.activeElement),
      true,
    );
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a tube stored for the first time by scanning cannot be un-placed, and the screen says so', async () => {
  const target = await newBox();
  const [site] = (await core.call('list_sites', { per_page: 200 }, tech)).items;
  const participant = await core.call(
    'register_participant',
    {
      site_id: site.id,
      consent: 'given',
      consent_date: new Date().toISOString().slice(0, 10),
    },
    tech,
  );
  const templates = (await core.call('list_kit_templates', { per_page: 200 }, tech)).items;
  const saliva = templates.find((t) => t.name === 'Saliva only');
  const kit = await core.call(
    'register_kit',
    {
      participant_id: participant.id,
      template_id: saliva.id,
      collected_at: new Date().toISOString(),
      collector: 'E2E collector',
    },
    tech,
  );
  const [sample] = kit.samples;
  await core.call(
    'transition_sample',
    { sample_id: sample.id, expected: 'collected', to: 'received' },
    tech,
  );

  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    await openBox(page, target);
    await startPlacing(page);
    await wedgeScan(page, sample.code);
    await well(page, sample.code).waitFor();
    await feedbackSays(page, 'accepted', `${sample.code} placed at A1.`);
    const stored = await core.call('get_sample', { id: sample.id }, tech);
    assert.equal(stored.sample.status, 'stored');

    await page.getByRole('button', { name: `Undo last (${sample.code})` }).click();
    await feedbackSays(page, 'refused', `${sample.code} had no place in storage before`);
    assert.equal(await well(page, sample.code).count(), 1);
    const still = await core.call('get_box', { id: target.id }, tech);
    assert.deepEqual(
      still.wells.map((w) => w.code),
      [sample.code],
    );
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a rack scan shows its diff on the map and imports every change together', async () => {
  const box = await boxNamed('F1-R2-B2');
  const other = await boxNamed('F1-R2-B3');
  const arrival = other.wells.find((w) => w.status === 'stored');
  const wells = box.wells.filter((w) => w.position);
  const at = (p) => wells.find((w) => w.position === p);
  const [a1, a2, a3] = [at('A1'), at('A2'), at('A3')];
  // Two free wells (where the demo lab leaves room depends on its auto-position setting).
  const free = [...'ABCDEFGH']
    .flatMap((r) => Array.from({ length: 12 }, (_, c) => `${r}${c + 1}`))
    .filter((p) => !at(p));
  const [unknownAt, arrivalAt] = free;
  assert.ok(a1 && a2 && a3 && unknownAt && arrivalAt);
  const lines = ['Position,Tube'];
  for (const w of wells) {
    if (w.position === 'A1') lines.push(`A1,${a2.code}`);
    else if (w.position === 'A2') lines.push(`A2,${a1.code}`);
    else if (w.position === 'A3') lines.push('A3,NO TUBE');
    else lines.push(`${w.position},${w.code}`);
  }
  lines.push(`${unknownAt},ZZUNKNOWN01`, `${arrivalAt},${arrival.code}`);

  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    await openBox(page, box.storage_box);
    await page.getByLabel('…or paste its text').fill(lines.join('\n'));
    await page.getByRole('button', { name: 'Compare with this box' }).click();
    await page.getByTestId('rack-scan-diff').waitFor();
    const map = page.getByTestId('box-map');
    const diffAt = (p) => map.locator(`[data-position="${p}"]`).getAttribute('data-diff');
    assert.equal(await diffAt('A1'), 'move_in');
    assert.equal(await diffAt('A2'), 'move_in');
    assert.equal(await diffAt('A3'), 'missing');
    assert.equal(await diffAt('A4'), 'match');
    assert.equal(await diffAt(unknownAt), 'unknown');
    assert.equal(await diffAt(arrivalAt), 'arrival');
    await map.scrollIntoViewIfNeeded();
    await page.getByTestId('map-legend').scrollIntoViewIfNeeded();
    await screenshot(page, 'storage-rack-scan-diff');
    // Nothing changed yet.
    const before = await core.call('get_box', { id: box.storage_box.id }, tech);
    assert.equal(before.wells.find((w) => w.position === 'A1').code, a1.code);

    await page.getByRole('button', { name: 'Import 3 changes' }).click();
    await page
      .getByTestId('box-notice')
      .getByText('Rack scan imported: 3 tubes placed or moved.')
      .waitFor();
    const imported = await core.call('get_box', { id: box.storage_box.id }, tech);
    const code = (p) => imported.wells.find((w) => w.position === p)?.code;
    assert.equal(code('A1'), a2.code);
    assert.equal(code('A2'), a1.code);
    assert.equal(code('A3'), a3.code, 'a missing tube stays recorded');
    assert.equal(code(arrivalAt), arrival.code);
    assert.equal(code(unknownAt), undefined, 'an unknown code is not placed');
    assert.equal(await well(page, arrival.code).getAttribute('data-position'), arrivalAt);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a lab manager adds a freezer, a rack and a box; a wrong temperature is refused plainly', async () => {
  const { page, context, errors } = await signedInPage(browser, core, DEMO.manager);
  try {
    await page.getByRole('link', { name: 'Storage' }).click();
    await page.getByRole('button', { name: 'Add a freezer' }).click();
    const freezerDialog = page.getByTestId('create-freezer-dialog');
    await freezerDialog.getByLabel('Name').fill('Freezer E2E');
    await freezerDialog.getByLabel('Location').fill('Room C12');
    await freezerDialog.getByLabel('Set temperature (°C)').fill('80');
    await freezerDialog.getByRole('button', { name: 'Add freezer' }).click();
    await freezerDialog
      .getByRole('alert')
      .filter({ hasText: 'runs between -100 and -60' })
      .waitFor();
    await freezerDialog.getByLabel('Set temperature (°C)').fill('-80');
    await freezerDialog.getByRole('button', { name: 'Add freezer' }).click();
    await page.getByTestId('storage-notice').getByText('Freezer “Freezer E2E” added.').waitFor();

    const tree = page.getByTestId('storage-tree');
    await tree.getByRole('button', { name: /^Freezer E2E / }).click();
    await tree.getByText('Freezer E2E has no racks yet.').waitFor();
    await tree.getByRole('button', { name: 'Add a rack to Freezer E2E' }).click();
    await page.getByTestId('create-rack-dialog').getByLabel('Rack name').fill('Rack E2E');
    await page.getByTestId('create-rack-dialog').getByRole('button', { name: 'Add rack' }).click();
    await tree.getByRole('button', { name: /^Rack E2E / }).click();
    await tree.getByRole('button', { name: 'Add a box to Rack E2E' }).click();
    const boxDialog = page.getByTestId('create-box-dialog');
    await boxDialog.getByLabel('Box name').fill('Box E2E-1');
    await boxDialog.getByLabel('Box barcode').fill('E2E-MGR-01');
    await boxDialog.getByLabel('Rows').fill('9');
    await boxDialog.getByLabel('Columns').fill('9');
    await boxDialog.getByRole('button', { name: 'Add box' }).click();
    const row = tree.getByRole('row', { name: /Box E2E-1/ });
    await row.waitFor();
    assert.match(await row.textContent(), /9 × 9 grid.*0 \/ 81/);
    const found = await core.call('lookup_scan', { code: 'E2E-MGR-01' }, manager);
    assert.equal(found.kind, 'box');
    assert.equal(found.storage_box.rack, 'Rack E2E');

    // Corrections, each with a reason: the freezer moved room, the rack was renumbered.
    await tree.getByRole('button', { name: 'Edit Freezer E2E' }).click();
    const editFreezer = page.getByTestId('edit-freezer-dialog');
    await editFreezer.getByLabel('Location').fill('Room C14');
    await editFreezer.getByLabel('Reason for the change').fill('Moved to room C14');
    await editFreezer.getByRole('button', { name: 'Save freezer' }).click();
    await page.getByTestId('storage-notice').getByText('Freezer “Freezer E2E” saved.').waitFor();
    await tree.getByText(/Room C14 · /).waitFor();
    await tree.getByRole('button', { name: 'Rename Rack E2E' }).click();
    const editRack = page.getByTestId('edit-rack-dialog');
    await editRack.getByLabel('Rack name').fill('Rack E2E-A');
    await editRack.getByLabel('Reason for the change').fill('Racks renumbered');
    await editRack.getByRole('button', { name: 'Save rack' }).click();
    await page
      .getByTestId('storage-notice')
      .getByText('Rack “Rack E2E” is now called “Rack E2E-A”.')
      .waitFor();

    // The box: relabelled on its page, then voided (it is empty), and gone from the tree.
    await row.getByRole('button', { name: 'Box E2E-1' }).click();
    await page.getByRole('button', { name: 'Edit this box…' }).click();
    const editBox = page.getByTestId('edit-box-dialog');
    await editBox.getByLabel('Barcode').fill('E2E-MGR-02');
    await editBox.getByLabel('Reason for the change').fill('Box relabelled');
    await editBox.getByRole('button', { name: 'Save box' }).click();
    await page.getByTestId('box-notice').getByText('(barcode E2E-MGR-02)').waitFor();
    assert.equal((await core.call('lookup_scan', { code: 'E2E-MGR-01' }, manager)).kind, 'unknown');
    const relabelled = await core.call('lookup_scan', { code: 'E2E-MGR-02' }, manager);
    assert.equal(relabelled.storage_box.rack, 'Rack E2E-A');
    await page.getByRole('button', { name: 'Void this box…' }).click();
    const voidBox = page.getByTestId('void-storage-dialog');
    await voidBox.getByLabel('Reason for voiding the box').fill('Box cracked');
    await voidBox.getByRole('button', { name: 'Void the box' }).click();
    await page.getByTestId('storage-tree').waitFor();
    const trail = await core.call(
      'list_audit',
      { entity_id: relabelled.storage_box.id, per_page: 10 },
      manager,
    );
    assert.deepEqual(
      trail.items.map((r) => [r.action, r.reason]),
      [
        ['void_storage', 'Box cracked'],
        ['edit_storage', 'Box relabelled'],
        ['create_box', null],
      ],
    );
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('from a well: check a tube out and in, and move it to another box', async () => {
  const target = await newBox();
  const source = await boxNamed('F2-R2-B1');
  const tube = source.wells.find((w) => w.status === 'stored');
  const { page, context, errors } = await signedInPage(browser, core, DEMO.tech);
  try {
    await openBox(page, source.storage_box);
    await well(page, tube.code).click();
    const detail = page.getByTestId('well-detail');
    await detail.getByRole('button', { name: 'Check out…' }).click();
    await page.getByTestId('check-out-dialog').getByLabel('Reason').fill('assay run');
    await page.getByTestId('check-out-dialog').getByRole('button', { name: 'Check out' }).click();
    await detail.getByText('Checked out').waitFor();
    let sample = await core.call('lookup_scan', { code: tube.code }, tech);
    assert.equal(sample.sample.status, 'checked_out');
    await detail.getByRole('button', { name: 'Check in' }).click();
    await detail.getByText('Stored').waitFor();
    sample = await core.call('lookup_scan', { code: tube.code }, tech);
    assert.equal(sample.sample.status, 'stored');

    await detail.getByRole('button', { name: 'Move to another box…' }).click();
    const dialog = page.getByTestId('move-tube-dialog');
    await dialog.getByLabel('Box it goes to (barcode)').fill(target.barcode);
    await dialog.getByLabel('Position (optional)').fill('C3');
    await dialog.getByRole('button', { name: 'Move tube' }).click();
    await page
      .getByTestId('box-notice')
      .getByText(`${tube.code} moved to box ${target.name} at C3.`)
      .waitFor();
    await well(page, tube.code).waitFor({ state: 'detached' });
    const moved = await core.call('get_box', { id: target.id }, tech);
    assert.deepEqual(
      moved.wells.map((w) => [w.code, w.position]),
      [[tube.code, 'C3']],
    );
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
