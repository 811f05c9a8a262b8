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

export const HUB_BIN =
  process.env.ALIQUOT_HUB_BIN ?? path.join(repo, 'target', 'debug', 'aliquot-hub');

/** The hub's first administrator, made by {@link startHub} (an account of the lab). */
export const HUB_ADMIN = { username: 'hubadmin', password: 'hub admin passphrase' };

/**
 * Makes a lab hub in a fresh directory and serves it over plain HTTP on loopback (the hub
 * accepts plain HTTP only there, for tests). `stop()` ends it and keeps its data; `start()`
 * serves it again on the same address, so connected workstations find it again;
 * `enroll(name)` makes a one-time enrollment code; `remove()` ends it and deletes it.
 */
export async function startHub() {
  assert.ok(existsSync(HUB_BIN), `hub binary not found at ${HUB_BIN}; run cargo test first`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aliquot-e2e-hub-'));
  execFileSync(HUB_BIN, ['--data-dir', dataDir, 'init', '--admin', HUB_ADMIN.username], {
    input: `${HUB_ADMIN.password}\n`,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  let child = null;
  let listen = '127.0.0.1:0';
  let output = '';

  function launch() {
    const started = spawn(
      HUB_BIN,
      ['--data-dir', dataDir, 'serve', '--plain-http', '--listen', listen],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
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
        const match = /Aliquot hub listening on (http:\/\/(\S+))/.exec(line);
        if (match) {
          listen = match[2];
          resolve(match[1]);
        }
      });
      started.once('error', reject);
      started.once('exit', (code, signal) =>
        reject(new Error(`hub exited (${code ?? signal}) before listening:\n${output}`)),
      );
    });
  }

  async function end() {
    const running = child;
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  }

  const hub = {
    url: await launch(),
    dataDir,
    output: () => output,
    enroll(name) {
      const text = execFileSync(HUB_BIN, ['--data-dir', dataDir, 'enroll', '--name', name], {
        encoding: 'utf8',
      });
      const code = /^enrollment code for .*: (\S+)$/m.exec(text)?.[1];
      assert.ok(code, `no enrollment code in:\n${text}`);
      return code;
    },
    /** The hub goes away (the network is gone, as far as workstations can tell). */
    async stop() {
      await end();
    },
    /** The hub comes back on the same address. */
    async start() {
      await end();
      hub.url = await launch();
      return hub.url;
    },
    async remove() {
      await end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return hub;
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

/** The window the browser tests use: a common bench and desk laptop screen. */
export const VIEWPORT = { width: 1366, height: 768 };

/**
 * A new page signed in as `account`; `errors` collects uncaught page errors and the layout
 * problems {@link watchLayout} finds on every screen the test reaches (a test should end with
 * none).
 */
export async function signedInPage(browser, core, account) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const errors = [];
  await watchLayout(context, errors);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(core.url);
  await page.getByTestId('login-form').waitFor();
  await page.getByLabel('Username', { exact: true }).fill(account.username);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('shell').waitFor();
  return { page, context, errors };
}

/**
 * Runs in the page: what on this screen is too small for a gloved finger, or overflows the
 * window. Returns one line per problem (empty when the screen is fine).
 *
 * (a) Every visible target (links, buttons, fields, selects, summaries, role=button, anything
 * in the tab order) must be at least 48 × 48 CSS px; a checkbox or radio counts with its
 * label(s), which take its clicks. The one exemption: a link marked `.inline-link` whose parent
 * has words of its own around it (a link inside a sentence).
 * (b) Neither the document nor the shell's main area may scroll sideways; the document must
 * not scroll at all once the shell is up (the header with Sign out and the status bar stay on
 * screen); no element may reach past the window's right edge unless an ancestor that itself
 * ends inside the window clips or scrolls it. Visually hidden text (clipped to nothing, for
 * screen readers) is left out.
 */
function layoutProblems() {
  const MIN = 48;
  const EPS = 0.5;
  const problems = [];
  const vw = window.innerWidth;
  const vh = window.innerHeight;
  const size = (r) => `${Math.round(r.width)}×${Math.round(r.height)} px`;
  const clipped = (el) => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.clip !== 'auto' || (cs.clipPath !== 'none' && cs.clipPath !== '')) return true;
    }
    return false;
  };
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return false;
    const cs = getComputedStyle(el);
    return cs.visibility !== 'hidden' && cs.display !== 'none' && !clipped(el);
  };
  const describe = (el) => {
    const text = (
      el.getAttribute('aria-label') ||
      el.textContent ||
      el.getAttribute('title') ||
      el.getAttribute('name') ||
      el.id ||
      ''
    )
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 50);
    const type = el.getAttribute('type');
    return `<${el.tagName.toLowerCase()}${type ? ` type=${type}` : ''}${
      el.className && typeof el.className === 'string' ? ` class="${el.className}"` : ''
    }> “${text}”`;
  };
  const union = (rects) => {
    const left = Math.min(...rects.map((r) => r.left));
    const top = Math.min(...rects.map((r) => r.top));
    const right = Math.max(...rects.map((r) => r.right));
    const bottom = Math.max(...rects.map((r) => r.bottom));
    return { left, top, right, bottom, width: right - left, height: bottom - top };
  };
  const inSentence = (el) => {
    const parent = el.parentElement;
    if (!parent) return false;
    return [...parent.childNodes].some(
      (n) => n !== el && n.nodeType === Node.TEXT_NODE && /[A-Za-z]{2}/.test(n.textContent),
    );
  };

  // (a) Targets.
  const targets = document.querySelectorAll(
    'a[href], button, select, textarea, summary, input:not([type=hidden]), [role=button], [tabindex]:not([tabindex="-1"])',
  );
  for (const el of targets) {
    if (!shown(el)) continue;
    if (el.matches('a.inline-link') && inSentence(el)) continue;
    let area = el.getBoundingClientRect();
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const labels = [...(el.labels ?? [])].filter(shown).map((l) => l.getBoundingClientRect());
      area = union([area, ...labels]);
    }
    if (area.width + EPS < MIN || area.height + EPS < MIN) {
      problems.push(`target under ${MIN} px: ${describe(el)} is ${size(area)}`);
    }
  }

  // (b) Overflow.
  const doc = document.scrollingElement ?? document.documentElement;
  if (doc.scrollWidth > vw) {
    problems.push(`the page scrolls sideways: ${doc.scrollWidth} px wide in a ${vw} px window`);
  }
  const shell = document.querySelector('[data-testid="shell"]');
  if (shell) {
    if (doc.scrollHeight > vh) {
      problems.push(
        `the page itself scrolls (${doc.scrollHeight} px in a ${vh} px window): the header and Sign out can be scrolled away`,
      );
    }
    const main = document.querySelector('.shell-main');
    if (main && main.scrollWidth > main.clientWidth) {
      // Name what sticks out: the outermost elements past the main area's right edge.
      const edge = main.getBoundingClientRect().left + main.clientWidth;
      const out = [...main.querySelectorAll('*')].filter(
        (el) => el.getBoundingClientRect().right > edge + EPS && shown(el),
      );
      const outermost = out.filter((el) => !out.includes(el.parentElement)).slice(0, 3);
      problems.push(
        `the main area scrolls sideways: ${main.scrollWidth} px of content in ${
          main.clientWidth
        } px (${outermost.map(describe).join('; ')})`,
      );
    }
    for (const [what, el] of [
      ['Sign out', document.querySelector('[data-testid="sign-out"]')],
      ['the status bar', document.querySelector('[data-testid="status-bar"]')],
    ]) {
      const r = el?.getBoundingClientRect();
      if (!r || r.top < -EPS || r.bottom > vh + EPS || r.right > vw + EPS) {
        problems.push(`${what} is not fully in the window`);
      }
    }
  }
  const containedBy = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.overflowX !== 'visible' && e.getBoundingClientRect().right <= vw + EPS) return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= vw + EPS) continue;
    if (!shown(el) || containedBy(el)) continue;
    problems.push(`past the window's right edge (${Math.round(r.right)} > ${vw}): ${describe(el)}`);
  }
  return problems;
}

