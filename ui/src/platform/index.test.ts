import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(async () => {
    throw { code: 'forbidden', message: 'Not allowed.', id: null };
  }),
}));

import { createTransport, isTauri } from './index';
import { HttpTransport } from './http';
import { TauriTransport } from './tauri';

describe('the transport switch', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('uses HTTP in a plain browser', () => {
    vi.stubGlobal('window', {});
    expect(isTauri()).toBe(false);
    expect(createTransport(() => null)).toBeInstanceOf(HttpTransport);
  });

  it('uses Tauri IPC inside the desktop window', () => {
    vi.stubGlobal('window', { __TAURI_INTERNALS__: {} });
    expect(isTauri()).toBe(true);
    expect(createTransport(() => null)).toBeInstanceOf(TauriTransport);
  });

  it('is the same interface either way: a failed HTTP call rejects with the one error shape', async () => {
    vi.stubGlobal('window', {});
    vi.stubGlobal(
      'fetch',
      vi.fn(
        async () =>
          new Response(JSON.stringify({ code: 'forbidden', message: 'Not allowed.', id: null }), {
            status: 403,
          }),
      ),
    );
    const transport = createTransport(() => null);
    await expect(transport.call('list_users', {}, 't')).rejects.toMatchObject({
      name: 'ApiError',
      code: 'forbidden',
      message: 'Not allowed.',
    });
  });

  it('is the same interface either way: a failed Tauri call rejects with the one error shape', async () => {
    vi.stubGlobal('window', { __TAURI_INTERNALS__: {} });
    const transport = createTransport(() => null);
    await expect(transport.call('list_users', {}, 't')).rejects.toMatchObject({
      name: 'ApiError',
      code: 'forbidden',
    });
  });
});

describe("the browser transport's event stream", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  class FakeEventSource {
    static opened: FakeEventSource[] = [];
    onmessage: ((m: { data: string }) => void) | null = null;
    onopen: (() => void) | null = null;
    onerror: (() => void) | null = null;
    readyState = 0;
    closed = false;
    constructor(readonly url: string) {
      FakeEventSource.opened.push(this);
    }
    close() {
      this.closed = true;
    }
  }

  it('is one stream shared by every listener, closed with the last', () => {
    FakeEventSource.opened = [];
    vi.stubGlobal('EventSource', FakeEventSource);
    const transport = new HttpTransport(() => 'tok');
    const a: string[] = [];
    const b: string[] = [];
    const stopA = transport.subscribe((e) => a.push(e.type));
    const stopB = transport.subscribe((e) => b.push(e.type));
    expect(FakeEventSource.opened).toHaveLength(1);
    const stream = FakeEventSource.opened[0]!;
    expect(stream.url).toBe('/api/events?token=tok');
    stream.onmessage?.({ data: JSON.stringify({ type: 'settings_changed' }) });
    stream.onmessage?.({ data: 'not json' });
    expect(a).toEqual(['settings_changed']);
    expect(b).toEqual(['settings_changed']);
    stopA();
    expect(stream.closed).toBe(false);
    stopB();
    expect(stream.closed).toBe(true);
  });

  it('reads again after the browser reconnects a dropped stream', () => {
    FakeEventSource.opened = [];
    vi.stubGlobal('EventSource', FakeEventSource);
    const transport = new HttpTransport(() => 'tok');
    const seen: string[] = [];
    transport.subscribe((e) => seen.push(e.type));
    const stream = FakeEventSource.opened[0]!;
    stream.onopen?.();
    expect(seen).toEqual([]);
    // Dropped and reconnected by the browser: what was sent meanwhile is lost.
    stream.onerror?.();
    stream.onopen?.();
    expect(seen).toEqual(['settings_changed', 'sync_changed', 'notifications_changed']);
    expect(FakeEventSource.opened).toHaveLength(1);
  });

  it('opens the stream again when the browser gives up on it, and reads again', () => {
    vi.useFakeTimers();
    try {
      FakeEventSource.opened = [];
      vi.stubGlobal('EventSource', FakeEventSource);
      const transport = new HttpTransport(() => 'tok');
      const seen: string[] = [];
      const stop = transport.subscribe((e) => seen.push(e.type));
      const first = FakeEventSource.opened[0]!;
      first.onopen?.();
      first.readyState = 2;
      first.onerror?.();
      vi.advanceTimersByTime(2_999);
      expect(FakeEventSource.opened).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(FakeEventSource.opened).toHaveLength(2);
      const second = FakeEventSource.opened[1]!;
      expect(second.url).toBe('/api/events?token=tok');
      second.onopen?.();
      expect(seen).toEqual(['settings_changed', 'sync_changed', 'notifications_changed']);
      second.onmessage?.({ data: JSON.stringify({ type: 'sync_changed' }) });
      expect(seen).toHaveLength(4);
      // Nobody listens any more: a stream given up on is not opened again.
      second.readyState = 2;
      second.onerror?.();
      stop();
      vi.advanceTimersByTime(10_000);
      expect(FakeEventSource.opened).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('follows a new session token', () => {
    FakeEventSource.opened = [];
    vi.stubGlobal('EventSource', FakeEventSource);
    let token = 'first';
    const transport = new HttpTransport(() => token);
    transport.subscribe(() => {});
    token = 'second';
    transport.subscribe(() => {});
    expect(FakeEventSource.opened.map((s) => [s.url, s.closed])).toEqual([
      ['/api/events?token=first', true],
      ['/api/events?token=second', false],
    ]);
  });
});
