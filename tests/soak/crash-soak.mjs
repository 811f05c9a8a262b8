#!/usr/bin/env node
// Crash-safety soak (issue 11): kills `aliquot serve` with SIGKILL at random points while a
// desk clerk registers kits with labels, a technician receives and places their tubes and,
// now and then, a rack scan moves placed tubes into a fresh box; restarts it on the same
// data directory each time and checks, after every kill:
//   1. every acknowledged command (HTTP 200 read in full before the kill) is there exactly once;
//   2. `PRAGMA integrity_check` is ok (sqlite3, server down);
//   3. the audit chain verifies (`aliquot audit verify`, server down) and no
//      `audit_chain_alarm` was raised;
//   4. the print queue resumes without a duplicate label on a fake Zebra that stays up across
//      restarts, after the clerk has printed the kits listed unprinted and settled the jobs
//      held in doubt.
//
//   node tests/soak/crash-soak.mjs
//
//   ALIQUOT_SOAK_POINTS   kill points (rounds), default 200
//   ALIQUOT_SOAK_SEED     seed of the random choices (printed; timing stays real)
//   ALIQUOT_SOAK_KILL_MS  kill delay range after the workload starts, default "100-2500"
//   ALIQUOT_SOAK_KEEP     1: keep the work directory even when everything passed
//   ALIQUOT_BIN           the binary (default target/debug/aliquot)
//   ALIQUOT_SOAK_UI_DIR   a UI folder to serve (default: a stub page; the soak needs only the API)
//
// Uses only Node built-ins and tests/e2e/harness.mjs (its fake Zebra).

import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { BIN as BUILT_BIN, DEMO, startFakeZebra } from '../e2e/harness.mjs';

const execFileP = promisify(execFile);

// ───────────────────────────── configuration ─────────────────────────────

const POINTS = positiveInt(process.env.ALIQUOT_SOAK_POINTS, 200);
const SEED = positiveInt(process.env.ALIQUOT_SOAK_SEED, Math.floor(Math.random() * 2 ** 31));
const [KILL_MIN_MS, KILL_MAX_MS] = (process.env.ALIQUOT_SOAK_KILL_MS ?? '100-2500')
  .split('-')
  .map(Number);
const KEEP = process.env.ALIQUOT_SOAK_KEEP === '1';
// Share of kills timed to land as a print job reaches the printer.
const ON_PRINT_SHARE = 0.3;
// Share of kills timed a few milliseconds after a command was sent.
const MID_COMMAND_SHARE = 0.3;
const COLLECTOR = 'crash-soak';
const CALL_TIMEOUT_MS = 30_000;
const START_TIMEOUT_MS = 60_000;

function positiveInt(text, fallback) {
  const n = Number.parseInt(text ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

// A small seeded generator (mulberry32), so a run's choices can be repeated.
let rngState = SEED >>> 0;
function random() {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const pick = (list) => list[Math.floor(random() * list.length)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ───────────────────────────── bookkeeping ─────────────────────────────

const stats = {
  points: 0,
  kills: 0,
  killModes: {}, // how each kill was timed
  acked: {}, // operation → acknowledged count
  inFlight: {}, // operation → requests cut by a kill (outcome unknown)
  refused: {}, // "operation: code" → count (error answers read in full)
  checks: {}, // category → { passed, failed }
  heldInDoubt: 0,
  settledPrinted: 0,
  settledReprinted: 0,
  partialInDoubt: 0,
  unprintedKits: 0,
  clerkPrinted: 0,
  labelsReceived: 0,
};
const failures = []; // { round, what }
let round = 0;

const bump = (table, key, n = 1) => {
  table[key] = (table[key] ?? 0) + n;
};

/** Records one check; a failed one names the round and what broke. */
function check(category, ok, what) {
  const c = (stats.checks[category] ??= { passed: 0, failed: 0 });
  if (ok) c.passed += 1;
  else {
    c.failed += 1;
    failures.push({ round, what: `[${category}] ${what}` });
    log(`FAIL round ${round} [${category}] ${what}`);
  }
  return ok;
}

function log(message) {
  process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${message}\n`);
}

// ───────────────────────────── the server ─────────────────────────────

class TransportError extends Error {}

/** An API error read in full: `{code, message}` with the HTTP status. */
class ApiRefusal extends Error {
  constructor(name, status, body) {
    super(`${name}: ${status} ${body?.code}: ${body?.message}`);
    this.status = status;
    this.code = body?.code ?? 'unknown';
    this.apiMessage = body?.message ?? '';
  }
}

/** `aliquot serve` on one data directory, started, killed and restarted by the soak. */
class Server {
  constructor(dataDir, uiDir, logStream) {
    this.dataDir = dataDir;
    this.uiDir = uiDir;
    this.logStream = logStream;
    this.child = null;
    this.url = null;
    this.exited = null;
  }

  async start() {
    const child = spawn(
      BIN,
      ['serve', '--data-dir', this.dataDir, '--port', '0', '--ui-dir', this.uiDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    child.stderr.on('data', (chunk) => this.logStream.write(chunk));
    let timer;
    this.url = await new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        this.logStream.write(`[stdout] ${line}\n`);
        const match = /Aliquot browser mode listening on (http:\/\/\S+)/.exec(line);
        if (match) resolve(match[1]);
      });
      child.once('error', reject);
      this.exited.then(({ code, signal }) =>
        reject(new Error(`the server exited (${code ?? signal}) before listening; see its log`)),
      );
      timer = setTimeout(
        () => reject(new Error(`the server did not listen within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
    }).finally(() => clearTimeout(timer));
  }

  get running() {
    return this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the result of a 200 read in full; throws ApiRefusal or TransportError. */
  async call(name, args = {}, token = null) {
    const headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    let text;
    try {
      response = await fetch(`${this.url}/api/${name}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(args),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      text = await response.text();
    } catch (e) {
      throw new TransportError(`${name}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
    }
    let body;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      throw new TransportError(`${name}: an answer that is not JSON (${text.slice(0, 80)})`);
    }
    if (!response.ok) throw new ApiRefusal(name, response.status, body);
    return body;
  }

  async kill() {
    if (!this.running) return false;
    this.child.kill('SIGKILL');
    await this.exited;
    return true;
  }

  async stop() {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    let timer;
    const done = await Promise.race([
      this.exited,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), 20_000);
      }),
    ]);
    clearTimeout(timer);
    if (!done) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

