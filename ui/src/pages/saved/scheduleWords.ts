import type {
  Cadence,
  Query,
  QueryCatalogue,
  ReportFormat,
  ReportRequest,
  ReportRunRecord,
  RunOutcome,
  SavedWhat,
  Schedule,
  ScheduleReportArgs,
  Weekday,
} from '../../api/types';
import { dayIn, wallTimeIn } from '../../lib/format';
import type { Draft, DraftCondition, DraftItem } from '../query/queryModel';
import { fieldOf, operatorsOf, valueShape } from '../query/queryModel';
import { defaultForm, kindInfo, type ReportForm } from '../reports/reportWords';

// Saved and scheduled reports without React (unit-tested): a schedule in words, a run's
// outcome in words, the schedule form and the arguments it makes (checked here first, with
// the core's words; shared/domain/src/schedule.rs and saved_reports.rs have the last word),
// and a saved query or report read back into its page's form.

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const refuse = (problem: string): { ok: false; problem: string } => ({ ok: false, problem });

export const WEEKDAYS: readonly { value: Weekday; label: string }[] = [
  { value: 'monday', label: 'Monday' },
  { value: 'tuesday', label: 'Tuesday' },
  { value: 'wednesday', label: 'Wednesday' },
  { value: 'thursday', label: 'Thursday' },
  { value: 'friday', label: 'Friday' },
  { value: 'saturday', label: 'Saturday' },
  { value: 'sunday', label: 'Sunday' },
];

function weekdayLabel(day: Weekday): string {
  return WEEKDAYS.find((w) => w.value === day)?.label ?? day;
}

/** "Every day at 06:30 (UTC)", "Every Monday at 07:00 (Europe/Oslo)", "Monthly on day 31 …". */
export function cadenceWords(schedule: Schedule): string {
  const at = `at ${schedule.local_time} (${schedule.time_zone})`;
  const c = schedule.cadence;
  switch (c.kind) {
    case 'daily':
      return `Every day ${at}`;
    case 'weekly':
      return `Every ${weekdayLabel(c.weekday)} ${at}`;
    case 'monthly':
      return c.day > 28
        ? `Monthly on day ${c.day} — the last day in shorter months — ${at}`
        : `Monthly on day ${c.day} ${at}`;
  }
}

/** "Written", "Written late, 3 runs fell due, run once", "Failed late". */
export function runOutcomeWords(run: Pick<ReportRunRecord, 'outcome' | 'late' | 'missed'>): string {
  let words = run.outcome === 'written' ? 'Written' : 'Failed';
  if (run.late) words += ' late';
  if (run.missed > 1) words += `, ${run.missed} runs fell due, run once`;
  return words;
}

/** A schedule's last run: "Written", "Failed" or "Not run yet". */
export function lastOutcomeWords(outcome: RunOutcome | null): string {
  if (outcome === null) return 'Not run yet';
  return outcome === 'written' ? 'Written' : 'Failed';
}

/** The formats a saved report may be written in (the core's `SavedWhat::formats`). */
export function formatsOf(what: SavedWhat): readonly ReportFormat[] {
  return what.kind === 'query' ? ['csv'] : ['pdf', 'csv'];
}

export const FORMAT_LABELS: Record<ReportFormat, string> = { pdf: 'PDF', csv: 'CSV' };

/** What a saved report is, in words: "Query of samples", "Report: Storage occupancy". */
export function savedWhatWords(what: SavedWhat): string {
  if (what.kind === 'query') return `Query of ${what.query.entity}`;
  return `Report: ${kindInfo(what.request.report)?.label ?? what.request.report}`;
}

/** Whether a scheduled run moves the saved period along (compliance and discards). */
export function hasPeriod(what: SavedWhat): boolean {
  return (
    what.kind === 'report' &&
    (what.request.report === 'compliance' || what.request.report === 'discards')
  );
}

export const PERIOD_NOTE =
  'This report covers a period: each run covers the same length of time, ending when it runs.';

export type CadenceKind = Cadence['kind'];

/** The schedule form as its inputs hold it. */
export type ScheduleForm = {
  cadence: CadenceKind;
  weekday: Weekday;
  /** Day of the month as typed. */
  day: string;
  /** HH:MM */
  localTime: string;
  timeZone: string;
  folder: string;
  format: ReportFormat;
  bom: boolean;
};

export function defaultScheduleForm(what: SavedWhat, labZone: string): ScheduleForm {
  return {
    cadence: 'daily',
    weekday: 'monday',
    day: '1',
    localTime: '06:00',
    timeZone: labZone,
    folder: '',
    format: formatsOf(what)[0] ?? 'csv',
    bom: false,
  };
}

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A full path as Windows, macOS or Linux writes it. */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

