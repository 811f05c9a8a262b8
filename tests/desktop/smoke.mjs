// Desktop smoke test: opens the real Tauri window through tauri-driver + WebKitWebDriver, waits
// for the first-run screen, runs a few IPC round trips through `window.__TAURI_INTERNALS__.invoke`
// and saves a screenshot to ui/test-results/desktop.png.
//
// Needs a display; `bash tests/desktop/run.sh` provides one with Xvfb. The window and its
// driver are in driver.mjs (its environment variables are listed there).
//   ALIQUOT_BIN           the CLI that seeds the demo lab (default: <repo>/target/debug/aliquot)

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeWindow,
  dataDir,
  invoke,
  invokeOk,
  openWindow,
  repo,
  sessionUrl,
  waitFor,
  wd,
} from './driver.mjs';

const SCREENSHOT = path.join(repo, 'ui', 'test-results', 'desktop.png');
const CLI = path.resolve(process.env.ALIQUOT_BIN ?? path.join(repo, 'target', 'debug', 'aliquot'));
// `ALIQUOT_SMOKE=package`: only the installed package's check (tests/package/run.sh).
const PACKAGE_ONLY = process.env.ALIQUOT_SMOKE === 'package';

const ADMIN = {
  username: 'admin',
  display_name: 'Ada',
  password: 'correct horse battery staple',
};

after(closeWindow);

// ---------------------------------------------------------------------------------------------

test(
  'the desktop window opens on the first-run screen and the IPC round trips work',
  { skip: PACKAGE_ONLY },
  async (t) => {
    await openWindow(mkdtempSync(path.join(tmpdir(), 'aliquot-desktop-smoke-')));
    await t.test('the first-run form is shown', async () => {
      const element = await waitFor(
        'the element [data-testid="first-run-form"] in the Aliquot window',
        () =>
          wd(
            'POST',
            `${sessionUrl}/element`,
            {
              using: 'css selector',
              value: '[data-testid="first-run-form"]',
            },
            5_000,
          ),
        { timeoutMs: 30_000, intervalMs: 300 },
      );
      assert.ok(element, 'find element returned nothing');
    });

    await t.test('a screenshot of the first-run screen is saved', async (st) => {
      const png = Buffer.from(
        await wd('GET', `${sessionUrl}/screenshot`, undefined, 20_000),
        'base64',
      );
      assert.ok(
        png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
        'screenshot is not a PNG',
      );
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      writeFileSync(SCREENSHOT, png);
      st.diagnostic(`screenshot: ${SCREENSHOT} (${png.length} bytes)`);
    });

    await t.test('setup_status says the first administrator is needed', async () => {
      const status = await invokeOk('setup_status', { token: null, args: {} });
      assert.equal(status.needs_first_admin, true, `setup_status: ${JSON.stringify(status)}`);
      assert.equal(typeof status.lab_name, 'string');
    });

    let token;
    await t.test('create_first_admin then login gives a token', async () => {
      const user = await invokeOk('create_first_admin', { token: null, args: ADMIN });
      assert.equal(user.username, ADMIN.username, `create_first_admin: ${JSON.stringify(user)}`);
      assert.ok(
        readdirSync(dataDir).length > 0,
        `the app did not write to its --data-dir ${dataDir}`,
      );

      const status = await invokeOk('setup_status', { token: null, args: {} });
      assert.equal(status.needs_first_admin, false, 'setup_status still asks for a first admin');

      const session = await invokeOk('login', {
        token: null,
        args: { username: ADMIN.username, password: ADMIN.password },
      });
      assert.equal(typeof session.token, 'string', `login: ${JSON.stringify(session)}`);
      assert.ok(session.token.length > 0, 'login returned an empty token');
      assert.equal(session.user?.username, ADMIN.username);
      assert.ok(session.expires_at, 'login returned no expires_at');
      token = session.token;
    });

    await t.test('whoami with the token returns the admin', async () => {
      assert.ok(token, 'no token from login');
      const me = await invokeOk('whoami', { token, args: {} });
      assert.equal(me.user?.username, ADMIN.username, `whoami: ${JSON.stringify(me)}`);
      assert.ok(me.expires_at, 'whoami returned no expires_at');
    });

    await t.test('whoami with a bogus token is rejected as unauthenticated', async () => {
      const result = await invoke('whoami', { token: 'bogus', args: {} });
      assert.equal(
        result.ok,
        false,
        `whoami with a bogus token resolved: ${JSON.stringify(result.value)}`,
      );
      assert.equal(
        result.rejection?.code,
        'unauthenticated',
        `rejection: ${JSON.stringify(result.rejection)}`,
      );
      assert.equal(typeof result.rejection?.message, 'string');
    });
  },
);

