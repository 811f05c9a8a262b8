// What every browser test needs: the core in browser mode (optionally with the demo lab), Debian's
// Chromium through playwright-core, sign-in, direct API calls for setting up, screenshots, and
// fake devices behind real transports: a Zebra on loopback TCP 9100 and a serial scanner on a
// pseudo-terminal.
//   ALIQUOT_BIN      the server binary (default: <repo>/target/debug/aliquot)
//   CHROMIUM_PATH    the browser (default: /usr/bin/chromium)
//   ALIQUOT_UI_DIST  the built UI (default: <repo>/ui/dist)

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const uiDir = path.join(repo, 'ui');
// playwright-core is a dev dependency of ui/; resolve it from there.
const { chromium } = createRequire(path.join(uiDir, 'package.json'))('playwright-core');

export const BIN = process.env.ALIQUOT_BIN ?? path.join(repo, 'target', 'debug', 'aliquot');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const UI_DIST = process.env.ALIQUOT_UI_DIST ?? path.join(uiDir, 'dist');
export const RESULTS = path.join(uiDir, 'test-results');

/** The demo lab's accounts (cli/src/main.rs, shared/store/src/seed.rs). */
export const DEMO = {
  admin: { username: 'admin', password: 'aliquot demo passphrase' },
  manager: { username: 'manager', password: 'manager demo passphrase' },
  tech: { username: 'tech', password: 'bench demo passphrase' },
  desk: { username: 'desk', password: 'desk demo passphrase' },
};

/**
 * Starts `aliquot serve` on a free port over a fresh data directory (with the demo lab when
 * `demo`); resolves once it says it is listening. `stop()` ends it and removes the directory.
 * `crash()` kills it at once (SIGKILL, like a power cut) and keeps the directory; `restart()`
 * starts it again over the same directory, on a new port (`url` changes; a browser page must
 * open the new one).
 */
