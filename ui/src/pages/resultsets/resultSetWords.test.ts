import { describe, expect, it } from 'vitest';
import type { ResultSetRecord } from '../../api/types';
import {
  base64Of,
  conversionWords,
  convertedWords,
  factorText,
  fileArgs,
  FILTERS,
  FORMATS,
  formatLabel,
  moreWords,
  outcomeWords,
  parseFactor,
  partnerLabel,
  summaryWords,
  valueWords,
} from './resultSetWords';

const SET: ResultSetRecord = {
  id: 's1',
  name: 'Panel 2026-03',
  format: 'olink_npx',
  partner: null,
  file_name: 'panel.csv',
  sha256: 'ab',
  value_count: 120,
  samples_matched: 40,
  unknown_codes: 0,
  analytes: 3,
  unmapped_codes: 0,
  imported_at: '2026-03-01T10:00:00Z',
  imported_by: 'tech',
};

describe('result set words', () => {
  it('names the formats and filters as the bench says them', () => {
    expect(formatLabel('olink_npx')).toBe('Olink NPX export (long)');
    expect(formatLabel('long_csv')).toBe('Long CSV: sample, analyte, value, unit, flag');
    expect(FORMATS.map((f) => f.value)).toEqual(['olink_npx', 'long_csv']);
    expect(FILTERS.map((f) => f.label)).toEqual([
      'All',
      'Unknown codes only',
      'Unmapped partner codes only',
    ]);
    expect(partnerLabel(null)).toBe("The lab's own");
    expect(partnerLabel('Karolinska Core Lab')).toBe('Karolinska Core Lab');
  });

  it('says how many codes a list leaves out, and nothing when it shows them all', () => {
    expect(moreWords(200, 212)).toBe('and 12 more');
    expect(moreWords(3, 3)).toBeNull();
    expect(moreWords(0, 0)).toBeNull();
  });

  it('states a conversion in words, units or not', () => {
    expect(conversionWords({ partner_unit: 'mg/dL', unit: 'mmol/L', factor: 0.0555 })).toBe(
      'mg/dL × 0.0555 → mmol/L',
    );
    expect(conversionWords({ partner_unit: 'pg/mL', unit: 'pg/mL', factor: 1 })).toBe(
      'pg/mL × 1 → pg/mL (the same value)',
    );
    expect(conversionWords({ partner_unit: null, unit: ' ', factor: 2 })).toBe(
      'partner value × 2 → lab value',
    );
    expect(factorText(0.1 + 0.2)).toBe('0.3');
  });

  it('shows values as the file gave them, or that it gave none', () => {
    expect(valueWords(undefined)).toBe('no value');
    expect(valueWords(null)).toBe('no value');
    expect(valueWords({ kind: 'number', value: 5.25 })).toBe('5.25');
    expect(valueWords({ kind: 'censored', bound: 'below', limit: 0.1, text: '<LOD' })).toBe(
      '<LOD (below range)',
    );
    expect(convertedWords(null)).toBe('—');
    expect(convertedWords(undefined)).toBe('—');
    expect(convertedWords(5.55 * 0.0555)).toBe('0.308025');
    expect(convertedWords({ kind: 'number', value: 0.3 })).toBe('0.3');
  });

  it('summarises a preview and an import', () => {
    expect(summaryWords({ values: 1, samples_matched: 1, analytes: 1, controls: 0 })).toBe(
      '1 value: 1 tube matched, 1 analyte, 0 controls.',
    );
    expect(outcomeWords({ outcome: 'imported', set: SET }, 'panel.csv')).toBe(
      'Result set Panel 2026-03 imported: 120 values, 40 tubes matched.',
    );
    expect(
      outcomeWords(
        { outcome: 'imported', set: { ...SET, unknown_codes: 2, unmapped_codes: 1 } },
        'panel.csv',
      ),
    ).toBe(
      'Result set Panel 2026-03 imported: 120 values, 40 tubes matched, 2 unknown codes, 1 partner code with no mapping.',
    );
    expect(outcomeWords({ outcome: 'already_imported', set_id: 's1' }, 'panel.csv')).toBe(
      'panel.csv was imported already; nothing changed.',
    );
  });

  it('sends the partner and name only when typed', () => {
    expect(
      fileArgs({ format: 'long_csv', partner: '  ', name: '', fileName: 'a.csv', base64: 'QQ==' }),
    ).toEqual({ format: 'long_csv', file_name: 'a.csv', file_base64: 'QQ==' });
    expect(
      fileArgs({
        format: 'long_csv',
        partner: ' Karolinska ',
        name: ' March ',
        fileName: 'a.csv',
        base64: 'QQ==',
      }),
    ).toEqual({
      format: 'long_csv',
      partner: 'Karolinska',
      name: 'March',
      file_name: 'a.csv',
      file_base64: 'QQ==',
    });
  });

  it('sends a file as base64, however long', () => {
    expect(base64Of(new TextEncoder().encode('sample,analyte'))).toBe('c2FtcGxlLGFuYWx5dGU=');
    const long = new Uint8Array(0x8000 * 2 + 5).fill(65);
    expect(atob(base64Of(long))).toBe('A'.repeat(long.length));
  });

  it('reads a factor with a point or a comma, and only above zero', () => {
    expect(parseFactor('0.0555')).toBe(0.0555);
    expect(parseFactor(' 0,0555 ')).toBe(0.0555);
    expect(parseFactor('1')).toBe(1);
    expect(parseFactor('')).toBeNull();
    expect(parseFactor('0')).toBeNull();
    expect(parseFactor('-2')).toBeNull();
    expect(parseFactor('abc')).toBeNull();
  });
});
