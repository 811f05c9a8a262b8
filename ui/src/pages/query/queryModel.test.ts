import { describe, expect, it } from 'vitest';
import type { FieldType, Operator, OperatorChoice, QueryCatalogue } from '../../api/types';
import {
  addCondition,
  addGroup,
  buildQuery,
  conditionNames,
  emptyDraft,
  entityCount,
  linesOf,
  progressWords,
  removeItem,
  sameQuery,
  setConditionField,
  setConditionOperator,
  setConditionValue,
  setGroupJoin,
  setSortKey,
  shapeOf,
  toggleColumn,
  valueShape,
  type Draft,
} from './queryModel';

// The catalogue as the core answers it (`query_catalogue`), cut to a few fields of each type.
const op = (operator: Operator, min = 1, max = 1): OperatorChoice => ({
  operator,
  label: operator,
  min_values: min,
  max_values: max,
});
const ordered = [
  op('equals'),
  op('not_equals'),
  op('less_than'),
  op('at_most'),
  op('greater_than'),
  op('at_least'),
  op('between', 2, 2),
  op('is_empty', 0, 0),
  op('is_not_empty', 0, 0),
];
const OPERATORS: Record<FieldType, OperatorChoice[]> = {
  text: [
    op('equals'),
    op('not_equals'),
    op('contains'),
    op('starts_with'),
    op('one_of', 1, 500),
    op('is_empty', 0, 0),
    op('is_not_empty', 0, 0),
  ],
  integer: ordered,
  decimal: ordered,
  time: ordered,
  date: ordered,
  choice: [
    op('equals'),
    op('not_equals'),
    op('one_of', 1, 500),
    op('is_empty', 0, 0),
    op('is_not_empty', 0, 0),
  ],
  flag: [op('equals'), op('not_equals'), op('is_empty', 0, 0), op('is_not_empty', 0, 0)],
};
const field = (key: string, field_type: FieldType, choices: string[] = []) => ({
  key,
  label: key.replace('_', ' '),
  field_type,
  choices,
});
const CATALOGUE: QueryCatalogue = {
  entities: [
    {
      entity: 'samples',
      label: 'samples',
      fields: [
        field('code', 'text'),
        field('sample_type', 'text'),
        field('status', 'choice', ['received', 'stored', 'disposed']),
        field('participant', 'text'),
        field('collected_at', 'time'),
        field('volume_ul', 'integer'),
      ],
    },
    {
      entity: 'participants',
      label: 'participants',
      fields: [field('code', 'text'), field('consent_date', 'date')],
    },
    {
      entity: 'results',
      label: 'results',
      fields: [field('sample', 'text'), field('value', 'decimal'), field('censored', 'flag')],
    },
  ],
  operators: Object.entries(OPERATORS).map(([t, operators]) => ({
    field_type: t as FieldType,
    operators,
  })),
};

/** A samples draft with one condition on `key`, compared by `operator`, holding `values`. */
function oneCondition(key: string, operator: Operator, values: string[]): Draft {
  let d = addCondition(CATALOGUE, emptyDraft(CATALOGUE, 'samples'));
  d = setConditionField(CATALOGUE, d, 1, key);
  d = setConditionOperator(CATALOGUE, d, 1, operator);
  values.forEach((v, i) => (d = setConditionValue(d, 1, i, v)));
  return d;
}

function problem(d: Draft, zone = 'UTC'): string {
  const built = buildQuery(CATALOGUE, d, zone);
  if (built.ok) throw new Error(`expected a refusal, got ${JSON.stringify(built.value)}`);
  return built.problem;
}

describe('a new draft', () => {
  it('lists every record with the first four columns and no sort', () => {
    const d = emptyDraft(CATALOGUE, 'samples');
    expect(buildQuery(CATALOGUE, d, 'UTC')).toEqual({
      ok: true,
      value: {
        entity: 'samples',
        filter: { join: 'all', items: [] },
        columns: ['code', 'sample_type', 'status', 'participant'],
        sort: [],
      },
    });
  });

  it('a choice condition starts on its first choice, a flag on yes', () => {
    const d = oneCondition('status', 'equals', []);
    expect(d.items[0]).toMatchObject({ field: 'status', operator: 'equals', values: ['received'] });
    let r = addCondition(CATALOGUE, emptyDraft(CATALOGUE, 'results'));
    r = setConditionField(CATALOGUE, r, 1, 'censored');
    expect(r.items[0]).toMatchObject({ values: ['yes'] });
  });
});