// ---------------------------------------------------------------------------------------------
// The registration flow in the real window: the same screens as the browser tests, over IPC.

/** Finds one element by CSS selector, waiting for it. */
async function find(css, timeoutMs = 15_000) {
  const element = await waitFor(
    `the element ${css}`,
    () => wd('POST', `${sessionUrl}/element`, { using: 'css selector', value: css }, 5_000),
    { timeoutMs, intervalMs: 200 },
  );
  return Object.values(element)[0];
}

/** Finds an element by XPath (for "the button that says …"), waiting for it. */
async function findXPath(xpath, timeoutMs = 15_000) {
  const element = await waitFor(
    `the element ${xpath}`,
    () => wd('POST', `${sessionUrl}/element`, { using: 'xpath', value: xpath }, 5_000),
    { timeoutMs, intervalMs: 200 },
  );
  return Object.values(element)[0];
}

const click = (id) => wd('POST', `${sessionUrl}/element/${id}/click`, {});
const typeInto = (id, text) => wd('POST', `${sessionUrl}/element/${id}/value`, { text });
const textOf = (id) => wd('GET', `${sessionUrl}/element/${id}/text`);

/** Chooses the option whose text starts with `label` in the select `css`, as a person would. */
async function choose(css, label) {
  await find(`${css} option:nth-child(2)`);
  const option = await findXPath(
    `//select[@id="${css.slice(1)}"]/option[starts-with(normalize-space(.), "${label}")]`,
  );
  await click(await find(css));
  await click(option);
}

/** Waits until the element's text matches `pattern`; returns the text. */
async function waitForText(css, pattern, timeoutMs = 20_000) {
  return waitFor(
    `${css} to say ${pattern}`,
    async () => {
      const text = await textOf(await find(css, 2_000));
      return pattern.test(text) ? text : null;
    },
    { timeoutMs, intervalMs: 300 },
  );
}

/** A Zebra on loopback TCP: answers ~HS healthy, keeps the rest. */
function fakeZebra() {
  let received = '';
  const healthy =
    '\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n\x02000,0,0,0,0,2,4,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n';
  const server = createServer((socket) => {
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      if (chunk.includes('~HS')) socket.write(healthy, 'latin1');
      received += chunk.replaceAll('~HS', '');
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        received: () => received,
        close: () => server.close(),
      }),
    ),
  );
}

