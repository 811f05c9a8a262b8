import type {
  Field,
  FieldType,
  FilterItem,
  Join,
  Operator,
  OperatorChoice,
  Query,
  QueryCatalogue,
  QueryEntity,
  Sort,
} from '../../api/types';
import { instantOf } from '../../lib/format';

// The query builder's state and rules, without React (unit-tested): a draft as the screen
// holds it (values as typed, times on the lab's clock), changed by pure steps, and the
// `Query` it makes, checked here first so the message names the condition to fix. The core
// checks the query again (shared/domain/src/query.rs) and has the last word.

/** The builder offers one level of groups under the top one. */
export const MAX_SORT_KEYS = 3;
export const MAX_CONDITIONS = 50;
export const MAX_ONE_OF = 500;
export const MAX_TEXT = 200;

export type DraftCondition = {
  kind: 'condition';
  id: number;
  field: string;
  operator: Operator;
  /**
   * As the inputs hold them: one value, two for "is between", and for "is one of" a single
   * text of one value per line. Times are the lab's wall clock ("2026-03-01T09:30").
   */
  values: string[];
};

export type DraftGroup = { kind: 'group'; id: number; join: Join; items: DraftCondition[] };

export type DraftItem = DraftCondition | DraftGroup;

export type Draft = {
  entity: QueryEntity;
  join: Join;
  items: DraftItem[];
  /** Field keys, in the catalogue's order. */
  columns: string[];
  /** Up to three; a key with an empty field is not used. */
  sort: Sort[];
  nextId: number;
};

/** How a comparison takes its values, from the core's counts. */
export type ValueShape = 'none' | 'one' | 'two' | 'lines';

export function valueShape(choice: Pick<OperatorChoice, 'min_values' | 'max_values'>): ValueShape {
  if (choice.max_values === 0) return 'none';
  if (choice.max_values > 2) return 'lines';
  return choice.min_values === 2 ? 'two' : 'one';
}

export function fieldsOf(catalogue: QueryCatalogue, entity: QueryEntity): Field[] {
  return catalogue.entities.find((e) => e.entity === entity)?.fields ?? [];
}

export function fieldOf(
  catalogue: QueryCatalogue,
  entity: QueryEntity,
  key: string,
): Field | undefined {
  return fieldsOf(catalogue, entity).find((f) => f.key === key);
}

export function operatorsOf(catalogue: QueryCatalogue, type: FieldType): OperatorChoice[] {
  return catalogue.operators.find((o) => o.field_type === type)?.operators ?? [];
}

function choiceOf(
  catalogue: QueryCatalogue,
  type: FieldType,
  operator: Operator,
): OperatorChoice | undefined {
  return operatorsOf(catalogue, type).find((o) => o.operator === operator);
}

/** The shape of a condition's values; 'none' when its field or comparison is unknown. */
export function shapeOf(catalogue: QueryCatalogue, entity: QueryEntity, c: DraftCondition) {
  const field = fieldOf(catalogue, entity, c.field);
  const choice = field && choiceOf(catalogue, field.field_type, c.operator);
  return choice ? valueShape(choice) : 'none';
}

/** What a value input starts with: a choice field its first choice, a flag "yes". */
function blankValue(field: Field | undefined): string {
  if (field?.field_type === 'choice') return field.choices[0] ?? '';
  if (field?.field_type === 'flag') return 'yes';
  return '';
}

function sizedValues(shape: ValueShape, field: Field | undefined, old: string[]): string[] {
  switch (shape) {
    case 'none':
      return [];
    case 'one':
      // From a list of lines, its first line.
      return [old[0]?.split('\n')[0] ?? blankValue(field)];
    case 'two':
      return [old[0]?.split('\n')[0] ?? blankValue(field), old[1] ?? ''];
    case 'lines':
      return [old.filter((v) => v !== '').join('\n')];
  }
}

export function emptyDraft(catalogue: QueryCatalogue, entity: QueryEntity): Draft {
  return {
    entity,
    join: 'all',
    items: [],
    columns: defaultColumns(fieldsOf(catalogue, entity)),
    sort: [],
    nextId: 1,
  };
}

/** The columns a new query shows: the first few fields, the record's own code first. */
export function defaultColumns(fields: readonly Field[]): string[] {
  return fields.slice(0, 4).map((f) => f.key);
}

