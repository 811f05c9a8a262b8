import type { ColumnKind, Period, Permission, ReportRequest, Table, Value } from '../../api/types';
import { dayIn, instantOf } from '../../lib/format';
import type { Can } from '../../lib/roles';
import { count } from '../../lib/words';

// The Reports page's words and rules, without React (unit-tested): which reports a user may
// make, the request a filled form makes, and how a report's cells are written.

export type ReportKind = ReportRequest['report'];

type KindInfo = {
  value: ReportKind;
  label: string;
  /** What the core checks (`ReportRequest::permission`); the page offers only what it allows. */
  permission: Permission;
  about: string;
};

export const REPORT_KINDS: readonly KindInfo[] = [
  {
    value: 'chain_of_custody',
    label: 'Chain of custody',
    permission: 'read_samples',
    about:
      'One sample and its aliquots, from collection to disposal: every step, where, by whom, on which workstation.',
  },
  {
    value: 'inventory',
    label: 'Inventory',
    permission: 'read_samples',
    about: 'Samples by type, status, site, field event and freezer, with their consent.',
  },
  {
    value: 'occupancy',
    label: 'Storage occupancy',
    permission: 'read_samples',
    about:
      'Used and free positions per freezer and rack (or per rack and box of one freezer), boxes with space, boxes worth merging.',
  },
  {
    value: 'field_event',
    label: 'Field event',
    permission: 'read_samples',
    about: 'A field event’s check-ins and the samples collected there.',
  },
  {
    value: 'discards',
    label: 'Discards',
    permission: 'read_samples',
    about: 'Discard requests made in a period and what was decided.',
  },
  {
    value: 'compliance',
    label: 'Compliance',
    permission: 'read_audit',
    about:
      'Sign-ins, lockouts, account, role and settings changes, discards and overridden QC over a period, and whether the audit chain is intact.',
  },
];

/** The reports this user may make, in the order the page offers them. */
export function reportKindsFor(can: Can): readonly KindInfo[] {
  return REPORT_KINDS.filter((k) => can(k.permission));
}

export function kindInfo(kind: ReportKind): KindInfo | undefined {
  return REPORT_KINDS.find((k) => k.value === kind);
}

/** What the page's form holds; each report reads the part it needs. */
export type ReportForm = {
  kind: ReportKind;
  sampleCode: string;
  /** The lab's days, "YYYY-MM-DD", both included. */
  from: string;
  to: string;
  /** Empty: every freezer. */
  freezerId: string;
  eventId: string;
};

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The day `n` days after `day` ("YYYY-MM-DD"); null when it is no such day. */
export function addDays(day: string, n: number): string | null {
  const m = DAY.exec(day);
  if (!m) return null;
  const [, y, mo, d] = m;
  const at = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d) + n));
  // 2026-02-30 rolls over: it was never a day.
  if (n === 0 && at.toISOString().slice(0, 10) !== day) return null;
  return at.toISOString().slice(0, 10);
}