describe('values by comparison', () => {
  it('the core’s counts decide the inputs', () => {
    expect(valueShape(op('is_empty', 0, 0))).toBe('none');
    expect(valueShape(op('equals'))).toBe('one');
    expect(valueShape(op('between', 2, 2))).toBe('two');
    expect(valueShape(op('one_of', 1, 500))).toBe('lines');
  });

  it('a status is stored', () => {
    const d = oneCondition('status', 'equals', ['stored']);
    expect(buildQuery(CATALOGUE, d, 'UTC')).toMatchObject({
      ok: true,
      value: {
        filter: {
          join: 'all',
          items: [{ item: 'condition', field: 'status', operator: 'equals', values: ['stored'] }],
        },
      },
    });
  });

  it('pasted codes, one per line, trimmed, blank lines dropped', () => {
    const d = oneCondition('code', 'one_of', [' S001A\r\n\nS002B \n']);
    expect(shapeOf(CATALOGUE, 'samples', d.items[0] as never)).toBe('lines');
    const built = buildQuery(CATALOGUE, d, 'UTC');
    expect(built.ok && built.value.filter.items[0]).toMatchObject({ values: ['S001A', 'S002B'] });
    expect(linesOf('a\n\n b ')).toEqual(['a', 'b']);
    expect(problem(oneCondition('code', 'one_of', ['\n \n']))).toBe(
      'Condition 1: give at least one value, one per line.',
    );
  });

  it('"is one of" a status: each line must be one of its choices', () => {
    expect(problem(oneCondition('status', 'one_of', ['stored\nlost']))).toBe(
      'Condition 1: status is one of received, stored, disposed.',
    );
  });

  it('times are the lab’s clock, sent as UTC', () => {
    const d = oneCondition('collected_at', 'at_least', ['2026-03-01T09:30']);
    const built = buildQuery(CATALOGUE, d, 'Europe/Berlin');
    expect(built.ok && built.value.filter.items[0]).toMatchObject({
      values: ['2026-03-01T08:30:00Z'],
    });
    expect(problem(oneCondition('collected_at', 'at_least', ['']))).toBe(
      'Condition 1: give a date and a time for collected at.',
    );
  });

  it('between takes the lowest first, compared as numbers', () => {
    const ok = oneCondition('volume_ul', 'between', ['50', '250']);
    expect(buildQuery(CATALOGUE, ok, 'UTC')).toMatchObject({ ok: true });
    expect(problem(oneCondition('volume_ul', 'between', ['250', '50']))).toBe(
      'Condition 1: the first value is after the second; give the lowest first.',
    );
    expect(problem(oneCondition('volume_ul', 'between', ['50', '']))).toBe(
      'Condition 1: give both ends, the lowest first.',
    );
    // 9 is below 10 as a number, though not as text.
    expect(buildQuery(CATALOGUE, oneCondition('volume_ul', 'between', ['9', '10']), 'UTC').ok).toBe(
      true,
    );
  });

  it('numbers and dates are checked as the core reads them', () => {
    expect(problem(oneCondition('volume_ul', 'equals', ['2.5']))).toMatch(/whole number/);
    let r = addCondition(CATALOGUE, emptyDraft(CATALOGUE, 'results'));
    r = setConditionField(CATALOGUE, r, 1, 'value');
    r = setConditionValue(r, 1, 0, '12,5');
    expect(problem(r)).toMatch(/a point before the decimals/);
    r = setConditionValue(r, 1, 0, '-0.25');
    expect(buildQuery(CATALOGUE, r, 'UTC').ok).toBe(true);
    let p = addCondition(CATALOGUE, emptyDraft(CATALOGUE, 'participants'));
    p = setConditionField(CATALOGUE, p, 1, 'consent_date');
    p = setConditionValue(p, 1, 0, '2026-02-30');
    expect(problem(p)).toBe('Condition 1: give a date for consent date.');
  });

  it('an empty text is refused with the comparison that finds empty fields', () => {
    expect(problem(oneCondition('participant', 'equals', ['']))).toBe(
      'Condition 1: give the text to compare participant with, or choose “is empty”.',
    );
    const empty = oneCondition('participant', 'is_empty', []);
    const built = buildQuery(CATALOGUE, empty, 'UTC');
    expect(built.ok && built.value.filter.items[0]).toMatchObject({ values: [] });
  });

  it('another comparison keeps what was typed, as far as it takes it', () => {
    let d = oneCondition('code', 'equals', ['S001A']);
    d = setConditionOperator(CATALOGUE, d, 1, 'one_of');
    expect(d.items[0]).toMatchObject({ values: ['S001A'] });
    d = setConditionValue(d, 1, 0, 'S001A\nS002B');
    d = setConditionOperator(CATALOGUE, d, 1, 'starts_with');
    expect(d.items[0]).toMatchObject({ values: ['S001A'] });
    // A field whose type does not offer the comparison takes its first one.
    d = setConditionField(CATALOGUE, d, 1, 'volume_ul');
    expect(d.items[0]).toMatchObject({ field: 'volume_ul', operator: 'equals', values: [''] });
  });
});