function newCondition(catalogue: QueryCatalogue, entity: QueryEntity, id: number): DraftCondition {
  const field = fieldsOf(catalogue, entity)[0];
  const first = field ? operatorsOf(catalogue, field.field_type)[0] : undefined;
  return {
    kind: 'condition',
    id,
    field: field?.key ?? '',
    operator: first?.operator ?? 'equals',
    values: first ? sizedValues(valueShape(first), field, []) : [],
  };
}

/** A new condition at the end of the top group, or of the group `groupId`. */
export function addCondition(catalogue: QueryCatalogue, draft: Draft, groupId?: number): Draft {
  const condition = newCondition(catalogue, draft.entity, draft.nextId);
  const items =
    groupId === undefined
      ? [...draft.items, condition]
      : draft.items.map((item) =>
          item.kind === 'group' && item.id === groupId
            ? { ...item, items: [...item.items, condition] }
            : item,
        );
  return { ...draft, items, nextId: draft.nextId + 1 };
}

/** A new group (with its first condition) at the end of the top group. */
export function addGroup(catalogue: QueryCatalogue, draft: Draft): Draft {
  const group: DraftGroup = {
    kind: 'group',
    id: draft.nextId,
    // Most often a group says "either of these", inside a query of "all of these".
    join: draft.join === 'all' ? 'any' : 'all',
    items: [newCondition(catalogue, draft.entity, draft.nextId + 1)],
  };
  return { ...draft, items: [...draft.items, group], nextId: draft.nextId + 2 };
}

/** Removes a condition or a group (with its conditions) by its id. */
export function removeItem(draft: Draft, id: number): Draft {
  return {
    ...draft,
    items: draft.items
      .filter((item) => item.id !== id)
      .map((item) =>
        item.kind === 'group' ? { ...item, items: item.items.filter((c) => c.id !== id) } : item,
      ),
  };
}

export function setGroupJoin(draft: Draft, groupId: number, join: Join): Draft {
  return {
    ...draft,
    items: draft.items.map((item) =>
      item.kind === 'group' && item.id === groupId ? { ...item, join } : item,
    ),
  };
}

function mapCondition(
  draft: Draft,
  id: number,
  change: (c: DraftCondition) => DraftCondition,
): Draft {
  const one = (c: DraftCondition) => (c.id === id ? change(c) : c);
  return {
    ...draft,
    items: draft.items.map((item) =>
      item.kind === 'group' ? { ...item, items: item.items.map(one) } : one(item),
    ),
  };
}

/** Another field: its comparison kept when the field's type offers it, its values started afresh. */
export function setConditionField(
  catalogue: QueryCatalogue,
  draft: Draft,
  id: number,
  key: string,
): Draft {
  const field = fieldOf(catalogue, draft.entity, key);
  if (!field) return draft;
  const offered = operatorsOf(catalogue, field.field_type);
  return mapCondition(draft, id, (c) => {
    const choice = offered.find((o) => o.operator === c.operator) ?? offered[0];
    if (!choice) return { ...c, field: key, values: [] };
    return {
      ...c,
      field: key,
      operator: choice.operator,
      values: sizedValues(valueShape(choice), field, []),
    };
  });
}

/** Another comparison: the values typed so far kept as far as the new one takes them. */
export function setConditionOperator(
  catalogue: QueryCatalogue,
  draft: Draft,
  id: number,
  operator: Operator,
): Draft {
  return mapCondition(draft, id, (c) => {
    const field = fieldOf(catalogue, draft.entity, c.field);
    const choice = field && choiceOf(catalogue, field.field_type, operator);
    if (!choice) return c;
    return { ...c, operator, values: sizedValues(valueShape(choice), field, c.values) };
  });
}

export function setConditionValue(draft: Draft, id: number, index: number, value: string): Draft {
  return mapCondition(draft, id, (c) => {
    const values = [...c.values];
    values[index] = value;
    return { ...c, values };
  });
}

/** A column shown or not, the columns kept in the catalogue's order. */
export function toggleColumn(
  catalogue: QueryCatalogue,
  draft: Draft,
  key: string,
  shown: boolean,
): Draft {
  const chosen = new Set(draft.columns);
  if (shown) chosen.add(key);
  else chosen.delete(key);
  return {
    ...draft,
    columns: fieldsOf(catalogue, draft.entity)
      .map((f) => f.key)
      .filter((k) => chosen.has(k)),
  };
}

