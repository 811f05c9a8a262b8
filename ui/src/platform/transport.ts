import type { ApiErrorCode, CoreEvent } from '../api/types';

/**
 * How the UI reaches the application core. Two implementations: Tauri IPC inside the desktop
 * window, and HTTP (+ server-sent events) against `aliquot serve` in a plain browser.
 */
export interface Transport {
  /** Runs one operation. Rejects with an {@link ApiError}, never with anything else. */
  call<T>(name: string, args: unknown, token: string | null): Promise<T>;
  /** Listens to core events; returns a function that stops listening. */
  subscribe(onEvent: (e: CoreEvent) => void): () => void;
}

/** The error shape of every operation: `{code, message, id}`. Only `message` is shown to people. */
export class ApiError extends Error {
  readonly code: ApiErrorCode | (string & {});
  readonly id: string | null;

  constructor(code: string, message: string, id: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.id = id;
  }

  /** Builds an ApiError from a rejection payload, or null if it does not have the shape. */
  static fromPayload(payload: unknown): ApiError | null {
    if (typeof payload !== 'object' || payload === null) return null;
    const { code, message, id } = payload as Record<string, unknown>;
    if (typeof code !== 'string' || typeof message !== 'string') return null;
    return new ApiError(code, message, typeof id === 'string' ? id : null);
  }
}

export const UNEXPECTED_ERROR_MESSAGE =
  'Something went wrong in the application. Please try again; if it keeps happening, tell your administrator.';
export const NETWORK_ERROR_MESSAGE =
  'Could not reach the Aliquot service. Check that it is running and try again.';

/** Narrows an unknown value to a core event, so a malformed message is dropped, not trusted. */
export function isCoreEvent(value: unknown): value is CoreEvent {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)['type'] === 'string'
  );
}