// ───────────────────────────── the model ─────────────────────────────

/**
 * What the soak knows from acknowledged commands.
 *   samples: id → { id, code, kit, participantId, status, loc ({box, pos}|null),
 *                   placements: [{box, pos}] (acknowledged moves, in order),
 *                   pending: null | { op, result: {status, loc} } (a command cut by the
 *                   kill or answered with an error: it may or may not have happened),
 *                   claimed }
 *   kits: registration id → { id, participantId, sampleIds, labels, round }
 *   jobs: job id → { id, records, via, round }   (acknowledged print jobs)
 *   boxes: id → { id, name, round }                (acknowledged create_box)
 */
const model = {
  samples: new Map(),
  kits: new Map(),
  jobs: new Map(),
  boxes: new Map(),
  unplacedKits: new Set(), // kit ids the technician has still to place
  touched: new Set(), // sample ids to read back through the API after the next restart
  codeOf: new Map(), // sample id → code, for every sample a print job names
};

const sameLoc = (a, b) =>
  (a === null && b === null) ||
  (a !== null &&
    b !== null &&
    a.box === b.box &&
    (a.pos === undefined || b.pos === undefined || a.pos === b.pos));
const showLoc = (l) => (l ? `${l.boxName ?? l.box}:${l.pos ?? '(no position)'}` : 'unplaced');
const showState = (s) => `${s.status} @ ${showLoc(s.loc)}`;

/**
 * Compares what the store holds of one sample with what the acknowledged commands (and a
 * command whose outcome is unknown) allow. `observed` = { status, loc, moves: [{box, pos}],
 * statusPairs: ['from>to'] }. Returns the problems and whether the unknown command happened.
 */
function compareSample(s, observed) {
  const problems = [];
  const acked = { status: s.status, loc: s.loc };
  const options = [{ state: acked, happened: false }];
  if (s.pending) options.push({ state: s.pending.result, happened: true });
  const match = options.find(
    (o) => o.state.status === observed.status && sameLoc(o.state.loc, observed.loc),
  );
  if (!match) {
    problems.push(
      `sample ${s.code}: acknowledged state ${showState(acked)}` +
        (s.pending
          ? ` (or ${showState(s.pending.result)} if the cut ${s.pending.op} happened)`
          : '') +
        `, but the store has ${showState(observed)}`,
    );
  }
  const happened = match?.happened ?? false;
  const movedByPending = happened && ['place_samples', 'import_rack_scan'].includes(s.pending.op);
  const expectedMoves = s.placements.length + (movedByPending ? 1 : 0);
  if (observed.moves.length !== expectedMoves) {
    problems.push(
      `sample ${s.code}: ${observed.moves.length} placement history rows, expected ${expectedMoves} ` +
        `(${s.placements.length} acknowledged${movedByPending ? ' + the cut one' : ''})`,
    );
  }
  for (const p of s.placements) {
    const n = observed.moves.filter((m) => m.box === p.box && m.pos === p.pos).length;
    if (n !== 1) {
      problems.push(
        `sample ${s.code}: the acknowledged placement at ${showLoc(p)} is in its history ${n} times`,
      );
    }
  }
  const pairs = new Map();
  for (const p of observed.statusPairs) pairs.set(p, (pairs.get(p) ?? 0) + 1);
  for (const [p, n] of pairs) {
    if (n > 1) problems.push(`sample ${s.code}: status change ${p} recorded ${n} times`);
  }
  const initial = observed.statusPairs.filter((p) => p.startsWith('-')).length;
  if (initial !== 1) problems.push(`sample ${s.code}: ${initial} initial status rows, expected 1`);
  const reached = new Set(observed.statusPairs.map((p) => p.split('>')[1]));
  const ackedPath = { collected: [], received: ['received'], stored: ['received', 'stored'] };
  for (const st of ackedPath[s.status] ?? []) {
    if (!reached.has(st)) problems.push(`sample ${s.code}: no status history row reaching ${st}`);
  }
  return { problems, happened, movedByPending };
}

/** After a read through the API: what the store holds becomes what the soak knows. */
function settleSample(s, observed, { problems, movedByPending }) {
  s.status = observed.status;
  s.loc = observed.loc;
  // After a mismatch (already reported) the store's record becomes the baseline, so one
  // defect is reported once rather than in every later round.
  if (problems.length > 0) s.placements = observed.moves.map((m) => ({ box: m.box, pos: m.pos }));
  else if (movedByPending) s.placements.push({ box: observed.loc.box, pos: observed.loc.pos });
  s.pending = null;
  s.claimed = false;
}

// ───────────────────────────── the run ─────────────────────────────

const workDir = mkdtempSync(path.join(tmpdir(), 'aliquot-soak-'));
const dataDir = path.join(workDir, 'data');
const snapDir = path.join(workDir, 'snapshot');
const serverLog = createWriteStream(path.join(workDir, 'server.log'));
// The API is all the soak needs; `serve` only wants a folder with an index.html. A stub of
// its own, so that a UI build running meanwhile (which empties ui/dist) cannot stop a restart.
let uiDir = process.env.ALIQUOT_SOAK_UI_DIR;
if (!uiDir) {
  uiDir = path.join(workDir, 'ui-stub');
  mkdirSync(uiDir);
  writeFileSync(path.join(uiDir, 'index.html'), '<!doctype html><title>soak</title>\n');
}
// The soak runs its own copy of the binary, so a rebuild during a long run changes nothing.
const BIN = path.join(workDir, 'aliquot');
const server = new Server(dataDir, uiDir, serverLog);
let zebra;
const tokens = {};
const catalog = {
  participants: [],
  templates: [],
  freezerId: null,
  rackId: null,
  scanRackId: null,
};
const PRINTER = 'Soak Zebra';
const runTag = SEED.toString(36).toUpperCase();
let boxCounter = 0;

async function signIn(role) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const session = await server.call('login', DEMO[role]);
      tokens[role] = session.token;
      return;
    } catch (e) {
      if (e instanceof ApiRefusal && e.code === 'busy' && attempt < 10) {
        await sleep(200);
        continue;
      }
      throw e;
    }
  }
}

/** A call as `role`; an expired session is signed in again (nothing ran under it). */
async function as(role, name, args) {
  try {
    return await server.call(name, args, tokens[role]);
  } catch (e) {
    if (e instanceof ApiRefusal && e.code === 'unauthenticated') {
      await signIn(role);
      return server.call(name, args, tokens[role]);
    }
    throw e;
  }
}