/** Sort key `index` (0 to 2) set; an empty field clears it and the keys after it. */
export function setSortKey(draft: Draft, index: number, key: Sort): Draft {
  const sort = draft.sort.slice(0, index);
  if (key.field === '') return { ...draft, sort };
  return { ...draft, sort: [...sort, key, ...draft.sort.slice(index + 1)] };
}

/** How the page names a condition: "Condition 2", or "Group 1, condition 2" inside a group. */
export function conditionNames(draft: Draft): Map<number, string> {
  const names = new Map<number, string>();
  let top = 0;
  let groups = 0;
  for (const item of draft.items) {
    if (item.kind === 'condition') {
      names.set(item.id, `Condition ${++top}`);
    } else {
      groups++;
      names.set(item.id, `Group ${groups}`);
      item.items.forEach((c, i) => names.set(c.id, `Group ${groups}, condition ${i + 1}`));
    }
  }
  return names;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const refuse = (problem: string): { ok: false; problem: string } => ({ ok: false, problem });

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

function realDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const at = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return at.toISOString().slice(0, 10) === s;
}

/**
 * One value as the core takes it, or what is wrong with it. `comparable` is the value to
 * order "between" by (numbers and instants), null for others.
 */
function readValue(
  field: Field,
  raw: string,
  name: string,
  timeZone: string,
): Checked<{ text: string; comparable: number | string | null }> {
  if (raw.length > MAX_TEXT) {
    return refuse(`${name}: a value of at most ${MAX_TEXT} characters.`);
  }
  const v = raw.trim();
  switch (field.field_type) {
    case 'text':
      if (raw === '') {
        return refuse(
          `${name}: give the text to compare ${field.label} with, or choose “is empty”.`,
        );
      }
      return { ok: true, value: { text: raw, comparable: null } };
    case 'integer':
      if (!INTEGER.test(v)) {
        return refuse(`${name}: ${field.label} takes a whole number such as 250.`);
      }
      return { ok: true, value: { text: v, comparable: Number(v) } };
    case 'decimal':
      if (!DECIMAL.test(v)) {
        return refuse(
          `${name}: ${field.label} takes a number such as -0.25 or 12.5, with a point before the decimals.`,
        );
      }
      return { ok: true, value: { text: v, comparable: Number(v) } };
    case 'time': {
      const at = LOCAL_TIME.test(v) ? instantOf(v, timeZone) : null;
      if (!at) return refuse(`${name}: give a date and a time for ${field.label}.`);
      const iso = at.toISOString().replace('.000Z', 'Z');
      return { ok: true, value: { text: iso, comparable: at.getTime() } };
    }
    case 'date':
      if (!realDate(v)) return refuse(`${name}: give a date for ${field.label}.`);
      return { ok: true, value: { text: v, comparable: v } };
    case 'choice':
      if (!field.choices.includes(v)) {
        return refuse(`${name}: ${field.label} is one of ${field.choices.join(', ')}.`);
      }
      return { ok: true, value: { text: v, comparable: null } };
    case 'flag':
      if (v !== 'yes' && v !== 'no') return refuse(`${name}: ${field.label} is yes or no.`);
      return { ok: true, value: { text: v, comparable: null } };
  }
}

/** The lines of an "is one of": each trimmed (a scanner's or a spreadsheet's), blanks dropped. */
export function linesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

