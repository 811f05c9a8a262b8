import { describe, expect, it } from 'vitest';
import { DEFAULT_WEDGE_RULES, WedgeDetector } from './wedge';

// The cases of shared/devices/src/scanner/wedge.rs, plus what the UI relies on.

type Key = [key: string, atMs: number];

function run(keys: Key[]): string[] {
  const d = new WedgeDetector();
  const scans: string[] = [];
  for (const [key, at] of keys) {
    const step = d.key(key, at);
    if (step.kind === 'scan') scans.push(step.text);
  }
  return scans;
}

function burst(code: string, start: number, gap: number, terminator = 'Enter'): Key[] {
  const keys: Key[] = [...code].map((c, i) => [c, start + i * gap]);
  keys.push([terminator, start + [...code].length * gap]);
  return keys;
}

describe('the keyboard-wedge detector', () => {
  it('takes a fast burst ending in Enter as a scan', () => {
    expect(run(burst('AQ000042X', 1000, 8))).toEqual(['AQ000042X']);
  });

  it('takes a burst ending in Tab as a scan', () => {
    expect(run(burst('BX1101', 0, 5, 'Tab'))).toEqual(['BX1101']);
  });

  it('leaves typing alone, however it ends', () => {
    expect(run(burst('AQ000042X', 1000, 120))).toEqual([]);
    // Fast but too short: a person hitting two keys and Enter.
    expect(run(burst('ok', 1000, 5))).toEqual([]);
  });

  it('finds a scan after a pause in typing', () => {
    expect(run([...burst('hello', 0, 150), ...burst('BX1101', 5000, 10)])).toEqual(['BX1101']);
  });

  it('counts only the fast run before the terminator', () => {
    const keys = burst('AQ000042X', 0, 8);
    // The fifth key comes late: the four before it were typing.
    for (let i = 4; i < keys.length; i++) keys[i]![1] += 200;
    expect(run(keys)).toEqual(['0042X']);
  });

  it('is cleared by a non-character key in the middle', () => {
    const keys: Key[] = [
      ['A', 0],
      ['Q', 5],
      ['Shift', 10],
      ['1', 15],
      ['2', 20],
      ['Enter', 25],
    ];
    expect(run(keys)).toEqual([]);
  });

  it('refuses a burst longer than the rules allow', () => {
    const long = 'A'.repeat(DEFAULT_WEDGE_RULES.max_length + 10);
    expect(run(burst(long, 0, 1))).toEqual([]);
    const just = 'A'.repeat(DEFAULT_WEDGE_RULES.max_length);
    expect(run(burst(just, 0, 1))).toEqual([just]);
  });

  it('counts what an input received of the scan, for taking it back out', () => {
    const d = new WedgeDetector();
    for (const [key, at] of burst('P10001K', 0, 4).slice(0, -1)) d.key(key, at);
    expect(d.pending).toBe(7);
    expect(d.key('Enter', 30)).toEqual({ kind: 'scan', text: 'P10001K', length: 7 });
    expect(d.pending).toBe(0);
  });

  it('keeps characters outside ASCII as one character each', () => {
    expect(run(burst('ÅÄÖ-Ω1', 0, 3))).toEqual(['ÅÄÖ-Ω1']);
  });
});
