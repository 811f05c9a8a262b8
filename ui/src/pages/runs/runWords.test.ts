import { describe, expect, it } from 'vitest';
import { matchLabel, plateShape, readingText, rowName, verdictLabel } from './runWords';

describe('run words', () => {
  it('names rows after Z as a 1536-well plate prints them', () => {
    expect(rowName(0)).toBe('A');
    expect(rowName(25)).toBe('Z');
    expect(rowName(26)).toBe('AA');
    expect(rowName(31)).toBe('AF');
    expect(plateShape('1536')).toEqual({ rows: 32, columns: 48 });
  });

  it('keeps censored and flagged values as the instrument wrote them', () => {
    expect(readingText({ kind: 'number', value: 0.512 })).toBe('0.512');
    expect(readingText({ kind: 'censored', bound: 'below', limit: 40, text: '< 40' })).toBe(
      '< 40 (below range)',
    );
    expect(readingText({ kind: 'flagged', flag: 'overflow', text: 'OVRFLW' })).toBe(
      "OVRFLW (over the detector's range)",
    );
  });

  it('says which values a preview leaves out and why', () => {
    expect(matchLabel('no_sample_there')).toContain('not imported');
    expect(matchLabel('sample')).toBe('Matched to the tube');
    expect(verdictLabel('rejected', ['1-3s'])).toContain('held');
    expect(verdictLabel(null, [])).toContain('not judged');
  });
});