/** The form a page opens with: this month so far, every freezer. */
export function defaultForm(
  kind: ReportKind,
  timeZone: string,
  now: Date = new Date(),
): ReportForm {
  const today = dayIn(timeZone, now);
  return {
    kind,
    sampleCode: '',
    from: `${today.slice(0, 8)}01`,
    to: today,
    freezerId: '',
    eventId: '',
  };
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * The lab's days `from` to `to`, both included, as the core's half-open period of UTC
 * instants: from the lab's midnight starting `from` to the one after `to`.
 */
export function periodOf(from: string, to: string, timeZone: string): Checked<Period> {
  if (addDays(from, 0) === null) {
    return { ok: false, problem: 'Give the first day of the period.' };
  }
  if (addDays(to, 0) === null) {
    return { ok: false, problem: 'Give the last day of the period.' };
  }
  if (to < from) {
    return {
      ok: false,
      problem: 'The last day is before the first: give the earlier day under “From”.',
    };
  }
  const start = instantOf(from, timeZone);
  const end = instantOf(addDays(to, 1) ?? to, timeZone);
  if (!start || !end) return { ok: false, problem: 'Give the period as two days.' };
  return { ok: true, value: { from: start.toISOString(), to: end.toISOString() } };
}

/** The request the form makes, or what to fix first. */
export function requestOf(form: ReportForm, timeZone: string): Checked<ReportRequest> {
  switch (form.kind) {
    case 'chain_of_custody': {
      const code = form.sampleCode.trim();
      if (!code) {
        return { ok: false, problem: 'Scan the tube or type its sample code.' };
      }
      return { ok: true, value: { report: 'chain_of_custody', sample_code: code } };
    }
    case 'inventory':
      return { ok: true, value: { report: 'inventory' } };
    case 'occupancy':
      return {
        ok: true,
        value: form.freezerId
          ? { report: 'occupancy', freezer_id: form.freezerId }
          : { report: 'occupancy' },
      };
    case 'field_event':
      if (!form.eventId) return { ok: false, problem: 'Choose the field event.' };
      return { ok: true, value: { report: 'field_event', event_id: form.eventId } };
    case 'compliance':
    case 'discards': {
      const period = periodOf(form.from, form.to, timeZone);
      if (!period.ok) return period;
      return { ok: true, value: { report: form.kind, period: period.value } };
    }
  }
}

const CUSTODY = 'custody:';

/** The route id of a sample's chain of custody: `#/reports/custody:<code>`. */
export function custodyRouteId(sampleCode: string): string {
  return `${CUSTODY}${sampleCode}`;
}

/**
 * What a route id asks the page for: `custody:<code>` a sample's chain of custody (made at
 * once), a report's name that report chosen; anything else nothing.
 */
export function routeRequest(
  id: string | undefined,
): { kind: ReportKind; sampleCode?: string } | null {
  if (!id) return null;
  if (id.startsWith(CUSTODY)) {
    const code = id.slice(CUSTODY.length).trim();
    return code ? { kind: 'chain_of_custody', sampleCode: code } : { kind: 'chain_of_custody' };
  }
  const kind = REPORT_KINDS.find((k) => k.value === id);
  return kind ? { kind: kind.value } : null;
}

export function isNumericKind(kind: ColumnKind): boolean {
  return kind === 'integer' || kind === 'decimal';
}

/** A cell as the page shows it: times in the lab's zone, an empty cell empty. */
export function cellText(
  value: Value | undefined,
  kind: ColumnKind,
  formatTime: (iso: string) => string,
): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  return kind === 'time' ? formatTime(value) : value;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const CALENDAR_DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A report's words (a parameter's value, a figure's text) as the page shows them: a moment
 * the core wrote as RFC 3339 in the lab's zone, a calendar day in the lab's date format.
 */
export function wordsText(text: string, formatTime: (iso: string) => string): string {
  return INSTANT.test(text) || CALENDAR_DAY.test(text) ? formatTime(text) : text;
}

/** A headline figure: numbers grouped ("1,204"), moments and days as the lab writes them. */
export function figureText(value: Value, formatTime: (iso: string) => string): string {
  if (value === null) return '—';
  if (typeof value === 'number') return value.toLocaleString('en', { maximumFractionDigits: 2 });
  return wordsText(value, formatTime);
}

/** Under a bounded table: how many rows only its CSV holds; null when it holds them all. */
export function moreRowsWords(rowsLeftOut: number): string | null {
  if (rowsLeftOut <= 0) return null;
  return `… and ${count(rowsLeftOut, 'more row', 'more rows')}, in the CSV.`;
}

/** Where a chart's numbers are in the report, in words; null when the report has no such table. */
export function chartTableNote(tables: readonly Table[], index: number): string | null {
  const table = tables[index];
  return table ? `The same numbers are in the table “${table.title}” below.` : null;
}

/** A file the core sent as base64, as bytes. */
export function bytesOfBase64(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
