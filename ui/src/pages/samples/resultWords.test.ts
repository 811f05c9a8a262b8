import { describe, expect, it } from 'vitest';
import { flagWords, readingWords, standingWords } from './resultWords';

describe('readingWords', () => {
  it('shows a number as it is', () => {
    expect(readingWords({ kind: 'number', value: 12.5 })).toBe('12.5');
    expect(readingWords({ kind: 'number', value: 0 })).toBe('0');
    expect(readingWords({ kind: 'number', value: -3.25 })).toBe('-3.25');
  });

  it('shows a censored value as the instrument wrote it, with its side of the range', () => {
    expect(readingWords({ kind: 'censored', bound: 'below', limit: 40, text: '< 40' })).toBe(
      '< 40 (below range)',
    );
    expect(readingWords({ kind: 'censored', bound: 'above', limit: null, text: '>3.5' })).toBe(
      '>3.5 (above range)',
    );
  });

  it('shows a flagged value with its flag in words', () => {
    expect(readingWords({ kind: 'flagged', flag: 'overflow', text: 'OVRFLW' })).toBe(
      "OVRFLW (over the detector's range)",
    );
    expect(readingWords({ kind: 'flagged', flag: 'missed', text: '?????' })).toBe(
      '????? (read missed the well)',
    );
    expect(readingWords({ kind: 'flagged', flag: 'undetermined', text: 'Undetermined' })).toBe(
      'Undetermined (no amplification)',
    );
    expect(readingWords({ kind: 'flagged', flag: 'not_a_number', text: 'NaN' })).toBe(
      'NaN (not a number)',
    );
    expect(readingWords({ kind: 'flagged', flag: 'other', text: '*' })).toBe('* (instrument flag)');
  });
});

describe('flagWords', () => {
  it('says every flag in words', () => {
    expect(flagWords('overflow')).toBe("over the detector's range");
    expect(flagWords('missed')).toBe('read missed the well');
    expect(flagWords('undetermined')).toBe('no amplification');
    expect(flagWords('not_a_number')).toBe('not a number');
    expect(flagWords('other')).toBe('instrument flag');
  });
});

describe('standingWords', () => {
  it('says whether a value counts, and why not', () => {
    expect(standingWords('reported')).toBe('reported');
    expect(standingWords('held')).toBe('held: QC rejected the run; a lab manager decides');
    expect(standingWords('withdrawn')).toBe('withdrawn: the run is repeated');
    expect(standingWords('superseded')).toBe('replaced by a corrected file');
  });
});
