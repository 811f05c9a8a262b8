import type { JsonValue } from '../api/types';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string | null): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let formatter = formatters.get(key);
  if (formatter === undefined) {
    const options: Intl.DateTimeFormatOptions = {
      year: 'numeric',
      month: 'short',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    };
    try {
      formatter = new Intl.DateTimeFormat(undefined, timeZone ? { ...options, timeZone } : options);
    } catch {
      // An unknown time zone name: fall back to the workstation's own zone.
      formatter = new Intl.DateTimeFormat(undefined, options);
    }
    formatters.set(key, formatter);
  }
  return formatter;
}

/** Formats a UTC timestamp from the core for display in the lab's time zone. */
export function formatDateTime(iso: string, timeZone: string | null): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return formatterFor(timeZone).format(date);
}

/** A compact, readable rendering of an audit value. */
export function formatJson(value: JsonValue | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}

/** All IANA time zones the browser knows, for the settings form's suggestions. */
export function knownTimeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
}
