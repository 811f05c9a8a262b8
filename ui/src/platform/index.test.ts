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
