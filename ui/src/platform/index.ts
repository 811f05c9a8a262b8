import { HttpTransport } from './http';
import { TauriTransport } from './tauri';
import type { Transport } from './transport';

export {
  ApiError,
  NETWORK_ERROR_MESSAGE,
  UNEXPECTED_ERROR_MESSAGE,
  type Transport,
} from './transport';

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

/** True inside the Tauri desktop window. */
export function isTauri(): boolean {
  return typeof window !== 'undefined' && window.__TAURI_INTERNALS__ !== undefined;
}

/**
 * Picks the transport for where the UI runs. `getToken` gives the current session token to
 * transports that need it outside of calls (the HTTP event stream).
 */
export function createTransport(getToken: () => string | null): Transport {
  return isTauri() ? new TauriTransport() : new HttpTransport(getToken);
}