async function allPages(role, name, args) {
  const items = [];
  for (let page = 1; ; page += 1) {
    const p = await as(role, name, { ...args, page, per_page: 200 });
    items.push(...p.items);
    if (page >= p.total_pages || p.items.length === 0) return items;
  }
}

async function setup() {
  log(`work directory ${workDir}; binary ${BUILT_BIN}; seed ${SEED}; ${POINTS} kill points`);
  if (!existsSync(BUILT_BIN))
    throw new Error(`no binary at ${BUILT_BIN}; build it or set ALIQUOT_BIN`);
  copyFileSync(BUILT_BIN, BIN);
  chmodSync(BIN, 0o755);
  const started = Date.now();
  await execFileP(BIN, ['--data-dir', dataDir, 'init', '--demo']);
  log(`demo lab made in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  zebra = await startFakeZebra();
  await server.start();
  for (const role of ['manager', 'tech', 'desk']) await signIn(role);
  await as('manager', 'configure_printer', {
    name: PRINTER,
    address: zebra.address,
    language: 'zpl',
    dpi: 203,
    stock: 'cryovial',
    darkness: null,
  });
  await as('manager', 'change_settings', {
    settings: [{ key: 'sample_label_printer', value: PRINTER }],
    reason: 'crash soak: sample labels to the fake Zebra',
  });
  catalog.templates = await allPages('desk', 'list_kit_templates', {});
  const participants = await allPages('desk', 'search_participants', { query: '' });
  catalog.participants = participants.filter((p) => p.consent === 'given');
  // The technician's boxes: the demo lab's first freezer (new ones in its first rack). The
  // rack scans' fresh boxes go to a freezer of their own, so that boxes with space in the
  // technician's freezer are never the scans' nearly empty ones.
  const [freezer] = (await as('manager', 'list_freezers', {})).items;
  const [rack] = (await as('manager', 'list_racks', { freezer_id: freezer.id })).items;
  catalog.freezerId = freezer.id;
  catalog.rackId = rack.id;
  const scans = await as('manager', 'create_freezer', {
    name: 'Soak rack scans',
    location: 'crash soak',
    kind: 'ultra_low',
    temperature_c: -80,
  });
  catalog.scanRackId = (
    await as('manager', 'create_rack', { freezer_id: scans.id, name: 'Scans' })
  ).id;
  log(
    `printer ${PRINTER} on 127.0.0.1:${zebra.port}; ${catalog.participants.length} participants, ` +
      `templates: ${catalog.templates.map((t) => `${t.name} (${t.tube_count})`).join(', ')}`,
  );
}

// ─────────────── the workload: three people at the workstation ───────────────

/** One round's workload state: which requests are out, and whether the server is gone. */
function newRound() {
  return { dead: false, inFlight: new Map(), seq: 0 };
}

/**
 * Sends one mutating request. Returns { ok: true, body } when acknowledged, { ok: false,
 * refusal } for an error answer read in full, { ok: false, cut: true } when the kill cut it.
 */
async function send(r, role, name, args) {
  if (r.dead) return { ok: false, cut: true, unsent: true };
  const id = (r.seq += 1);
  r.inFlight.set(id, name);
  try {
    const body = await as(role, name, args);
    bump(stats.acked, name);
    return { ok: true, body };
  } catch (e) {
    if (e instanceof ApiRefusal) {
      bump(stats.refused, `${name}: ${e.code}`);
      if (e.code === 'internal') {
        check('api errors', false, `${name} answered an internal error: ${e.apiMessage}`);
      }
      return { ok: false, refusal: e };
    }
    if (!r.dead) {
      // The server is not known to be dead: a transport failure here is itself a finding.
      await sleep(50);
      if (!r.dead) {
        check('transport', false, `${name} failed without a kill: ${e.message}`);
      }
    }
    bump(stats.inFlight, name);
    return { ok: false, cut: true };
  } finally {
    r.inFlight.delete(id);
  }
}

async function deskLoop(r) {
  while (!r.dead) {
    const participant = pick(catalog.participants);
    const template = pick(catalog.templates);
    const res = await send(r, 'desk', 'register_kit', {
      participant_id: participant.id,
      template_id: template.id,
      collected_at: new Date().toISOString(),
      collector: COLLECTOR,
      print_labels: true,
    });
    if (res.cut) return;
    if (res.ok) recordKit(res.body, participant, template);
    await sleep(randInt(20, 150));
  }
}

function recordKit(body, participant, template) {
  const kit = {
    id: body.registration_id,
    participantId: participant.id,
    participantCode: participant.code,
    template: template.name,
    sampleIds: body.samples.map((s) => s.id),
    labels: body.labels?.result ?? 'none',
    jobId: body.labels?.result === 'queued' ? body.labels.job.id : null,
    round,
  };
  if (body.labels?.result !== 'queued')
    bump(stats.refused, `register_kit labels: ${body.labels?.result}`);
  model.kits.set(kit.id, kit);
  model.unplacedKits.add(kit.id);
  check(
    'register_kit answers',
    body.samples.length === template.tube_count,
    `kit ${kit.id} of ${template.name} acknowledged with ${body.samples.length} samples, the template has ${template.tube_count}`,
  );
  for (const s of body.samples) {
    model.samples.set(s.id, {
      id: s.id,
      code: s.code,
      kit: kit.id,
      participantId: participant.id,
      status: s.status,
      loc: null,
      placements: [],
      pending: null,
      claimed: false,
    });
    model.codeOf.set(s.id, s.code);
    model.touched.add(s.id);
  }
  if (kit.jobId) {
    const job = body.labels.job;
    model.jobs.set(job.id, { id: job.id, records: job.records, via: 'register_kit', round });
    check(
      'register_kit answers',
      sameSet(job.records, kit.sampleIds),
      `kit ${kit.id}: its label job ${job.id} names other records than the kit's samples`,
    );
  }
}

const sameSet = (a, b) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/** A box with room for `n` tubes, or a new one (made by the lab manager). */
async function boxWithSpace(r, n) {
  const page = await as('tech', 'list_boxes', {
    freezer_id: catalog.freezerId,
    has_space: true,
    sort: 'free',
    order: 'desc',
    page: 1,
    per_page: 50,
  });
  const fits = page.items.filter((b) => b.capacity === null || b.capacity - b.occupied >= n);
  if (fits.length > 0) return pick(fits.slice(0, 10));
  return newBox(r, 'SOAK-BOX', catalog.rackId);
}

