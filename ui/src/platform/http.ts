import type { CoreEvent } from '../api/types';
import {
  ApiError,
  isCoreEvent,
  NETWORK_ERROR_MESSAGE,
  UNEXPECTED_ERROR_MESSAGE,
  type Transport,
} from './transport';

/**
 * Browser mode (`aliquot serve`): `POST /api/{name}` with a JSON body, bearer token in the
 * Authorization header; events from the server-sent event stream `/api/events?token=...`.
 */
export class HttpTransport implements Transport {
  private readonly base: string;
  private readonly getToken: () => string | null;

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

  subscribe(onEvent: (e: CoreEvent) => void): () => void {
    if (typeof EventSource === 'undefined') return () => {};
    const token = this.getToken();
    const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
    const source = new EventSource(`${this.base}/events${query}`);
    source.onmessage = (message: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (isCoreEvent(data)) onEvent(data);
    };
    return () => source.close();
  }
}