/**
 * Runs in the page from its first script: checks the layout (`layoutProblems`) whenever the
 * screen has settled after a change (a route, a panel or dialog opened, data arrived) and
 * reports what it found to the test.
 */
function installLayoutWatch(check) {
  const run = () => {
    const report = window.__aliquotLayoutReport;
    if (typeof report !== 'function' || !document.body) return;
    // A test that makes a PDF switches to print media for a moment; the layout rules are
    // the screen's, so wait for the screen to come back.
    if (window.matchMedia('print').matches) {
      schedule();
      return;
    }
    report({ screen: window.location.hash || '#/', problems: check() });
  };
  window.__aliquotCheckLayout = check;
  // Checked once nothing has changed for a moment, or at least every second while the screen
  // keeps changing.
  let timer = null;
  let since = null;
  const schedule = () => {
    if (timer !== null) clearTimeout(timer);
    since ??= Date.now();
    const wait = Math.max(0, Math.min(250, since + 1000 - Date.now()));
    timer = setTimeout(() => {
      timer = null;
      since = null;
      run();
    }, wait);
  };
  const start = () => {
    new MutationObserver(schedule).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
    window.addEventListener('hashchange', schedule);
    window.addEventListener('resize', schedule);
    schedule();
  };
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
}

/**
 * Watches every page of `context`: each settled screen is checked (`layoutProblems`) and each
 * new problem is pushed to `errors` once, named with the screen it was found on. Closing the
 * context checks the screen it ends on, and fails if that finds something the test had no
 * chance to see.
 */
export async function watchLayout(context, errors) {
  const seen = new Set();
  const record = ({ screen, problems }) => {
    // Ids in the route (a sample, a box) make no difference to the screen's layout rules.
    const where = screen.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, ':id');
    const fresh = [];
    for (const problem of problems) {
      const line = `layout on ${where}: ${problem}`;
      if (seen.has(line)) continue;
      seen.add(line);
      errors.push(line);
      fresh.push(line);
    }
    return fresh;
  };
  await context.exposeBinding('__aliquotLayoutReport', (_source, report) => {
    record(report);
  });
  await context.addInitScript(`(${installLayoutWatch.toString()})(${layoutProblems.toString()});`);
  const close = context.close.bind(context);
  context.close = async (...args) => {
    const late = [];
    for (const page of context.pages()) {
      const report = await page
        .evaluate(() => ({
          screen: window.location.hash || '#/',
          problems: window.__aliquotCheckLayout?.() ?? [],
        }))
        .catch(() => null);
      if (report) late.push(...record(report));
    }
    await close(...args);
    assert.deepEqual(late, [], 'layout problems on the screen the test ended on');
  };
}

/**
 * Checks the screen `page` shows now, at once (the watch also does, after the screen settles):
 * fails listing every target under 48 px and everything that overflows the window.
 */
export async function checkScreen(page, name) {
  const problems = await page.evaluate(() => window.__aliquotCheckLayout?.() ?? null);
  assert.ok(problems !== null, 'the page has no layout watch; open it through signedInPage');
  assert.deepEqual(problems, [], `layout problems on ${name}`);
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
