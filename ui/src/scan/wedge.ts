import type { WedgeRules } from '../api/types';

/**
 * The keyboard-wedge rules of shared/devices/src/scanner/wedge.rs: a burst of single
 * characters, each within `max_gap_ms` of the last, ended by a terminator key, of
 * `min_length`..`max_length` characters, is a scan. Anything else is typing and is left alone.
 * The Rust reference detector and this one are tested on the same cases.
 */
export const DEFAULT_WEDGE_RULES: WedgeRules = {
  max_gap_ms: 35,
  min_length: 4,
  max_length: 128,
  terminators: ['Enter', 'Tab'],
};

export type WedgeStep =
  /** The key is typing (or the start of what may become a scan). */
  | { kind: 'key' }
  /** The key ended a scan: `text` is the code, and the terminator should not act as a key. */
  | { kind: 'scan'; text: string; length: number };

export class WedgeDetector {
  private buffer = '';
  private lastAt: number | null = null;
  /** The burst went past `max_length`: nothing of it is a scan, up to its terminator. */
  private overflowed = false;

  constructor(private readonly rules: WedgeRules = DEFAULT_WEDGE_RULES) {}

  /** How many characters the current burst holds (what an input received of a scan). */
  get pending(): number {
    return [...this.buffer].length;
  }

  key(key: string, atMs: number): WedgeStep {
    const gapOk = this.lastAt === null || atMs - this.lastAt <= this.rules.max_gap_ms;
    if (!gapOk) {
      this.buffer = '';
      this.overflowed = false;
    }
    this.lastAt = atMs;
    if (this.rules.terminators.includes(key)) {
      const scan = this.buffer;
      const overflowed = this.overflowed;
      this.buffer = '';
      this.overflowed = false;
      this.lastAt = null;
      const n = [...scan].length;
      if (gapOk && !overflowed && n >= this.rules.min_length) {
        return { kind: 'scan', text: scan, length: n };
      }
      return { kind: 'key' };
    }
    const chars = [...key];
    const c = chars[0];
    if (chars.length === 1 && c !== undefined && this.overflowed) {
      // Still inside an over-long burst.
    } else if (chars.length === 1 && c !== undefined && !isControl(c)) {
      if ([...this.buffer].length < this.rules.max_length) {
        this.buffer += c;
      } else {
        this.buffer = '';
        this.overflowed = true;
      }
    } else {
      this.buffer = '';
      this.overflowed = false;
    }
    return { kind: 'key' };
  }
}

function isControl(c: string): boolean {
  const code = c.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code < 0xa0);
}