/** Sets up the demo lab's printer with the browser mode before the window opens on the same data. */
async function routePrinter(dir, port) {
  const serve = spawn(
    CLI,
    ['serve', '--data-dir', dir, '--port', '0', '--ui-dir', path.join(repo, 'ui', 'dist')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const url = await new Promise((resolve, reject) => {
      serve.stdout.setEncoding('utf8');
      serve.stdout.on('data', (chunk) => {
        const match = /listening on (http:\/\/\S+)/.exec(chunk);
        if (match) resolve(match[1]);
      });
      serve.once('exit', () => reject(new Error('aliquot serve exited')));
    });
    const call = async (name, args, token) => {
      const response = await fetch(`${url}/api/${name}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(args),
      });
      const body = await response.json();
      assert.ok(response.ok, `${name}: ${JSON.stringify(body)}`);
      return body;
    };
    const { token } = await call('login', {
      username: 'manager',
      password: 'manager demo passphrase',
    });
    await call(
      'configure_printer',
      {
        name: 'Desk Zebra',
        address: { kind: 'tcp', host: '127.0.0.1', port },
        language: 'zpl',
        dpi: 203,
        stock: 'cryovial',
        darkness: null,
      },
      token,
    );
    await call(
      'change_settings',
      { settings: [{ key: 'sample_label_printer', value: 'Desk Zebra' }], reason: 'desk printer' },
      token,
    );
  } finally {
    serve.kill('SIGTERM');
    await new Promise((resolve) =>
      serve.exitCode !== null ? resolve() : serve.once('exit', resolve),
    );
  }
}

test(
  'the registration flow runs in the desktop window: participant, kit, labels at the printer',
  { skip: PACKAGE_ONLY },
  async (t) => {
    await closeWindow();
    const dir = mkdtempSync(path.join(tmpdir(), 'aliquot-desktop-desk-'));
    execFileSync(CLI, ['--data-dir', dir, 'init', '--demo'], { stdio: 'ignore' });
    const zebra = await fakeZebra();
    t.after(() => zebra.close());
    await routePrinter(dir, zebra.port);
    await openWindow(dir);

    await t.test('the desk coordinator signs in', async () => {
      await typeInto(await find('#login-username', 30_000), 'desk');
      await typeInto(await find('#login-password'), 'desk demo passphrase');
      await click(await findXPath('//button[normalize-space(.)="Sign in"]'));
      await find('[data-testid="shell"]');
    });

    await t.test('the status bar shows the sync state, read over IPC', async () => {
      // A workstation with no hub keeps its changes (the demo lab's among them) here.
      await waitForText(
        '[data-testid="status-sync-text"]',
        /^Stand-alone · \d+ changes? kept here$/,
      );
    });

    let participant;
    await t.test('a participant is registered at the desk', async () => {
      await click(await findXPath('//a[normalize-space(.)="Registration desk"]'));
      await choose('#desk-site', 'NORTH');
      await click(await find('#desk-consent'));
      await click(await findXPath('//button[normalize-space(.)="Register participant"]'));
      participant = (
        await waitForText('[data-testid="desk-participant-code"]', /^P\d+[0-9A-Z]$/)
      ).trim();
    });

    let codes;
    await t.test('the kit is registered in one step and its labels reach the printer', async () => {
      await click(await findXPath('//label[contains(., "Standard blood and urine")]/input'));
      await click(await findXPath('//button[starts-with(normalize-space(.), "Register kit")]'));
      const table = await waitForText('[data-testid="desk-kit-samples"]', /AQ\d{6}[0-9A-Z]/);
      codes = table.match(/AQ\d{6}[0-9A-Z]/g);
      assert.equal(codes.length, 5, table);
      await waitForText('[data-testid="desk-labels-status"]', /Printed on Desk Zebra/);
      const labels = zebra.received().match(/\^XA[\s\S]*?\^XZ/g) ?? [];
      assert.equal(labels.length, 5, zebra.received());
      for (const code of codes) {
        const carrying = labels.filter((l) => l.includes(code));
        assert.equal(carrying.length, 1, `exactly one label carries ${code}`);
        assert.ok(carrying[0].includes(participant), `the label of ${code} names ${participant}`);
      }
    });

    await t.test('a screenshot of the registered kit is saved', async () => {
      const png = Buffer.from(
        await wd('GET', `${sessionUrl}/screenshot`, undefined, 20_000),
        'base64',
      );
      const file = path.join(repo, 'ui', 'test-results', 'desktop-desk.png');
      writeFileSync(file, png);
    });
  },
);

test(
  'the packaged desktop opens on the demo lab’s sign-in screen and names its release',
  { skip: !PACKAGE_ONLY },
  async (t) => {
    await closeWindow();
    const dir = mkdtempSync(path.join(tmpdir(), 'aliquot-package-'));
    execFileSync(CLI, ['--data-dir', dir, 'init', '--demo'], { stdio: 'ignore' });
    await openWindow(dir);

    await t.test('the sign-in form is shown', async () => {
      await find('[data-testid="login-form"]', 30_000);
    });

    await t.test('the sign-in screen names the release', async () => {
      await waitForText('[data-testid="release-line"]', /^Aliquot \d+\.\d+\.\d+ · \S/);
    });

    await t.test('a screenshot of the sign-in screen is saved', async (st) => {
      const png = Buffer.from(
        await wd('GET', `${sessionUrl}/screenshot`, undefined, 20_000),
        'base64',
      );
      const file = path.join(repo, 'ui', 'test-results', 'packaged-sign-in.png');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, png);
      st.diagnostic(`screenshot: ${file} (${png.length} bytes)`);
    });
  },
);
