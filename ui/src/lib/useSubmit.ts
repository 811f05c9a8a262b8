import { useState, type FormEvent } from 'react';
import { ApiError } from '../platform';
import { errorMessage } from './errors';

/**
 * The one shape of a form that calls the core: busy while the call runs, the core's message
 * (or a check's) if it fails, `onDone` with the result if it succeeds. A check before the call
 * throws {@link refuse} with what to do.
 */
export function useSubmit<T>(action: () => Promise<T>, onDone: (value: T) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(e?: FormEvent) {
    e?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await action());
    } catch (err: unknown) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, submit };
}

/** A form's own check failed: `message` says what to do. */
export function refuse(message: string): ApiError {
  return new ApiError('invalid_input', message);
}
