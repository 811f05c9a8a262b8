import type { CoreEvent } from '../api/types';
import {
  ApiError,
  isCoreEvent,
  NETWORK_ERROR_MESSAGE,
  UNEXPECTED_ERROR_MESSAGE,
  type Transport,
} from './transport';

/** `EventSource.CLOSED`, which a test's stand-in may not define. */
const CLOSED = 2;
/** How long a stream the browser gave up on waits before it is opened again. */
const REOPEN_AFTER_MS = 3_000;
/** What every screen reads again on after the stream was down (what it may have missed). */
const MISSED_EVENTS: readonly CoreEvent[] = [
  { type: 'settings_changed' },
  { type: 'sync_changed' },
  { type: 'notifications_changed' },
];

/**
 * Browser mode (`aliquot serve`): `POST /api/{name}` with a JSON body, bearer token in the
 * Authorization header; events from the server-sent event stream `/api/events?token=...`.
 */
export class HttpTransport implements Transport {
  private readonly base: string;
  private readonly getToken: () => string | null;
  private readonly listeners = new Set<(e: CoreEvent) => void>();
  private source: EventSource | null = null;
  private sourceToken: string | null = null;
  private reopenTimer: ReturnType<typeof setTimeout> | null = null;
  private reopened = false;

  /** `base` is the URL prefix of the API (default `/api`); `getToken` feeds the event stream. */
  constructor(getToken: () => string | null, base = '/api') {
    this.getToken = getToken;
    this.base = base.replace(/\/+$/, '');
  }

  async call<T>(name: string, args: unknown, token: string | null): Promise<T> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
    };
    if (token !== null) headers['Authorization'] = `Bearer ${token}`;

    let response: Response;
    try {
      response = await fetch(`${this.base}/${encodeURIComponent(name)}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(args ?? {}),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('network', NETWORK_ERROR_MESSAGE);
    }

    const text = await response.text().catch(() => null);
    if (text === null) throw new ApiError('network', NETWORK_ERROR_MESSAGE);

    if (response.ok) {
      if (text.trim() === '') return null as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new ApiError('internal', UNEXPECTED_ERROR_MESSAGE);
      }
    }

    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      throw new ApiError('network', NETWORK_ERROR_MESSAGE);
    }
    throw ApiError.fromPayload(payload) ?? new ApiError('network', NETWORK_ERROR_MESSAGE);
  }

  /**
   * Listens to core events. Every listener shares one event stream (a browser allows only
   * six connections to a host; one stream per screen would starve the calls); the stream
   * opens with the first listener, follows a new session token, and closes with the last.
   */
  subscribe(onEvent: (e: CoreEvent) => void): () => void {
    if (typeof EventSource === 'undefined') return () => {};
    this.listeners.add(onEvent);
    this.openStream();
    return () => {
      this.listeners.delete(onEvent);
      if (this.listeners.size === 0) {
        this.source?.close();
        this.source = null;
        if (this.reopenTimer !== null) clearTimeout(this.reopenTimer);
        this.reopenTimer = null;
      }
    };
  }

  private openStream(): void {
    const token = this.getToken();
    if (this.source !== null && this.sourceToken === token) return;
    this.source?.close();
    if (this.reopenTimer !== null) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    this.sourceToken = token;
    const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
    const source = new EventSource(`${this.base}/events${query}`);
    let opened = false;
    source.onopen = () => {
      // Events sent while the stream was down are lost: every screen reads again, as it
      // would on those events. (The first open follows the screens' own first reads.)
      if (opened || this.reopened) this.deliver(MISSED_EVENTS);
      opened = true;
      this.reopened = false;
    };
    source.onerror = () => {
      // The browser retries a dropped stream by itself, but gives up for good when a retry
      // is answered with an error (the core busy or restarting at that moment). A screen
      // left open all day must not go deaf: open it again after a pause.
      if (source.readyState !== CLOSED || this.source !== source) return;
      this.source = null;
      this.reopenTimer = setTimeout(() => {
        this.reopenTimer = null;
        if (this.listeners.size === 0 || this.source !== null) return;
        this.reopened = true;
        this.openStream();
      }, REOPEN_AFTER_MS);
    };
    source.onmessage = (message: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!isCoreEvent(data)) return;
      this.deliver([data]);
    };
    this.source = source;
  }

  private deliver(events: readonly CoreEvent[]): void {
    for (const event of events) {
      for (const listener of [...this.listeners]) listener(event);
    }
  }
}
