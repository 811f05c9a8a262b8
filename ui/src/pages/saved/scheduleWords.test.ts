import { describe, expect, it } from 'vitest';
import type { Operator, OperatorChoice, Query, QueryCatalogue, SavedWhat } from '../../api/types';
import { buildQuery } from '../query/queryModel';
import { requestOf } from '../reports/reportWords';
import {
  cadenceWords,
  defaultScheduleForm,
  draftOfQuery,
  formatsOf,
  hasPeriod,
  lastOutcomeWords,
  reportFormOf,
  runOutcomeWords,
  savedIdOf,
  savedRouteId,
  scheduleArgsOf,
  type ScheduleForm,
} from './scheduleWords';

const QUERY: Query = {
  entity: 'samples',
  filter: {
    join: 'all',
    items: [{ item: 'condition', field: 'status', operator: 'equals', values: ['stored'] }],
  },
  columns: ['code', 'status'],
  sort: [{ field: 'code', descending: false }],
};
const A_QUERY: SavedWhat = { kind: 'query', query: QUERY };
const A_REPORT: SavedWhat = { kind: 'report', request: { report: 'inventory' } };

describe('a schedule in words', () => {
  it('daily, weekly and monthly, with the time and its zone', () => {
    expect(
      cadenceWords({ cadence: { kind: 'daily' }, local_time: '06:30', time_zone: 'UTC' }),
    ).toBe('Every day at 06:30 (UTC)');
    expect(
      cadenceWords({
        cadence: { kind: 'weekly', weekday: 'monday' },
        local_time: '07:00',
        time_zone: 'Europe/Oslo',
      }),
    ).toBe('Every Monday at 07:00 (Europe/Oslo)');
    expect(
      cadenceWords({ cadence: { kind: 'monthly', day: 5 }, local_time: '05:00', time_zone: 'UTC' }),
    ).toBe('Monthly on day 5 at 05:00 (UTC)');
  });

  it('a day some months lack says what happens then', () => {
    const words = cadenceWords({
      cadence: { kind: 'monthly', day: 31 },
      local_time: '05:00',
      time_zone: 'UTC',
    });
    expect(words).toContain('Monthly on day 31 — the last day in shorter months');
    expect(words).toContain('05:00 (UTC)');
  });
});

describe('a run in words', () => {
  it('written or failed, late and missed said plainly', () => {
    expect(runOutcomeWords({ outcome: 'written', late: false, missed: 1 })).toBe('Written');
    expect(runOutcomeWords({ outcome: 'written', late: true, missed: 3 })).toBe(
      'Written late, 3 runs fell due, run once',
    );
    expect(runOutcomeWords({ outcome: 'failed', late: true, missed: 1 })).toBe('Failed late');
    expect(lastOutcomeWords(null)).toBe('Not run yet');
    expect(lastOutcomeWords('failed')).toBe('Failed');
  });
});

describe('the schedule form', () => {
  const form = (change: Partial<ScheduleForm> = {}): ScheduleForm => ({
    ...defaultScheduleForm(A_REPORT, 'Europe/Oslo'),
    folder: '/data/reports',
    ...change,
  });

  it('starts in the lab’s zone, in the first format the saved one allows', () => {
    expect(defaultScheduleForm(A_QUERY, 'Europe/Oslo')).toMatchObject({
      timeZone: 'Europe/Oslo',
      format: 'csv',
      cadence: 'daily',
    });
    expect(defaultScheduleForm(A_REPORT, 'UTC').format).toBe('pdf');
    expect(formatsOf(A_QUERY)).toEqual(['csv']);
    expect(formatsOf(A_REPORT)).toEqual(['pdf', 'csv']);
  });

  it('makes the core’s arguments', () => {
    const args = scheduleArgsOf(
      form({ cadence: 'weekly', weekday: 'friday', localTime: '07:15', format: 'csv', bom: true }),
      'id-1',
      A_REPORT,
    );
    expect(args).toEqual({
      ok: true,
      value: {
        saved_id: 'id-1',
        schedule: {
          cadence: { kind: 'weekly', weekday: 'friday' },
          local_time: '07:15',
          time_zone: 'Europe/Oslo',
        },
        folder: '/data/reports',
        format: 'csv',
        bom: true,
      },
    });
    const monthly = scheduleArgsOf(form({ cadence: 'monthly', day: '31' }), 'id-1', A_REPORT);
    expect(monthly.ok && monthly.value.schedule.cadence).toEqual({ kind: 'monthly', day: 31 });
    // A PDF has no byte-order mark.
    const pdf = scheduleArgsOf(form({ format: 'pdf', bom: true }), 'id-1', A_REPORT);
    expect(pdf.ok && pdf.value.bom).toBe(false);
    const windows = scheduleArgsOf(form({ folder: 'C:\\Reports' }), 'id-1', A_REPORT);
    expect(windows.ok).toBe(true);
  });

  it('refuses what the core would, saying what to fix', () => {
    const problem = (f: ScheduleForm, what: SavedWhat = A_REPORT) => {
      const r = scheduleArgsOf(f, 'id', what);
      return r.ok ? null : r.problem;
    };
    expect(problem(form({ localTime: '24:00' }))).toMatch(/HH:MM/);
    expect(problem(form({ localTime: '6:30' }))).toMatch(/HH:MM/);
    expect(problem(form({ cadence: 'monthly', day: '32' }))).toMatch(/1 to 31/);
    expect(problem(form({ cadence: 'monthly', day: '0' }))).toMatch(/1 to 31/);
    expect(problem(form({ folder: '' }))).toMatch(/full path/);
    expect(problem(form({ folder: 'reports' }))).toMatch(/not a relative one/);
    expect(problem(form({ timeZone: '' }))).toMatch(/time zone/);
    expect(problem(form({ format: 'pdf' }), A_QUERY)).toBe('A query is written as CSV only.');
  });

  it('a report over a period says each run keeps its length', () => {
    const period = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
    expect(hasPeriod({ kind: 'report', request: { report: 'compliance', period } })).toBe(true);
    expect(hasPeriod({ kind: 'report', request: { report: 'discards', period } })).toBe(true);
    expect(hasPeriod(A_REPORT)).toBe(false);
    expect(hasPeriod(A_QUERY)).toBe(false);
  });
});