describe('groups', () => {
  it('one level of groups, named as the page shows them, empty ones left out', () => {
    let d = addCondition(CATALOGUE, emptyDraft(CATALOGUE, 'samples'));
    d = setConditionField(CATALOGUE, d, 1, 'status');
    d = setConditionValue(d, 1, 0, 'stored');
    d = addGroup(CATALOGUE, d); // group 2 with condition 3
    d = addCondition(CATALOGUE, d, 2); // condition 4
    d = setConditionValue(d, 3, 0, 'S001');
    d = setConditionValue(d, 4, 0, 'S002');
    d = addGroup(CATALOGUE, d); // group 5 with condition 6
    d = removeItem(d, 6);
    expect([...conditionNames(d).values()]).toEqual([
      'Condition 1',
      'Group 1',
      'Group 1, condition 1',
      'Group 1, condition 2',
      'Group 2',
    ]);
    const built = buildQuery(CATALOGUE, d, 'UTC');
    expect(built.ok && built.value.filter).toEqual({
      join: 'all',
      items: [
        { item: 'condition', field: 'status', operator: 'equals', values: ['stored'] },
        {
          item: 'group',
          join: 'any',
          items: [
            { item: 'condition', field: 'code', operator: 'equals', values: ['S001'] },
            { item: 'condition', field: 'code', operator: 'equals', values: ['S002'] },
          ],
        },
      ],
    });
    expect(setGroupJoin(d, 2, 'all').items[1]).toMatchObject({ join: 'all' });
    // A message names the condition inside its group.
    expect(problem(setConditionValue(d, 4, 0, ''))).toMatch(/^Group 1, condition 2: /);
    // Removing a group removes its conditions.
    expect(removeItem(d, 2).items.map((i) => i.id)).toEqual([1, 5]);
  });
});

describe('columns and sort', () => {
  it('columns keep the catalogue’s order; none is refused', () => {
    let d = emptyDraft(CATALOGUE, 'samples');
    d = toggleColumn(CATALOGUE, d, 'volume_ul', true);
    d = toggleColumn(CATALOGUE, d, 'code', false);
    expect(d.columns).toEqual(['sample_type', 'status', 'participant', 'volume_ul']);
    for (const c of d.columns) d = toggleColumn(CATALOGUE, d, c, false);
    expect(problem(d)).toBe('Choose at least one column to show.');
  });

  it('up to three sort keys; clearing one clears those after it; a field once', () => {
    let d = emptyDraft(CATALOGUE, 'samples');
    d = setSortKey(d, 0, { field: 'status', descending: false });
    d = setSortKey(d, 1, { field: 'collected_at', descending: true });
    const built = buildQuery(CATALOGUE, d, 'UTC');
    expect(built.ok && built.value.sort).toEqual([
      { field: 'status', descending: false },
      { field: 'collected_at', descending: true },
    ]);
    expect(setSortKey(d, 0, { field: '', descending: false }).sort).toEqual([]);
    d = setSortKey(d, 2, { field: 'status', descending: true });
    expect(problem(d)).toBe('status is in the sort twice; sort by each field once.');
  });
});

describe('words', () => {
  it('counts and progress', () => {
    expect(entityCount('boxes', 1)).toBe('1 box');
    expect(entityCount('samples', 12345)).toBe('12,345 samples');
    expect(progressWords(500, 1200)).toBe('500 of 1,200 rows written');
    expect(sameQuery(null, null)).toBe(true);
  });
});