export async function startCore({ demo = false } = {}) {
  assert.ok(existsSync(BIN), `server binary not found at ${BIN}; build it or set ALIQUOT_BIN`);
  assert.ok(
    existsSync(path.join(UI_DIST, 'index.html')),
    `${UI_DIST} has no index.html; run \`npm run build\` in ui/ first`,
  );
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aliquot-e2e-'));
  if (demo) execFileSync(BIN, ['--data-dir', dataDir, 'init', '--demo'], { stdio: 'ignore' });
  let output = '';
  let child = null;

  /** Starts the server over `dataDir`; resolves with its URL once it is listening. */
  function launch() {
    const started = spawn(
      BIN,
      ['serve', '--data-dir', dataDir, '--port', '0', '--ui-dir', UI_DIST],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    started.stderr.setEncoding('utf8');
    started.stderr.on('data', (chunk) => {
      output += chunk;
    });
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: started.stdout });
      lines.on('line', (line) => {
        output += `${line}\n`;
        const match = /Aliquot browser mode listening on (http:\/\/\S+)/.exec(line);
        if (match) resolve(match[1]);
      });
      started.once('error', reject);
      started.once('exit', (code, signal) =>
        reject(new Error(`server exited (${code ?? signal}) before listening:\n${output}`)),
      );
    });
  }

  /** Ends the running server, if any, with `signal` and waits until it has exited. */
  async function end(signal) {
    const running = child;
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise((resolve) => {
      running.once('exit', () => resolve());
      running.kill(signal);
    });
  }

  const core = {
    url: await launch(),
    dataDir,
    output: () => output,
    /** Calls an operation over HTTP, as the UI does; resolves with the result or throws the error. */
    async call(name, args = {}, token = null) {
      const headers = { 'Content-Type': 'application/json' };
      if (token) headers.Authorization = `Bearer ${token}`;
      const response = await fetch(`${core.url}/api/${name}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(args),
      });
      const text = await response.text();
      const body = text ? JSON.parse(text) : null;
      if (!response.ok) throw Object.assign(new Error(`${name}: ${body?.message}`), body);
      return body;
    },
    async token(account) {
      const session = await this.call('login', account);
      return session.token;
    },
    /** Kills the server at once, as a crash or a power cut would: nothing is shut down cleanly. */
    async crash() {
      await end('SIGKILL');
    },
    /** Starts the server again over the same data (ending it first if it still runs). */
    async restart() {
      await end('SIGTERM');
      core.url = await launch();
      return core.url;
    },
    async stop() {
      await end('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return core;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A new page signed in as `account`; `errors` collects uncaught page errors (a test should
 * end with none).
 */
export async function signedInPage(browser, core, account) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(core.url);
  await page.getByTestId('login-form').waitFor();
  await page.getByLabel('Username', { exact: true }).fill(account.username);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('shell').waitFor();
  return { page, context, errors };
}

/** Saves a screenshot into ui/test-results (kept as a CI artifact, not committed). */
export async function screenshot(page, name) {
  mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Types `code` as a keyboard-wedge scanner does: real key events (characters land in a
 * focused field, as a scanner's do) stamped 4 ms apart, then Enter. The stamps are given to
 * Chromium with each event, so a busy machine delivering them late does not turn a scan
 * into typing in the test (a real scanner's events carry the keyboard's own times).
 */
export async function wedgeScan(page, code) {
  const cdp = await page.context().newCDPSession(page);
  try {
    let at = Date.now() / 1000;
    const send = (params) => cdp.send('Input.dispatchKeyEvent', { ...params, timestamp: at });
    for (const ch of code) {
      await send({ type: 'keyDown', key: ch, text: ch, unmodifiedText: ch });
      await send({ type: 'keyUp', key: ch });
      at += 0.004;
    }
    const enter = { key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13 };
    await send({ type: 'keyDown', ...enter, text: '\r' });
    await send({ type: 'keyUp', ...enter });
  } finally {
    await cdp.detach();
  }
}

const HEALTHY_HOST_STATUS =
  '\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n\x02000,0,0,0,0,2,4,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n';

/**
 * A Zebra on 127.0.0.1: answers `~HS` healthy and keeps everything else it receives.
 * `labels()` splits what arrived into ^XA…^XZ formats; `fieldData()` lists every ^FD text
 * (with ^FH hex escapes decoded). With `confirmJobs: false` (or after `setConfirmJobs(false)`)
 * it still answers the status asked before a job, but never the one asked after the job's
 * bytes on the same connection: the print worker then waits for the confirmation with the job
 * recorded as "sent".
 */
export async function startFakeZebra({ port: wanted = 0, confirmJobs = true } = {}) {
  let received = '';
  let confirming = confirmJobs;
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setEncoding('latin1');
    // Whether a label format has arrived on this connection (the status asked after it is the
    // job's confirmation).
    let sawJob = false;
    socket.on('data', (chunk) => {
      const parts = chunk.split('~HS');
      for (const [i, part] of parts.entries()) {
        received += part;
        if (part.includes('^XA')) sawJob = true;
        const asksStatus = i < parts.length - 1;
        if (asksStatus && (confirming || !sawJob)) socket.write(HEALTHY_HOST_STATUS, 'latin1');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(wanted, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    address: { kind: 'tcp', host: '127.0.0.1', port },
    received: () => received,
    /** Whether the status asked after a job is answered from now on. */
    setConfirmJobs: (on) => {
      confirming = on;
    },
    labels: () => received.match(/\^XA[\s\S]*?\^XZ/g) ?? [],
    fieldData: () =>
      [...received.matchAll(/\^FD([\s\S]*?)\^FS/g)].map((m) =>
        Buffer.from(
          m[1].replace(/_([0-9A-Fa-f]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))),
          'latin1',
        ).toString('utf8'),
      ),
    /** Waits until `predicate(fake)` holds, polling. */
    async waitFor(predicate, what, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        if (predicate(this)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`the fake printer never received ${what}; it has:\n${received}`);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // A connection left waiting for a confirmation must not keep the fake open.
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * A serial scanner on a pseudo-terminal (tests/e2e/fake_scanner.py holds the master side):
 * `path` is the port to configure, `scan(code)` sends the code ended by CR as the scanner would.
 */
export async function startFakeSerialScanner() {
  const child = spawn('python3', [path.join(repo, 'tests', 'e2e', 'fake_scanner.py')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('error', reject);
  });
  return {
    path: port,
    scan: (code) => child.stdin.write(`${code}\n`),
    stop: () => {
      child.stdin.end();
      child.kill();
    },
  };
}

const CODE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A sample code with its ISO/IEC 7064 MOD 37,36 check character (shared/domain/src/numbering.rs). */
export function sampleCode(prefix, digits, number) {
  const body = `${prefix}${String(number).padStart(digits, '0')}`;
  const M = 36;
  let p = M;
  for (const c of body) {
    let s = (p + CODE_ALPHABET.indexOf(c)) % M;
    if (s === 0) s = M;
    p = (2 * s) % (M + 1);
  }
  return body + CODE_ALPHABET[(M + 1 - p) % M];
}

/** Waits until `locator` matches exactly `n` elements (lists reload after a change). */
export async function waitForCount(locator, n, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  let count = await locator.count();
  while (count !== n && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    count = await locator.count();
  }
  assert.equal(count, n, `expected ${n} matching elements`);
}