/** The `schedule_report` arguments the form makes, or what to fix first. */
export function scheduleArgsOf(
  form: ScheduleForm,
  savedId: string,
  what: SavedWhat,
): Checked<ScheduleReportArgs> {
  let cadence: Cadence;
  switch (form.cadence) {
    case 'daily':
      cadence = { kind: 'daily' };
      break;
    case 'weekly':
      cadence = { kind: 'weekly', weekday: form.weekday };
      break;
    case 'monthly': {
      const day = form.day.trim();
      const n = Number(day);
      if (!/^\d{1,2}$/.test(day) || n < 1 || n > 31) {
        return refuse(
          'The day of the month must be from 1 to 31 (a month without that day runs on its last day).',
        );
      }
      cadence = { kind: 'monthly', day: n };
      break;
    }
  }
  const localTime = form.localTime.trim();
  if (!HH_MM.test(localTime)) {
    return refuse(
      'The time must be a time of day as HH:MM on the 24-hour clock, from 00:00 to 23:59, such as 06:30.',
    );
  }
  if (form.timeZone.trim() === '') {
    return refuse('Choose the time zone the time is in, such as UTC or Europe/Oslo.');
  }
  const folder = form.folder.trim();
  if (folder === '') {
    return refuse('Give the folder’s full path, as this PC writes it.');
  }
  if (!isAbsolutePath(folder)) {
    return refuse('Give the folder’s full path (C:\\Reports, /data/reports), not a relative one.');
  }
  if (!formatsOf(what).includes(form.format)) {
    return refuse('A query is written as CSV only.');
  }
  return {
    ok: true,
    value: {
      saved_id: savedId,
      schedule: { cadence, local_time: localTime, time_zone: form.timeZone.trim() },
      folder,
      format: form.format,
      bom: form.format === 'csv' && form.bom,
    },
  };
}

/** A saved name as typed, checked as the core will (at most 100 characters, not blank). */
export function nameProblem(name: string): string | null {
  if (name.trim() === '') return 'Give it a name you will know it by, such as “Stored plasma”.';
  if (name.trim().length > 100) return 'A name of at most 100 characters.';
  return null;
}

// --- Opening a saved one ---

const SAVED = 'saved:';

/** `#/reports/saved:<id>`, `#/query/saved:<id>`: that page with the saved one loaded. */
export function savedRouteId(savedId: string): string {
  return `${SAVED}${savedId}`;
}

/** The saved report a route id names, or null. */
export function savedIdOf(routeId: string | undefined): string | null {
  if (!routeId?.startsWith(SAVED)) return null;
  const id = routeId.slice(SAVED.length).trim();
  return id === '' ? null : id;
}

/** The page a saved report opens on. */
export function savedPage(what: SavedWhat): 'query' | 'reports' {
  return what.kind === 'query' ? 'query' : 'reports';
}

/**
 * The Reports page's form holding a saved request: a period as the lab's days (its last day
 * the one before the period's end).
 */
export function reportFormOf(request: ReportRequest, timeZone: string, now?: Date): ReportForm {
  const form = defaultForm(request.report, timeZone, now);
  switch (request.report) {
    case 'chain_of_custody':
      return { ...form, sampleCode: request.sample_code };
    case 'occupancy':
      return { ...form, freezerId: request.freezer_id ?? '' };
    case 'field_event':
      return { ...form, eventId: request.event_id };
    case 'compliance':
    case 'discards': {
      const from = dayIn(timeZone, new Date(request.period.from));
      const to = dayIn(timeZone, new Date(Date.parse(request.period.to) - 1));
      return { ...form, from, to };
    }
    case 'inventory':
      return form;
  }
}

/**
 * The query builder's draft holding a saved query: times back on the lab's wall clock, "is one
 * of" one value a line. Null when the query lists what this catalogue does not offer.
 */
export function draftOfQuery(
  catalogue: QueryCatalogue,
  query: Query,
  timeZone: string,
): Draft | null {
  if (!catalogue.entities.some((e) => e.entity === query.entity)) return null;
  let nextId = 1;
  const condition = (c: {
    field: string;
    operator: DraftCondition['operator'];
    values: string[];
  }) => {
    const field = fieldOf(catalogue, query.entity, c.field);
    const choice = field
      ? operatorsOf(catalogue, field.field_type).find((o) => o.operator === c.operator)
      : undefined;
    const shape = choice ? valueShape(choice) : 'one';
    const shown =
      field?.field_type === 'time'
        ? c.values.map((v) => (Number.isNaN(Date.parse(v)) ? v : wallTimeIn(timeZone, new Date(v))))
        : c.values;
    const values = shape === 'lines' ? [shown.join('\n')] : shape === 'none' ? [] : shown;
    const made: DraftCondition = {
      kind: 'condition',
      id: nextId++,
      field: c.field,
      operator: c.operator,
      values,
    };
    return made;
  };
  const items: DraftItem[] = query.filter.items.map((item) => {
    if (item.item === 'condition') return condition(item);
    const id = nextId++;
    const inner: DraftCondition[] = [];
    for (const c of item.items) {
      // The builder has one level of groups; a deeper one is not made by it.
      if (c.item === 'condition') inner.push(condition(c));
    }
    return { kind: 'group', id, join: item.join, items: inner };
  });
  return {
    entity: query.entity,
    join: query.filter.join,
    items,
    columns: [...query.columns],
    sort: query.sort.map((s) => ({ ...s })),
    nextId,
  };
}