async function newBox(r, prefix, rackId) {
  boxCounter += 1;
  const name = `${prefix} ${runTag}-${boxCounter}`;
  const res = await send(r, 'manager', 'create_box', {
    rack_id: rackId,
    name,
    barcode: `${prefix.replace('-', '')}${runTag}X${boxCounter}`,
    box_type: '96-tube rack',
    layout: { kind: 'grid', rows: 8, columns: 12 },
  });
  if (!res.ok) return null;
  model.boxes.set(res.body.id, { id: res.body.id, name, round });
  return res.body;
}

async function techLoop(r) {
  while (!r.dead) {
    // The oldest kit whose tubes are all known, free and not yet in a box.
    const kit = nextKitToPlace();
    if (!kit) {
      await sleep(30);
      continue;
    }
    const tubes = kit.sampleIds.map((id) => model.samples.get(id));
    for (const s of tubes) s.claimed = true;
    let usable = true;
    for (const s of tubes.filter((t) => t.status === 'collected')) {
      const res = await send(r, 'tech', 'transition_sample', {
        sample_id: s.id,
        expected: 'collected',
        to: 'received',
      });
      if (res.ok) {
        s.status = 'received';
        model.touched.add(s.id);
      } else {
        s.pending = { op: 'transition_sample', result: { status: 'received', loc: null } };
        model.touched.add(s.id);
        usable = false;
        if (res.cut) return;
        break;
      }
    }
    if (!usable || r.dead) continue; // claimed tubes stay claimed until read back
    let box;
    try {
      box = await boxWithSpace(r, tubes.length);
    } catch (e) {
      if (e instanceof TransportError) return;
      throw e;
    }
    if (!box) {
      if (r.dead) return;
      for (const s of tubes) s.claimed = false;
      continue;
    }
    const res = await send(r, 'tech', 'place_samples', {
      box_id: box.id,
      tubes: tubes.map((s) => ({ sample_id: s.id, position: null })),
      source: 'scan',
    });
    for (const s of tubes) model.touched.add(s.id);
    if (res.ok) {
      const wells = new Map(res.body.wells.map((w) => [w.sample_id, w]));
      for (const s of tubes) {
        const w = wells.get(s.id);
        if (
          !check(
            'place_samples answers',
            !!w,
            `place_samples acknowledged but ${s.code} is not in box ${box.name}'s map`,
          )
        ) {
          s.pending = { op: 'place_samples', result: { status: 'stored', loc: { box: box.id } } };
          continue;
        }
        s.status = 'stored';
        s.loc = { box: box.id, pos: w.position, boxName: box.name };
        s.placements.push({ box: box.id, pos: w.position });
        s.claimed = false;
      }
    } else {
      for (const s of tubes) {
        s.pending = {
          op: 'place_samples',
          result: { status: 'stored', loc: { box: box.id, boxName: box.name } },
        };
      }
      if (res.cut) return;
    }
  }
}

/** Kits not yet placed, oldest first (kits whose tubes all have a place drop out). */
function nextKitToPlace() {
  let found = null;
  for (const id of model.unplacedKits) {
    const k = model.kits.get(id);
    const tubes = k.sampleIds.map((sid) => model.samples.get(sid));
    if (tubes.every((s) => s.loc !== null || !['collected', 'received'].includes(s.status))) {
      model.unplacedKits.delete(id);
      continue;
    }
    if (tubes.every((s) => !s.claimed && !s.pending && s.loc === null)) {
      found = k;
      break;
    }
  }
  return found;
}

const POSITIONS = 'ABCDEFGH'
  .split('')
  .flatMap((row) => Array.from({ length: 12 }, (_, i) => `${row}${i + 1}`));

async function rackScanLoop(r) {
  while (!r.dead) {
    await sleep(randInt(150, 700));
    if (r.dead) return;
    const stored = [...model.samples.values()].filter(
      (s) => s.status === 'stored' && s.loc && !s.claimed && !s.pending,
    );
    if (stored.length < 2) continue;
    const chosen = [];
    const k = Math.min(stored.length, randInt(2, 4));
    while (chosen.length < k) {
      const s = pick(stored);
      if (!chosen.includes(s)) chosen.push(s);
    }
    for (const s of chosen) s.claimed = true;
    let box;
    try {
      box = await newBox(r, 'SOAK-SCAN', catalog.scanRackId);
    } catch (e) {
      if (e instanceof TransportError) return;
      throw e;
    }
    if (!box) {
      for (const s of chosen) s.claimed = false;
      if (r.dead) return;
      continue;
    }
    const at = new Map(chosen.map((s, i) => [s.id, POSITIONS[i]]));
    const fileText = ['Position,Tube', ...chosen.map((s) => `${at.get(s.id)},${s.code}`)].join(
      '\n',
    );
    const res = await send(r, 'tech', 'import_rack_scan', { box_id: box.id, file_text: fileText });
    for (const s of chosen) model.touched.add(s.id);
    if (res.ok) {
      const placed = new Map(res.body.diff.placements.map((p) => [p.sample_id, p.position]));
      check(
        'import_rack_scan answers',
        res.body.placed === chosen.length && placed.size === chosen.length,
        `a scan of ${chosen.length} tubes into the empty box ${box.name} was acknowledged with ${res.body.placed} placed`,
      );
      for (const s of chosen) {
        const pos = placed.get(s.id);
        if (pos === undefined) {
          s.pending = {
            op: 'import_rack_scan',
            result: { status: 'stored', loc: { box: box.id, pos: at.get(s.id) } },
          };
          continue;
        }
        s.loc = { box: box.id, pos, boxName: box.name };
        s.placements.push({ box: box.id, pos });
        s.claimed = false;
      }
    } else {
      for (const s of chosen) {
        s.pending = {
          op: 'import_rack_scan',
          result: { status: 'stored', loc: { box: box.id, pos: at.get(s.id), boxName: box.name } },
        };
      }
      if (res.cut) return;
    }
  }
}