describe('opening a saved one', () => {
  it('a route id names it', () => {
    expect(savedIdOf(savedRouteId('abc'))).toBe('abc');
    expect(savedIdOf('custody:S1')).toBeNull();
    expect(savedIdOf('saved:')).toBeNull();
    expect(savedIdOf(undefined)).toBeNull();
  });

  it('a saved period comes back as the lab’s days, and makes the same request', () => {
    const form = reportFormOf(
      {
        report: 'discards',
        period: { from: '2026-02-28T23:00:00.000Z', to: '2026-03-31T22:00:00.000Z' },
      },
      'Europe/Oslo',
    );
    expect(form).toMatchObject({ kind: 'discards', from: '2026-03-01', to: '2026-03-31' });
    expect(requestOf(form, 'Europe/Oslo')).toEqual({
      ok: true,
      value: {
        report: 'discards',
        period: { from: '2026-02-28T23:00:00.000Z', to: '2026-03-31T22:00:00.000Z' },
      },
    });
    expect(reportFormOf({ report: 'chain_of_custody', sample_code: 'S1' }, 'UTC').sampleCode).toBe(
      'S1',
    );
    expect(reportFormOf({ report: 'occupancy' }, 'UTC').freezerId).toBe('');
  });

  it('a saved query comes back as a draft that builds the same query', () => {
    const op = (operator: Operator, min = 1, max = 1): OperatorChoice => ({
      operator,
      label: operator,
      min_values: min,
      max_values: max,
    });
    const catalogue: QueryCatalogue = {
      entities: [
        {
          entity: 'samples',
          label: 'samples',
          fields: [
            { key: 'code', label: 'code', field_type: 'text', choices: [] },
            {
              key: 'status',
              label: 'status',
              field_type: 'choice',
              choices: ['stored', 'disposed'],
            },
            { key: 'collected_at', label: 'collected', field_type: 'time', choices: [] },
          ],
        },
      ],
      operators: [
        { field_type: 'text', operators: [op('equals'), op('one_of', 1, 500)] },
        { field_type: 'choice', operators: [op('equals'), op('one_of', 1, 500)] },
        { field_type: 'time', operators: [op('between', 2, 2), op('is_empty', 0, 0)] },
      ],
    };
    const query: Query = {
      entity: 'samples',
      filter: {
        join: 'all',
        items: [
          { item: 'condition', field: 'status', operator: 'equals', values: ['stored'] },
          {
            item: 'group',
            join: 'any',
            items: [
              { item: 'condition', field: 'code', operator: 'one_of', values: ['A', 'B'] },
              {
                item: 'condition',
                field: 'collected_at',
                operator: 'between',
                values: ['2026-03-01T08:30:00Z', '2026-03-02T08:30:00Z'],
              },
            ],
          },
        ],
      },
      columns: ['code', 'status'],
      sort: [{ field: 'code', descending: true }],
    };
    const draft = draftOfQuery(catalogue, query, 'Europe/Oslo');
    expect(draft).not.toBeNull();
    const group = draft!.items[1];
    expect(group?.kind === 'group' && group.items[0]?.values).toEqual(['A\nB']);
    expect(group?.kind === 'group' && group.items[1]?.values).toEqual([
      '2026-03-01T09:30',
      '2026-03-02T09:30',
    ]);
    expect(buildQuery(catalogue, draft!, 'Europe/Oslo')).toEqual({ ok: true, value: query });
    expect(draftOfQuery(catalogue, { ...query, entity: 'boxes' }, 'UTC')).toBeNull();
  });
});
