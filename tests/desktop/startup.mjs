// Start-up and idle-memory benchmark of the desktop window (a program, not a test): how long
// from starting the app to the demo lab's sign-in form, and how much memory the window holds
// once it sits idle there. Prints each figure beside its goal and a baseline from the same run.
//
//   ALIQUOT_DESKTOP_BIN=target/release/aliquot-desktop ALIQUOT_BIN=target/release/aliquot \
//     bash tests/desktop/run.sh startup       (Xvfb; the release build is scripts/package's)
//   ALIQUOT_STARTUP_RUNS starts to measure (default 5); ALIQUOT_IDLE_SECONDS (default 10)
//
// "Start" is the WebDriver request that launches the app (tauri-driver spawns it); "sign-in"
// is the first moment the form is found in the page, polled every 20 ms. The span includes
// WebKitWebDriver attaching to the window, so it overstates the app's own start a little.
// A cold start drops the page cache first (root only); otherwise every start is warm.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  APP,
  closeWindow,
  descendants,
  driver,
  openSession,
  repo,
  sessionUrl,
  startDriver,
  waitFor,
  wd,
} from './driver.mjs';

const CLI = path.resolve(process.env.ALIQUOT_BIN ?? path.join(repo, 'target', 'debug', 'aliquot'));
const RUNS = Number(process.env.ALIQUOT_STARTUP_RUNS ?? 5);
const IDLE_SECONDS = Number(process.env.ALIQUOT_IDLE_SECONDS ?? 10);
const GOAL_START_MS = 1500;
const GOAL_RSS_MB = 150;

function dropPageCache() {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

/** kB of a field (VmRSS) of /proc/<pid>/status or (Pss) of /proc/<pid>/smaps_rollup. */
function kilobytes(pid, file, field) {
  const text = readFileSync(`/proc/${pid}/${file}`, 'utf8');
  const match = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) : 0;
}

function commandName(pid) {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

/** The app's process: the descendant of tauri-driver that runs APP. */
function appPid() {
  const app = realpathSync(APP);
  for (const pid of descendants(driver.child.pid)) {
    try {
      if (realpathSync(`/proc/${pid}/exe`) === app) return pid;
    } catch {
      // Gone, or not ours to read.
    }
  }
  return null;
}

async function signInFormFound() {
  const found = await wd(
    'POST',
    `${sessionUrl}/element`,
    { using: 'css selector', value: '[data-testid="login-form"]' },
    2_000,
  ).catch(() => null);
  return Boolean(found);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const mb = (kb) => (kb / 1024).toFixed(1);

async function oneStart(dataDir, cold) {
  await startDriver(dataDir);
  const dropped = cold ? dropPageCache() : false;
  const started = performance.now();
  await openSession();
  const attached = performance.now();
  await waitFor('the sign-in form', signInFormFound, { timeoutMs: 30_000, intervalMs: 20 });
  const signIn = performance.now();
  return { dropped, attachMs: attached - started, signInMs: signIn - started };
}

async function idleMemory() {
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  const pid = appPid();
  if (pid === null) throw new Error(`no process runs ${APP}`);
  const processes = [pid, ...descendants(pid)].map((p) => ({
    pid: p,
    name: commandName(p),
    rssKb: kilobytes(p, 'status', 'VmRSS'),
    pssKb: kilobytes(p, 'smaps_rollup', 'Pss'),
  }));
  return processes;
}

const demo = mkdtempSync(path.join(tmpdir(), 'aliquot-startup-'));
try {
  execFileSync(CLI, ['--data-dir', demo, 'init', '--demo'], { stdio: 'ignore' });

  // Baseline: the same binary started and ended without a window (`--version`).
  const versionMs = [];
  for (let i = 0; i < 5; i += 1) {
    const t = performance.now();
    spawnSync(APP, ['--version']);
    versionMs.push(performance.now() - t);
  }

  const starts = [];
  let memory;
  for (let run = 0; run < RUNS; run += 1) {
    const cold = run % 2 === 0;
    const result = await oneStart(demo, cold);
    starts.push({ ...result, cold: cold && result.dropped });
    if (run === RUNS - 1) memory = await idleMemory();
    await closeWindow().catch(() => {});
    // closeWindow removes the data directory it was given: seed the next start again.
    execFileSync(CLI, ['--data-dir', demo, 'init', '--demo'], { stdio: 'ignore' });
  }

  console.log(`desktop start-up and idle memory (${APP})`);
  console.log(`runs: ${RUNS}; idle wait before reading memory: ${IDLE_SECONDS} s`);
  console.log(
    `baseline: the binary started for --version, median ${median(versionMs).toFixed(0)} ms`,
  );
  for (const kind of ['cold', 'warm']) {
    const these = starts.filter((s) => (kind === 'cold') === s.cold);
    if (these.length === 0) {
      console.log(`${kind} start: not measured (the page cache could not be dropped: run as root)`);
      continue;
    }
    const signIn = these.map((s) => s.signInMs);
    const attach = these.map((s) => s.attachMs);
    console.log(
      `${kind} start to sign-in form: median ${median(signIn).toFixed(0)} ms, max ${Math.max(...signIn).toFixed(0)} ms ` +
        `(goal < ${GOAL_START_MS} ms; of which to WebDriver attached: median ${median(attach).toFixed(0)} ms) over ${these.length} starts`,
    );
  }
  const app = memory[0];
  const totalRss = memory.reduce((sum, p) => sum + p.rssKb, 0);
  const totalPss = memory.reduce((sum, p) => sum + p.pssKb, 0);
  console.log(
    `idle memory on the sign-in screen: the app process ${mb(app.rssKb)} MB RSS (goal < ${GOAL_RSS_MB} MB); ` +
      `with WebKit's processes ${mb(totalRss)} MB RSS, ${mb(totalPss)} MB PSS`,
  );
  for (const p of memory) {
    console.log(
      `  ${p.name.padEnd(18)} pid ${String(p.pid).padEnd(7)} RSS ${mb(p.rssKb).padStart(7)} MB  PSS ${mb(p.pssKb).padStart(7)} MB`,
    );
  }
} finally {
  await closeWindow().catch(() => {});
  rmSync(demo, { recursive: true, force: true });
}
