import { ApiError, UNEXPECTED_ERROR_MESSAGE } from '../platform';

/** The text to show for a failed call: the core's message as is, nothing else from the error. */
export function errorMessage(e: unknown): string {
  return e instanceof ApiError ? e.message : UNEXPECTED_ERROR_MESSAGE;
}

export function errorCode(e: unknown): string | null {
  return e instanceof ApiError ? e.code : null;
}
