import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpTransport } from '../platform/http';
import { errorMessage } from './errors';

describe('what a failed call shows', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("a busy workstation at sign-in shows the core's message, like any other refusal", async () => {
    const message = 'The workstation is busy checking other sign-ins. Try again in a moment.';
    vi.stubGlobal(
      'fetch',
      vi.fn(
        async () =>
          new Response(JSON.stringify({ code: 'busy', message, id: null }), { status: 503 }),
      ),
    );
    const transport = new HttpTransport(() => null);
    const failure = await transport.call('login', { username: 'desk', password: 'x' }, null).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ name: 'ApiError', code: 'busy' });
    expect(errorMessage(failure)).toBe(message);
  });

  it('anything but the one error shape shows the generic message', () => {
    expect(errorMessage(new Error('stack trace and internals'))).toMatch(
      /Something went wrong in the application/,
    );
  });
});
