// The real Aliquot window through tauri-driver + WebKitWebDriver, for the desktop smoke test
// (smoke.mjs) and the start-up benchmark (startup.mjs). Plain `fetch` speaks the W3C WebDriver
// protocol, so no npm packages are needed.
//   ALIQUOT_DESKTOP_BIN   the desktop binary (default: <repo>/target/debug/aliquot-desktop)
//   TAURI_DRIVER          tauri-driver (default: ~/.cargo/bin/tauri-driver)
//   NATIVE_DRIVER         the native WebDriver (default: /usr/bin/WebKitWebDriver)

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const APP = path.resolve(
  process.env.ALIQUOT_DESKTOP_BIN ?? path.join(repo, 'target', 'debug', 'aliquot-desktop'),
);
const TAURI_DRIVER =
  process.env.TAURI_DRIVER ?? path.join(homedir(), '.cargo', 'bin', 'tauri-driver');
const NATIVE_DRIVER = process.env.NATIVE_DRIVER ?? '/usr/bin/WebKitWebDriver';

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Polls `probe` until it returns a truthy value; every attempt and the total wait are bounded. */
export async function waitFor(what, probe, { timeoutMs, intervalMs = 250 }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      if (error.fatal) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError ? ` (last error: ${lastError.message ?? lastError})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A TCP port that was free a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Pids of every live descendant of `pid` (Linux /proc), deepest last. */
export function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // The process went away while we looked.
    }
  }
  const found = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

// ---------------------------------------------------------------------------------------------
// tauri-driver and the WebDriver session

/** The open window's data directory (a live binding). */
export let dataDir;
/** tauri-driver: { child, url, output() } (a live binding). */
export let driver;
/** The open WebDriver session (a live binding: it changes as windows open and close). */
export let sessionUrl;

function startTauriDriver(port, nativePort) {
  for (const [label, file] of [
    ['tauri-driver (set TAURI_DRIVER)', TAURI_DRIVER],
    ['native WebDriver (set NATIVE_DRIVER)', NATIVE_DRIVER],
    ['desktop binary (set ALIQUOT_DESKTOP_BIN)', APP],
  ]) {
    if (!existsSync(file)) throw new Error(`${label} not found at ${file}`);
  }
  const child = spawn(
    TAURI_DRIVER,
    ['--port', String(port), '--native-port', String(nativePort), '--native-driver', NATIVE_DRIVER],
    // Own process group, so cleanup can reach WebKitWebDriver and the app it launches.
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, ALIQUOT_DATA_DIR: dataDir },
    },
  );
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      output += chunk;
    });
  }
  child.once('error', (error) => {
    output += `\nspawn error: ${error.message}\n`;
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

function driverExited() {
  const { child } = driver;
  return child.exitCode !== null || child.signalCode !== null;
}

/** One WebDriver request; returns `value`, or throws with the driver's error. */
export async function wd(method, url, body, timeoutMs = 15_000) {
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new Error(`${method} ${url} failed: ${error.cause?.message ?? error.message}`);
  }
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${url} -> HTTP ${response.status}, not JSON: ${text.slice(0, 500)}`);
  }
  // W3C errors come with a non-2xx status; a 200 body is a result, whatever its shape.
  if (!response.ok) {
    const { error, message } = json?.value ?? {};
    throw new Error(
      `${method} ${url} -> HTTP ${response.status} ${error ?? ''}: ${message ?? text.slice(0, 500)}`,
    );
  }
  return json.value;
}

/** Runs `window.__TAURI_INTERNALS__.invoke(command, payload)` in the window. */
export async function invoke(command, payload) {
  const script = `
    const [command, payload, done] = arguments;
    const internals = window.__TAURI_INTERNALS__;
    if (!internals || typeof internals.invoke !== 'function') {
      done({ ok: false, rejection: { code: 'no_tauri_internals', message: 'window.__TAURI_INTERNALS__.invoke is missing' } });
      return;
    }
    internals.invoke(command, payload).then(
      (value) => done({ ok: true, value }),
      (rejection) => done({ ok: false, rejection }),
    );`;
  return wd('POST', `${sessionUrl}/execute/async`, { script, args: [command, payload] }, 20_000);
}

/** Like `invoke`, but asserts success and returns the value. */
export async function invokeOk(command, payload) {
  const result = await invoke(command, payload);
  assert.ok(result?.ok, `${command} rejected: ${JSON.stringify(result?.rejection)}`);
  return result.value;
}

/** Starts tauri-driver and opens the Aliquot window over `dir` (its --data-dir). */
export async function openWindow(dir) {
  await startDriver(dir);
  await openSession();
}

/** Starts tauri-driver for a window over `dir` (its --data-dir), without opening it. */
export async function startDriver(dir) {
  dataDir = dir;
  const [port, nativePort] = [await freePort(), await freePort()];
  driver = startTauriDriver(port, nativePort);

  await waitFor(
    `tauri-driver /status on ${driver.url}`,
    async () => {
      if (driverExited()) {
        throw Object.assign(
          new Error(
            `tauri-driver exited (${driver.child.exitCode ?? driver.child.signalCode}):\n${driver.output()}`,
          ),
          { fatal: true },
        );
      }
      const status = await wd('GET', `${driver.url}/status`, undefined, 2_000);
      return status?.ready !== false;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  ).catch((error) => {
    throw new Error(`${error.message}\ntauri-driver output:\n${driver.output()}`);
  });
}

/** Opens the window (tauri-driver starts the app) and waits until WebDriver reaches it. */
export async function openSession() {
  const session = await wd(
    'POST',
    `${driver.url}/session`,
    {
      capabilities: {
        alwaysMatch: {
          'tauri:options': { application: APP, args: ['--data-dir', dataDir] },
        },
      },
    },
    60_000,
  ).catch((error) => {
    throw new Error(
      `could not create a WebDriver session for ${APP}: ${error.message}\ntauri-driver output:\n${driver.output()}`,
    );
  });
  sessionUrl = `${driver.url}/session/${session.sessionId}`;
  await wd('POST', `${sessionUrl}/timeouts`, { script: 15_000 });
}

/** Closes the window, stops tauri-driver and everything it started, removes the data dir. */
export async function closeWindow() {
  if (sessionUrl) {
    await wd('DELETE', sessionUrl, undefined, 10_000).catch((error) =>
      console.error(`deleting the session: ${error.message}`),
    );
    sessionUrl = undefined;
  }
  if (driver?.child.pid) {
    const { child } = driver;
    const pids = [...descendants(child.pid), child.pid];
    // SIGTERM the group (tauri-driver, WebKitWebDriver, the app) and any descendant that left it.
    signal(-child.pid, 'SIGTERM');
    for (const pid of pids) signal(pid, 'SIGTERM');
    await waitFor('tauri-driver and its children to exit', () => pids.every((pid) => !alive(pid)), {
      timeoutMs: 5_000,
      intervalMs: 100,
    }).catch(() => {
      signal(-child.pid, 'SIGKILL');
      for (const pid of pids) signal(pid, 'SIGKILL');
    });
    driver = undefined;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
}