/** Runs the workload until a random moment, then SIGKILLs the server mid-whatever. */
async function workloadAndKill() {
  const r = newRound();
  // Claims of the last round's cut work are void: everything was read back since.
  for (const s of model.samples.values()) s.claimed = false;
  const loops = [deskLoop(r), techLoop(r)];
  if (random() < 0.6) loops.push(rackScanLoop(r));
  // Kills come at a random moment; or as the printer starts receiving a job (inside the
  // moment between the bytes going out and the job being recorded as printed); or a few
  // milliseconds into a command (mid-transaction, between a kit's commit and its print job).
  const mode = random();
  const onPrint = mode < ON_PRINT_SHARE;
  const midCommand = !onPrint && mode < ON_PRINT_SHARE + MID_COMMAND_SHARE;
  const delay =
    onPrint || midCommand
      ? randInt(KILL_MIN_MS, Math.min(KILL_MAX_MS, 1000))
      : randInt(KILL_MIN_MS, KILL_MAX_MS);
  const guarded = loops.map((p) =>
    p.catch((e) => {
      if (!(e instanceof TransportError))
        check('workload', false, `a workload loop stopped: ${e.stack ?? e}`);
    }),
  );
  const started = Date.now();
  await sleep(delay);
  let how = 'timer';
  if (onPrint) {
    const seen = zebra.received().length;
    const until = started + KILL_MAX_MS;
    while (zebra.received().length === seen && Date.now() < until) await sleep(1);
    how = zebra.received().length === seen ? 'timer (no print came)' : 'as a print arrived';
  } else if (midCommand) {
    const until = started + KILL_MAX_MS;
    while (r.inFlight.size === 0 && Date.now() < until) await sleep(1);
    const wait = randInt(0, 6);
    if (wait > 0) await sleep(wait);
    how = 'mid-command';
  }
  bump(stats.killModes, how);
  const cut = [...r.inFlight.values()];
  const after = Date.now() - started;
  r.dead = true;
  const killed = await server.kill();
  if (killed) stats.kills += 1;
  else check('server alive', false, 'the server had exited before the kill');
  await Promise.all(guarded);
  log(
    `round ${round}: killed ${how} after ${after} ms with ${cut.length ? cut.join(', ') : 'nothing'} in flight`,
  );
}

// ─────────────── checks with the server down (sqlite3, audit verify) ───────────────

