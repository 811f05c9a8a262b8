import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { CoreEvent } from '../api/types';
import { ApiError, isCoreEvent, UNEXPECTED_ERROR_MESSAGE, type Transport } from './transport';

/** Tauri IPC: every operation is a command taking `{ token, args }`; events come as `core-event`. */
export class TauriTransport implements Transport {
  async call<T>(name: string, args: unknown, token: string | null): Promise<T> {
    try {
      return await invoke<T>(name, { token, args });
    } catch (payload: unknown) {
      throw ApiError.fromPayload(payload) ?? new ApiError('internal', UNEXPECTED_ERROR_MESSAGE);
    }
  }

  subscribe(onEvent: (e: CoreEvent) => void): () => void {
    let stopped = false;
    let unlisten: (() => void) | null = null;
    listen<unknown>('core-event', (event) => {
      if (isCoreEvent(event.payload)) onEvent(event.payload);
    })
      .then((fn) => {
        if (stopped) fn();
        else unlisten = fn;
      })
      .catch(() => {
        // Without events the UI still works; it only refreshes less eagerly.
      });
    return () => {
      stopped = true;
      unlisten?.();
    };
  }
}
