import type { DateFormat, JsonValue } from '../api/types';

// Dates and times as the lab reads them: always in the lab's zone (the `display_timezone`
// setting), never the workstation's, so two desks in different zones show the same day.

/** The zone when none is set or the name is unknown: UTC, named as such on every time shown. */
export const FALLBACK_TIME_ZONE = 'UTC';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** How the lab writes dates when none is set: year-month-day (ISO 8601), the core's default. */
export const FALLBACK_DATE_FORMAT: DateFormat = 'year_month_day';

function validZone(timeZone: string | null | undefined): string {
  if (!timeZone) return FALLBACK_TIME_ZONE;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
    return timeZone;
  } catch {
    return FALLBACK_TIME_ZONE;
  }
}

type Day = { year: number; month: number; day: number };

/** A day written the lab's way (the `date_format` setting): 2026-12-01, 01.12.2026 … */
function writeDay({ year, month, day }: Day, format: DateFormat | null | undefined): string {
  const y = pad(year, 4);
  const m = pad(month);
  const d = pad(day);
  switch (format ?? FALLBACK_DATE_FORMAT) {
    case 'day_month_year_dots':
      return `${d}.${m}.${y}`;
    case 'day_month_year_slashes':
      return `${d}/${m}/${y}`;
    case 'month_day_year_slashes':
      return `${m}/${d}/${y}`;
    case 'year_month_day':
    default:
      return `${y}-${m}-${d}`;
  }
}

const zoneNames = new Map<string, Intl.DateTimeFormat>();

/** The zone's short name at `instant` ("UTC", "CET", "GMT+9"), as the workstation's language writes it. */
function zoneName(instant: Date, zone: string): string {
  let f = zoneNames.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat(undefined, { timeZone: zone, timeZoneName: 'short' });
    zoneNames.set(zone, f);
  }
  return f.formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value ?? zone;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The one way a date or time is shown. An instant from the core (RFC 3339, UTC) is shown in
 * the lab's zone with the zone named, its date in the lab's `date_format` and its time on a
 * 24-hour clock ("24.11.2026 18:30:00 EST"); a calendar day ("2026-11-24": an event's date, a
 * consent date) is a day wherever it is read, so it is shown as that day, in the same format.
 */
export function formatDateTime(
  value: string,
  timeZone: string | null | undefined,
  dateFormat?: DateFormat | null,
): string {
  const day = ISO_DATE.exec(value);
  if (day) {
    const [, y, m, d] = day;
    return writeDay({ year: Number(y), month: Number(m), day: Number(d) }, dateFormat);
  }
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) return value;
  const zone = validZone(timeZone);
  const t = wallTime(instant, zone);
  return `${writeDay(t, dateFormat)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)} ${zoneName(instant, zone)}`;
}

type WallTime = Day & { hour: number; minute: number; second: number };

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time in `timeZone` at `instant`. */
function wallTime(instant: Date, timeZone: string | null | undefined): WallTime {
  const zone = validZone(timeZone);
  let f = partsFormatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    partsFormatters.set(zone, f);
  }
  const parts = f.formatToParts(instant);
  const n = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    year: n('year'),
    month: n('month'),
    day: n('day'),
    hour: n('hour'),
    minute: n('minute'),
    second: n('second'),
  };
}

/** The lab's calendar day at `instant` (now by default), as "YYYY-MM-DD". */
export function dayIn(timeZone: string | null | undefined, instant: Date = new Date()): string {
  const t = wallTime(instant, timeZone);
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
}

/** The lab's wall-clock minute at `instant`, as a datetime-local field holds it. */
export function wallTimeIn(
  timeZone: string | null | undefined,
  instant: Date = new Date(),
): string {
  const t = wallTime(instant, timeZone);
  return `${dayIn(timeZone, instant)}T${pad(t.hour)}:${pad(t.minute)}`;
}

/**
 * The instant a wall-clock time ("2026-11-24T09:30", or a day for its midnight) names in the
 * lab's zone; null if the text is not such a time. In a daylight-saving gap the clock's
 * earlier offset is used.
 */
export function instantOf(local: string, timeZone: string | null | undefined): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(local);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0'] = m;
  const asUtc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
  if (Number.isNaN(asUtc)) return null;
  const offsetAt = (instant: number) => {
    const t = wallTime(new Date(instant), timeZone);
    return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute) - instant;
  };
  // The zone's offset near that time, then again at the instant it gives (across a change).
  let instant = asUtc - offsetAt(asUtc);
  instant = asUtc - offsetAt(instant);
  return new Date(instant);
}

/** A compact, readable rendering of an audit value. */
export function formatJson(value: JsonValue | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}