async function sqlite(dbFile, sql) {
  const { stdout } = await execFileP('sqlite3', ['-json', dbFile, sql], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout.trim() ? JSON.parse(stdout) : [];
}

let alarmsSeen = 0;

async function downChecks(label) {
  // The checks run on a copy of the data directory, so the server meets the crash state as
  // it was left when it starts again.
  rmSync(snapDir, { recursive: true, force: true });
  cpSync(dataDir, snapDir, { recursive: true, preserveTimestamps: true });
  const db = path.join(snapDir, 'aliquot.db');
  let ok = true;

  const integrity = await sqlite(db, 'PRAGMA integrity_check').catch((e) => [
    { integrity_check: String(e.message) },
  ]);
  const verdict = integrity.map((row) => row.integrity_check).join('; ');
  ok =
    check('integrity_check', verdict === 'ok', `PRAGMA integrity_check ${label}: ${verdict}`) && ok;

  const alarms = async () =>
    sqlite(db, "SELECT seq, reason FROM audit_log WHERE action = 'audit_chain_alarm' ORDER BY seq");
  const before = await alarms();
  ok =
    check(
      'no audit alarm',
      before.length === alarmsSeen,
      `the server's last start raised audit_chain_alarm: ${before
        .slice(alarmsSeen)
        .map((a) => a.reason)
        .join(' | ')}`,
    ) && ok;
  alarmsSeen = before.length;

  ok = (await storeChecks(db, label)) && ok;

  const verify = await execFileP(BIN, ['--data-dir', snapDir, 'audit', 'verify']).then(
    ({ stdout }) => ({ code: 0, out: stdout.trim() }),
    (e) => ({ code: e.code, out: `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() }),
  );
  ok =
    check(
      'audit verify',
      verify.code === 0,
      `audit verify ${label} exited ${verify.code}: ${verify.out}`,
    ) && ok;
  const after = await alarms();
  ok =
    check(
      'no audit alarm',
      after.length === before.length,
      `opening the state ${label} raised audit_chain_alarm: ${after
        .slice(before.length)
        .map((a) => a.reason)
        .join(' | ')}`,
    ) && ok;
  if (!ok) {
    const keep = path.join(workDir, `failed-round-${round}`);
    rmSync(keep, { recursive: true, force: true });
    cpSync(dataDir, keep, { recursive: true });
    log(`round ${round}: the crash state is kept in ${keep}`);
  }
  return ok;
}

/** Every acknowledged command against the database file itself (server down). */
async function storeChecks(db, label) {
  let ok = true;
  const rows = await sqlite(
    db,
    `SELECT s.id, s.code, s.status, s.registration_id, p.box_id, p.position
       FROM samples s LEFT JOIN placements p ON p.sample_id = s.id
      WHERE s.collector = '${COLLECTOR}'`,
  );
  const moves = await sqlite(
    db,
    `SELECT h.sample_id, h.to_box_id, h.to_position FROM placement_history h
       JOIN samples s ON s.id = h.sample_id WHERE s.collector = '${COLLECTOR}' ORDER BY h.seq`,
  );
  const pairs = await sqlite(
    db,
    `SELECT h.sample_id, h.from_status, h.to_status FROM sample_status_history h
       JOIN samples s ON s.id = h.sample_id WHERE s.collector = '${COLLECTOR}' ORDER BY h.seq`,
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  const movesOf = group(moves, (m) => m.sample_id);
  const pairsOf = group(pairs, (p) => p.sample_id);
  const codes = new Map();
  for (const row of rows) codes.set(row.code, (codes.get(row.code) ?? 0) + 1);
  const twice = [...codes].filter(([, n]) => n > 1).map(([c]) => c);
  ok =
    check(
      'exactly once (store)',
      twice.length === 0,
      `codes issued twice ${label}: ${twice.join(', ')}`,
    ) && ok;

  let missing = 0;
  const problems = [];
  for (const s of model.samples.values()) {
    const row = byId.get(s.id);
    if (!row) {
      missing += 1;
      problems.push(`acknowledged sample ${s.code} (kit ${s.kit}) is not in the database`);
      continue;
    }
    if (row.code !== s.code)
      problems.push(`sample ${s.id} has code ${row.code}, acknowledged ${s.code}`);
    if (row.registration_id !== s.kit)
      problems.push(
        `sample ${s.code} belongs to kit ${row.registration_id}, acknowledged ${s.kit}`,
      );
    const observed = {
      status: row.status,
      loc: row.box_id ? { box: row.box_id, pos: row.position } : null,
      moves: (movesOf.get(s.id) ?? []).map((m) => ({ box: m.to_box_id, pos: m.to_position })),
      statusPairs: (pairsOf.get(s.id) ?? []).map((p) => `${p.from_status ?? '-'}>${p.to_status}`),
    };
    const found = compareSample(s, observed).problems;
    // Read it back through the API after the restart too (which settles the baseline).
    if (found.length > 0) model.touched.add(s.id);
    problems.push(...found);
  }
  ok =
    check(
      'exactly once (store)',
      problems.length === 0,
      `${label}: ${problems.length} problem(s) among ${model.samples.size} acknowledged samples` +
        (missing ? ` (${missing} missing)` : '') +
        `: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? '; …' : ''}`,
    ) && ok;

  // No half kits: every kit of the soak, acknowledged or cut, has all of its tubes.
  const kits = await sqlite(
    db,
    // (samples has no index on registration_id: count them in one pass, not per kit)
    `WITH n AS (SELECT registration_id, COUNT(*) AS tubes FROM samples
                 WHERE collector = '${COLLECTOR}' GROUP BY registration_id)
     SELECT k.id, t.name, t.items, COALESCE(n.tubes, 0) AS tubes
       FROM kit_registrations k JOIN kit_templates t ON t.id = k.template_id
       LEFT JOIN n ON n.registration_id = k.id
      WHERE k.collector = '${COLLECTOR}'`,
  );
  const half = kits.filter((k) => {
    const want = JSON.parse(k.items).reduce((n, item) => n + item.count, 0);
    return k.tubes !== want;
  });
  ok =
    check(
      'exactly once (store)',
      half.length === 0,
      `${label}: kits with a wrong number of tubes: ${half.map((k) => `${k.id} ${k.name} has ${k.tubes}`).join(', ')}`,
    ) && ok;
  const known = new Set(kits.map((k) => k.id));
  const lost = [...model.kits.keys()].filter((id) => !known.has(id));
  ok =
    check(
      'exactly once (store)',
      lost.length === 0,
      `${label}: acknowledged kits missing: ${lost.join(', ')}`,
    ) && ok;

  if (model.boxes.size > 0) {
    const boxes = new Set(
      (await sqlite(db, "SELECT id FROM boxes WHERE name LIKE 'SOAK-%'")).map((b) => b.id),
    );
    const gone = [...model.boxes.values()].filter((b) => !boxes.has(b.id));
    ok =
      check(
        'exactly once (store)',
        gone.length === 0,
        `${label}: acknowledged boxes missing: ${gone.map((b) => b.name).join(', ')}`,
      ) && ok;
  }

  if (model.jobs.size > 0) {
    const jobs = new Map(
      (await sqlite(db, 'SELECT id, records FROM print_jobs')).map((j) => [
        j.id,
        JSON.parse(j.records),
      ]),
    );
    const gone = [...model.jobs.values()].filter((j) => !jobs.has(j.id));
    ok =
      check(
        'exactly once (store)',
        gone.length === 0,
        `${label}: acknowledged print jobs missing: ${gone.map((j) => j.id).join(', ')}`,
      ) && ok;
  }
  return ok;
}

function group(list, key) {
  const m = new Map();
  for (const item of list) {
    const k = key(item);
    if (!m.has(k)) m.set(k, []);
    m.get(k).push(item);
  }
  return m;
}

// ─────────────── checks through the API after the restart ───────────────

async function readSample(id) {
  const d = await as('tech', 'get_sample', { id });
  const l = d.sample.location;
  // Its whole history, oldest first (the core pages it newest first).
  const history = (await allPages('tech', 'sample_history', { sample_id: id }))
    .reverse()
    .map((e) => e.what);
  return {
    code: d.sample.code,
    observed: {
      status: d.sample.status,
      loc: l ? { box: l.box_id, pos: l.position, boxName: l.box_name } : null,
      moves: history
        .filter((h) => h.kind === 'placement')
        .map((h) => ({ box: h.to_box_id, pos: h.to_position })),
      statusPairs: history
        .filter((h) => h.kind === 'status')
        .map((h) => `${h.from ?? '-'}>${h.to}`),
    },
  };
}

/** Reads back every sample touched since the last restart (or all of them, at the end). */
async function apiChecks(all = false) {
  const ids = all ? [...model.samples.keys()] : [...model.touched];
  const problems = [];
  for (const id of ids) {
    const s = model.samples.get(id);
    let read;
    try {
      read = await readSample(id);
    } catch (e) {
      if (e instanceof ApiRefusal) {
        problems.push(`get_sample of acknowledged ${s.code}: ${e.code} ${e.apiMessage}`);
        continue;
      }
      throw e;
    }
    if (read.code !== s.code)
      problems.push(`sample ${s.id} reads as ${read.code}, acknowledged ${s.code}`);
    const verdict = compareSample(s, read.observed);
    problems.push(...verdict.problems);
    settleSample(s, read.observed, verdict);
  }
  model.touched.clear();
  check(
    'exactly once (api)',
    problems.length === 0,
    `${problems.length} problem(s) among ${ids.length} samples read back: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? '; …' : ''}`,
  );

  // The kits acknowledged since the last check: found by lookup and among their participant's
  // samples, each tube exactly once.
  const kits = [...model.kits.values()].filter((k) => all || k.round === round);
  const kitProblems = [];
  const byParticipant = group(kits, (k) => k.participantId);
  for (const [participantId, list] of byParticipant) {
    const samples = await allPages('tech', 'participant_samples', {
      participant_id: participantId,
    });
    const count = new Map();
    for (const v of samples) count.set(v.id, (count.get(v.id) ?? 0) + 1);
    for (const k of list) {
      for (const id of k.sampleIds) {
        if (count.get(id) !== 1)
          kitProblems.push(
            `participant_samples lists ${model.samples.get(id).code} ${count.get(id) ?? 0} times`,
          );
      }
    }
  }
  for (const k of kits) {
    for (const id of all ? k.sampleIds.slice(0, 1) : k.sampleIds) {
      const code = model.samples.get(id).code;
      const found = await as('tech', 'lookup_scan', { code });
      if (found.kind !== 'sample' || found.sample.id !== id) {
        kitProblems.push(`lookup_scan ${code} gives ${found.kind} ${found.sample?.id ?? ''}`);
      }
    }
  }
  check(
    'exactly once (api)',
    kitProblems.length === 0,
    `acknowledged kits: ${kitProblems.slice(0, 8).join('; ')}`,
  );

  const boxProblems = [];
  for (const b of model.boxes.values()) {
    if (!all && b.round !== round) continue;
    try {
      await as('tech', 'get_box', { id: b.id });
    } catch (e) {
      if (!(e instanceof ApiRefusal)) throw e;
      boxProblems.push(`acknowledged box ${b.name}: ${e.code}`);
    }
  }
  check('exactly once (api)', boxProblems.length === 0, boxProblems.join('; '));
}

// ─────────────── printing: the desk clerk after a restart, and duplicates ───────────────

/** Complete ^XA…^XZ formats (a format cut short, then a new ^XA, is discarded as a printer does). */
function completeFormats() {
  return zebra.received().match(/\^XA(?:(?!\^XA)[\s\S])*?\^XZ/g) ?? [];
}

function formatTokens(format) {
  const tokens = new Set();
  for (const m of format.matchAll(/\^FD([\s\S]*?)\^FS/g)) {
    const text = m[1].replace(/_([0-9A-Fa-f]{2})/g, (_, hex) =>
      String.fromCharCode(parseInt(hex, 16)),
    );
    for (const t of text.split(/[^0-9A-Za-z]+/)) if (t) tokens.add(t);
  }
  return tokens;
}

/** How many complete label formats carry each code the print jobs name. */
function labelCounts() {
  const codes = new Set(model.codeOf.values());
  const counts = new Map();
  const formats = completeFormats();
  stats.labelsReceived = formats.length;
  for (const f of formats) {
    for (const t of formatTokens(f)) {
      if (codes.has(t)) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
  }
  return counts;
}

async function codeOf(id) {
  if (!model.codeOf.has(id)) {
    const d = await as('desk', 'get_sample', { id });
    model.codeOf.set(id, d.sample.code);
  }
  return model.codeOf.get(id);
}

const reportedDuplicates = new Set();

function duplicateCheck(label) {
  const counts = labelCounts();
  const dups = [...counts].filter(([code, n]) => n > 1 && !reportedDuplicates.has(code));
  for (const [code] of dups) reportedDuplicates.add(code);
  check(
    'no duplicate label',
    dups.length === 0,
    `${label}: codes printed on more than one label: ${dups.map(([c, n]) => `${c} ×${n}`).join(', ')}`,
  );
  return counts;
}

async function allJobs() {
  return allPages('desk', 'list_print_jobs', {});
}

/** The clerk after a restart: print the kits owed labels, settle the jobs held in doubt. */
async function clerk() {
  // Jobs caught "sent" are held when the print worker starts; give it a moment.
  let jobs = await allJobs();
  for (let i = 0; i < 30 && jobs.some((j) => j.state === 'sent' && !j.in_doubt_since); i += 1) {
    await sleep(100);
    jobs = await allJobs();
  }
  const notHeld = jobs.filter((j) => j.state === 'sent' && !j.in_doubt_since);
  check(
    'print queue',
    notHeld.length === 0,
    `jobs left "sent" but not held in doubt after the restart: ${notHeld.map((j) => j.id).join(', ')}`,
  );

  const byId = new Map(jobs.map((j) => [j.id, j]));
  for (const j of jobs) for (const id of j.records) await codeOf(id);
  const lostJobs = [...model.jobs.values()].filter((j) => !byId.has(j.id));
  check(
    'exactly once (api)',
    lostJobs.length === 0,
    `acknowledged print jobs missing: ${lostJobs.map((j) => j.id).join(', ')}`,
  );
  const changed = [...model.jobs.values()].filter(
    (j) => byId.has(j.id) && !sameSet(byId.get(j.id).records, j.records),
  );
  check(
    'exactly once (api)',
    changed.length === 0,
    `print jobs whose records changed: ${changed.map((j) => j.id).join(', ')}`,
  );
  // A sample in two original jobs would be printed twice.
  const jobsOf = new Map();
  for (const j of jobs) {
    if (j.reprint_of || j.template === 'test') continue;
    for (const id of j.records) {
      if (!jobsOf.has(id)) jobsOf.set(id, []);
      jobsOf.get(id).push(j.id);
    }
  }
  const doubled = [...jobsOf].filter(([, list]) => list.length > 1);
  check(
    'no duplicate label',
    doubled.length === 0,
    `samples in more than one print job: ${doubled
      .slice(0, 5)
      .map(([id, list]) => `${model.codeOf.get(id)} in ${list.join(' & ')}`)
      .join('; ')}`,
  );

  // Kits owed labels: print them, as the desk does.
  const owed = await allPages('desk', 'list_unprinted_kits', {});
  for (const kit of owed) {
    stats.unprintedKits += 1;
    const known = model.kits.get(kit.registration_id);
    check(
      'print queue',
      !known?.jobId,
      `kit ${kit.registration_id} is listed unprinted, but register_kit acknowledged its job ${known?.jobId}`,
    );
    const existing = known ? jobs.filter((j) => sameSet(j.records, known.sampleIds)) : [];
    check(
      'print queue',
      existing.length === 0,
      `kit ${kit.registration_id} is listed unprinted but has job ${existing.map((j) => j.id).join(', ')}`,
    );
    try {
      const job = await as('desk', 'print_labels', {
        labels: { group: 'kit', registration_id: kit.registration_id },
      });
      bump(stats.acked, 'print_labels');
      stats.clerkPrinted += 1;
      model.jobs.set(job.id, { id: job.id, records: job.records, via: 'clerk', round });
      for (const id of job.records) await codeOf(id);
      log(
        `round ${round}: clerk printed the owed labels of kit ${kit.registration_id} (${kit.tubes} tubes${kit.last_error ? `; ${kit.last_error}` : ''})`,
      );
    } catch (e) {
      if (!(e instanceof ApiRefusal)) throw e;
      check(
        'print queue',
        false,
        `print_labels for unprinted kit ${kit.registration_id}: ${e.code} ${e.apiMessage}`,
      );
    }
  }
  const stillOwed = await as('desk', 'list_unprinted_kits', { page: 1, per_page: 10 });
  check(
    'print queue',
    stillOwed.total === 0,
    `${stillOwed.total} kits still listed unprinted after the clerk printed them`,
  );

  // Jobs held in doubt: look at the printer, then confirm or print again.
  const held = jobs.filter((j) => j.state === 'sent' && j.in_doubt_since);
  if (held.length > 0) {
    const counts = labelCounts();
    for (const j of held) {
      stats.heldInDoubt += 1;
      const codes = await Promise.all(j.records.map(codeOf));
      const arrived = codes.filter((c) => (counts.get(c) ?? 0) > 0).length;
      const printed = arrived === codes.length;
      if (arrived > 0 && !printed) {
        stats.partialInDoubt += 1;
        log(
          `round ${round}: job ${j.id} in doubt with ${arrived} of ${codes.length} labels arrived`,
        );
      }
      try {
        await as(
          'desk',
          'settle_print_job',
          printed
            ? { job_id: j.id, printed: true }
            : { job_id: j.id, printed: false, reason: 'soak: labels did not arrive' },
        );
        bump(stats.acked, 'settle_print_job');
        if (printed) stats.settledPrinted += 1;
        else stats.settledReprinted += 1;
        log(
          `round ${round}: job ${j.id} held in doubt, ${arrived}/${codes.length} labels arrived → ${printed ? 'confirmed printed' : 'printed again'}`,
        );
      } catch (e) {
        if (!(e instanceof ApiRefusal)) throw e;
        check('print queue', false, `settle_print_job ${j.id}: ${e.code} ${e.apiMessage}`);
      }
    }
  }
  duplicateCheck(`after restart ${round}`);
}

/** At the end: wait for the queue to empty, then every kit's labels exactly once. */
async function drainAndFinalPrintCheck() {
  const end = Date.now() + 60_000;
  let jobs = await allJobs();
  while (jobs.some((j) => j.state === 'queued' || j.state === 'sent') && Date.now() < end) {
    await sleep(250);
    jobs = await allJobs();
  }
  const open = jobs.filter((j) => j.state !== 'done');
  check(
    'print queue',
    open.length === 0,
    `jobs not printed at the end: ${open.map((j) => `${j.id} ${j.state}${j.last_error ? ` (${j.last_error})` : ''}`).join('; ')}`,
  );
  const counts = duplicateCheck('at the end');
  const unprinted = [];
  for (const k of model.kits.values()) {
    for (const id of k.sampleIds) {
      const code = model.samples.get(id).code;
      if (!counts.get(code)) unprinted.push(code);
    }
  }
  check(
    'print queue',
    unprinted.length === 0,
    `acknowledged kits' tubes with no label at the end: ${unprinted.slice(0, 20).join(', ')}${unprinted.length > 20 ? ', …' : ''}`,
  );
}

// ───────────────────────────── main ─────────────────────────────

function report(elapsed) {
  const line = (k, v) => process.stdout.write(`  ${k.padEnd(34)} ${v}\n`);
  const fmt = (table) =>
    Object.keys(table).length
      ? Object.entries(table)
          .sort()
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')
      : 'none';
  let passed = 0;
  let failed = 0;
  for (const c of Object.values(stats.checks)) {
    passed += c.passed;
    failed += c.failed;
  }
  process.stdout.write('\n=== crash soak report ===\n');
  line('seed', SEED);
  line('points run', `${stats.points} of ${POINTS}`);
  line('kills done (SIGKILL)', `${stats.kills} (${fmt(stats.killModes)})`);
  line('elapsed', `${(elapsed / 1000).toFixed(1)} s`);
  line('acknowledged operations', fmt(stats.acked));
  line('cut by a kill (outcome unknown)', fmt(stats.inFlight));
  line('refused (error answers)', fmt(stats.refused));
  line('checks passed', `${passed} of ${passed + failed}`);
  for (const [k, c] of Object.entries(stats.checks).sort()) {
    line(`  ${k}`, `${c.passed} passed${c.failed ? `, ${c.failed} FAILED` : ''}`);
  }
  line(
    'jobs held in doubt',
    `${stats.heldInDoubt} (confirmed printed ${stats.settledPrinted}, printed again ${stats.settledReprinted}, partly arrived ${stats.partialInDoubt})`,
  );
  line(
    'kits found unprinted',
    `${stats.unprintedKits} (printed by the clerk ${stats.clerkPrinted})`,
  );
  line('label formats received', stats.labelsReceived);
  line('acknowledged kits / samples', `${model.kits.size} / ${model.samples.size}`);
  line('failures', failures.length);
  for (const f of failures) process.stdout.write(`    round ${f.round}: ${f.what}\n`);
  line('work directory', KEEP || failures.length ? workDir : `${workDir} (removed)`);
}

async function main() {
  const started = Date.now();
  let fatal = null;
  try {
    await setup();
    for (round = 1; round <= POINTS; round += 1) {
      await workloadAndKill();
      stats.points = round;
      const t = [Date.now()];
      await downChecks(`after kill ${round}`);
      t.push(Date.now());
      try {
        await server.start();
      } catch (e) {
        check(
          'restart',
          false,
          `the server did not start on the crashed data directory: ${e.message}`,
        );
        throw e;
      }
      check('restart', true, '');
      t.push(Date.now());
      await apiChecks();
      t.push(Date.now());
      await clerk();
      t.push(Date.now());
      const secs = (i) => ((t[i + 1] - t[i]) / 1000).toFixed(1);
      log(
        `round ${round}: checked (server down ${secs(0)} s, restart ${secs(1)} s, ` +
          `read-back ${secs(2)} s, clerk ${secs(3)} s); ${model.kits.size} kits, ${model.samples.size} samples so far`,
      );
    }
    round = POINTS + 1;
    log('final: draining the print queue and reading every acknowledged sample back');
    await drainAndFinalPrintCheck();
    await apiChecks(true);
    await server.stop();
    await downChecks('after the final stop');
  } catch (e) {
    fatal = e;
    failures.push({ round, what: `the soak stopped: ${e.stack ?? e}` });
  } finally {
    await server.kill().catch(() => {});
    await zebra?.close();
    await new Promise((r) => serverLog.end(r));
  }
  report(Date.now() - started);
  if (failures.length === 0 && !KEEP) rmSync(workDir, { recursive: true, force: true });
  process.exitCode = failures.length || fatal ? 1 : 0;
}

await main();