function checkCondition(
  catalogue: QueryCatalogue,
  entity: QueryEntity,
  c: DraftCondition,
  name: string,
  timeZone: string,
): Checked<FilterItem> {
  const field = fieldOf(catalogue, entity, c.field);
  if (!field) return refuse(`${name}: choose a field.`);
  const choice = choiceOf(catalogue, field.field_type, c.operator);
  if (!choice) return refuse(`${name}: choose how ${field.label} compares.`);
  const shape = valueShape(choice);
  let raw: string[];
  switch (shape) {
    case 'none':
      raw = [];
      break;
    case 'one':
      raw = [c.values[0] ?? ''];
      break;
    case 'two':
      raw = [c.values[0] ?? '', c.values[1] ?? ''];
      if (raw.some((v) => v.trim() === '')) {
        return refuse(`${name}: give both ends, the lowest first.`);
      }
      break;
    case 'lines':
      raw = linesOf(c.values[0] ?? '');
      if (raw.length === 0) return refuse(`${name}: give at least one value, one per line.`);
      if (raw.length > MAX_ONE_OF) {
        return refuse(`${name}: at most ${MAX_ONE_OF} values, not ${raw.length}.`);
      }
      break;
  }
  const values: { text: string; comparable: number | string | null }[] = [];
  for (const v of raw) {
    const read = readValue(field, v, name, timeZone);
    if (!read.ok) return read;
    values.push(read.value);
  }
  const [low, high] = values;
  if (shape === 'two' && low?.comparable != null && high?.comparable != null) {
    if (low.comparable > high.comparable) {
      return refuse(`${name}: the first value is after the second; give the lowest first.`);
    }
  }
  return {
    ok: true,
    value: {
      item: 'condition',
      field: field.key,
      operator: c.operator,
      values: values.map((v) => v.text),
    },
  };
}

/** The query the draft makes, or the first thing to fix, naming where it is. */
export function buildQuery(
  catalogue: QueryCatalogue,
  draft: Draft,
  timeZone: string,
): Checked<Query> {
  const fields = fieldsOf(catalogue, draft.entity);
  if (fields.length === 0) return refuse('Choose what to list.');
  if (draft.columns.length === 0) return refuse('Choose at least one column to show.');
  const names = conditionNames(draft);
  const count = draft.items.reduce(
    (n, item) => n + (item.kind === 'group' ? item.items.length : 1),
    0,
  );
  if (count > MAX_CONDITIONS) {
    return refuse(`At most ${MAX_CONDITIONS} conditions in one query, not ${count}.`);
  }
  const items: FilterItem[] = [];
  for (const item of draft.items) {
    if (item.kind === 'condition') {
      const checked = checkCondition(
        catalogue,
        draft.entity,
        item,
        names.get(item.id) ?? 'A condition',
        timeZone,
      );
      if (!checked.ok) return checked;
      items.push(checked.value);
      continue;
    }
    const inner: FilterItem[] = [];
    for (const c of item.items) {
      const checked = checkCondition(
        catalogue,
        draft.entity,
        c,
        names.get(c.id) ?? 'A condition',
        timeZone,
      );
      if (!checked.ok) return checked;
      inner.push(checked.value);
    }
    // A group without conditions narrows nothing: it is left out.
    if (inner.length > 0) items.push({ item: 'group', join: item.join, items: inner });
  }
  const sort: Sort[] = [];
  for (const [i, s] of draft.sort.entries()) {
    if (s.field === '') continue;
    const field = fields.find((f) => f.key === s.field);
    if (!field) return refuse(`Sort key ${i + 1}: choose a field.`);
    if (sort.some((t) => t.field === s.field)) {
      return refuse(`${field.label} is in the sort twice; sort by each field once.`);
    }
    sort.push({ field: s.field, descending: s.descending });
  }
  if (sort.length > MAX_SORT_KEYS) return refuse(`Sort by at most ${MAX_SORT_KEYS} fields.`);
  return {
    ok: true,
    value: {
      entity: draft.entity,
      filter: { join: draft.join, items },
      columns: [...draft.columns],
      sort,
    },
  };
}

/** Whether two queries ask the same (to tell a preview that no longer matches the form). */
export function sameQuery(a: Query | null, b: Query | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const NOUNS: Record<QueryEntity, [string, string]> = {
  samples: ['sample', 'samples'],
  participants: ['participant', 'participants'],
  boxes: ['box', 'boxes'],
  results: ['result', 'results'],
};

/** "1 sample", "12 boxes". */
export function entityCount(entity: QueryEntity, n: number): string {
  const [one, many] = NOUNS[entity];
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

/** "Samples": a record kind's label as the catalogue writes it, capitalised. */
export function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** What an export has written, in words. */
export function progressWords(rows: number, total: number): string {
  return `${rows.toLocaleString('en')} of ${total.toLocaleString('en')} ${total === 1 ? 'row' : 'rows'} written`;
}
