import { describe, expect, it } from 'vitest';
import type { Permission } from '../../api/types';
import {
  addDays,
  bytesOfBase64,
  cellText,
  chartTableNote,
  custodyRouteId,
  defaultForm,
  figureText,
  moreRowsWords,
  periodOf,
  reportKindsFor,
  requestOf,
  routeRequest,
  wordsText,
  type ReportForm,
} from './reportWords';

const form = (over: Partial<ReportForm>): ReportForm => ({
  ...defaultForm('inventory', 'UTC', new Date('2026-03-17T12:00:00Z')),
  ...over,
});

const shown = (iso: string) => `<${iso}>`;

describe('which reports a user is offered', () => {
  it('the compliance report only to those who read the audit trail', () => {
    const can = (held: Permission[]) => (p: Permission) => held.includes(p);
    const tech = reportKindsFor(can(['read_samples'])).map((k) => k.value);
    expect(tech).toContain('chain_of_custody');
    expect(tech).not.toContain('compliance');
    const auditor = reportKindsFor(can(['read_audit'])).map((k) => k.value);
    expect(auditor).toEqual(['compliance']);
  });
});

describe('a period of the lab’s days', () => {
  it('runs from the lab’s midnight to the midnight after the last day', () => {
    expect(periodOf('2026-03-01', '2026-03-31', 'Europe/Berlin')).toEqual({
      ok: true,
      value: { from: '2026-02-28T23:00:00.000Z', to: '2026-03-31T22:00:00.000Z' },
    });
    expect(periodOf('2026-03-17', '2026-03-17', 'UTC')).toEqual({
      ok: true,
      value: { from: '2026-03-17T00:00:00.000Z', to: '2026-03-18T00:00:00.000Z' },
    });
  });

  it('refuses a missing day, a day that does not exist, and an end before the start', () => {
    expect(periodOf('', '2026-03-01', 'UTC')).toEqual({
      ok: false,
      problem: 'Give the first day of the period.',
    });
    expect(periodOf('2026-02-01', '2026-02-30', 'UTC').ok).toBe(false);
    expect(periodOf('2026-03-02', '2026-03-01', 'UTC')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/before the first/),
    });
  });

  it('days are counted on the calendar, across months and years', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-13-01', 0)).toBeNull();
  });

  it('a new form asks for this month so far, in the lab’s zone', () => {
    // 23:30 UTC on the 31st is already April the 1st in Tokyo.
    const f = defaultForm('discards', 'Asia/Tokyo', new Date('2026-03-31T23:30:00Z'));
    expect([f.from, f.to]).toEqual(['2026-04-01', '2026-04-01']);
  });
});

describe('the request a form makes', () => {
  it('a chain of custody by its code, trimmed as a scanner may pad it', () => {
    expect(requestOf(form({ kind: 'chain_of_custody', sampleCode: ' S00012X\n' }), 'UTC')).toEqual({
      ok: true,
      value: { report: 'chain_of_custody', sample_code: 'S00012X' },
    });
    expect(requestOf(form({ kind: 'chain_of_custody', sampleCode: '  ' }), 'UTC')).toMatchObject({
      ok: false,
    });
  });

  it('occupancy of every freezer leaves the freezer out; of one names it', () => {
    expect(requestOf(form({ kind: 'occupancy' }), 'UTC')).toEqual({
      ok: true,
      value: { report: 'occupancy' },
    });
    expect(requestOf(form({ kind: 'occupancy', freezerId: 'f-1' }), 'UTC')).toEqual({
      ok: true,
      value: { report: 'occupancy', freezer_id: 'f-1' },
    });
  });

  it('a field event must be chosen; periods are checked', () => {
    expect(requestOf(form({ kind: 'field_event' }), 'UTC')).toEqual({
      ok: false,
      problem: 'Choose the field event.',
    });
    expect(
      requestOf(form({ kind: 'compliance', from: '2026-03-01', to: '2026-03-01' }), 'UTC'),
    ).toEqual({
      ok: true,
      value: {
        report: 'compliance',
        period: { from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' },
      },
    });
    expect(requestOf(form({ kind: 'discards', from: 'x' }), 'UTC').ok).toBe(false);
  });
});

describe('routes to the page', () => {
  it('a custody link carries the code; a report name chooses it', () => {
    expect(routeRequest(custodyRouteId('S-1/A'))).toEqual({
      kind: 'chain_of_custody',
      sampleCode: 'S-1/A',
    });
    expect(routeRequest('custody:')).toEqual({ kind: 'chain_of_custody' });
    expect(routeRequest('occupancy')).toEqual({ kind: 'occupancy' });
    expect(routeRequest('nonsense')).toBeNull();
    expect(routeRequest(undefined)).toBeNull();
  });
});

describe('a report’s cells and figures', () => {
  it('times in the lab’s zone, numbers as they are, empty cells empty', () => {
    expect(cellText('2026-03-01T09:00:00Z', 'time', shown)).toBe('<2026-03-01T09:00:00Z>');
    expect(cellText('2026-03-01T09:00:00Z', 'text', shown)).toBe('2026-03-01T09:00:00Z');
    expect(cellText(12.5, 'decimal', shown)).toBe('12.5');
    expect(cellText(null, 'integer', shown)).toBe('');
    expect(cellText(undefined, 'text', shown)).toBe('');
  });

  it('figures are grouped; a moment is shown in the lab’s zone', () => {
    expect(figureText(1204, shown)).toBe('1,204');
    expect(figureText('2026-03-01T09:00:00Z', shown)).toBe('<2026-03-01T09:00:00Z>');
    expect(figureText('intact', shown)).toBe('intact');
    expect(figureText('2026-11-26', shown)).toBe('<2026-11-26>');
    expect(wordsText('2020-01-01T00:00:00.000000Z', shown)).toBe('<2020-01-01T00:00:00.000000Z>');
    expect(wordsText('North Clinic (NORTH)', shown)).toBe('North Clinic (NORTH)');
    expect(figureText(null, shown)).toBe('—');
  });

  it('rows left out are counted, pointing to the CSV', () => {
    expect(moreRowsWords(0)).toBeNull();
    expect(moreRowsWords(1)).toBe('… and 1 more row, in the CSV.');
    expect(moreRowsWords(2500)).toBe('… and 2500 more rows, in the CSV.');
  });

  it('a chart names the table with its numbers', () => {
    const table = { title: 'Occupancy by freezer', columns: [], rows: [], rows_left_out: 0 };
    expect(chartTableNote([table], 0)).toBe(
      'The same numbers are in the table “Occupancy by freezer” below.',
    );
    expect(chartTableNote([table], 3)).toBeNull();
  });

  it('a base64 file becomes its bytes', () => {
    expect([...bytesOfBase64('JVBERg==')]).toEqual([0x25, 0x50, 0x44, 0x46]);
  });
});
