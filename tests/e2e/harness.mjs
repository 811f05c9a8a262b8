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
 */
export async function startCore({ demo = false } = {}) {
  assert.ok(existsSync(BIN), `server binary not found at ${BIN}; build it or set ALIQUOT_BIN`);
  assert.ok(
    existsSync(path.join(UI_DIST, 'index.html')),
    `${UI_DIST} has no index.html; run \`npm run build\` in ui/ first`,
  );
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aliquot-e2e-'));
  if (demo) execFileSync(BIN, ['--data-dir', dataDir, 'init', '--demo'], { stdio: 'ignore' });
  const child = spawn(BIN, ['serve', '--data-dir', dataDir, '--port', '0', '--ui-dir', UI_DIST], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const url = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      output += `${line}\n`;
      const match = /Aliquot browser mode listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${output}`)),
    );
  });
  return {
    url,
    dataDir,
    output: () => output,
    /** Calls an operation over HTTP, as the UI does; resolves with the result or throws the error. */
    async call(name, args = {}, token = null) {
      const headers = { 'Content-Type': 'application/json' };
      if (token) headers.Authorization = `Bearer ${token}`;
      const response = await fetch(`${url}/api/${name}`, {
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
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
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
 * (with ^FH hex escapes decoded).
 */
export async function startFakeZebra({ port: wanted = 0 } = {}) {
  let received = '';
  const server = createServer((socket) => {
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      let text = chunk;
      while (text.includes('~HS')) {
        socket.write(HEALTHY_HOST_STATUS, 'latin1');
        text = text.replace('~HS', '');
      }
      received += text;
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(wanted, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    address: { kind: 'tcp', host: '127.0.0.1', port },
    received: () => received,
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
    close: () => new Promise((resolve) => server.close(() => resolve())),
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
