import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dayIn, formatDateTime, instantOf, wallTimeIn } from './format';

// Dates and times are the lab's (the `display_timezone` setting), whatever zone the
// workstation runs in: these run on a workstation far from UTC and from every zone named here.

beforeAll(() => {
  vi.stubEnv('TZ', 'Pacific/Chatham');
});

afterAll(() => {
  vi.unstubAllEnvs();
});

it('runs in a workstation zone of its own', () => {
  expect(new Intl.DateTimeFormat().resolvedOptions().timeZone).toBe('Pacific/Chatham');
});

describe('formatDateTime shows an instant in the lab’s zone', () => {
  const late = '2026-11-24T23:30:00.000000Z';

  it('on the lab’s day and clock, with the zone named', () => {
    const tokyo = formatDateTime(late, 'Asia/Tokyo');
    expect(tokyo).toMatch(/25/);
    expect(tokyo).toMatch(/08:30:00/);
    const newYork = formatDateTime(late, 'America/New_York');
    expect(newYork).toMatch(/24/);
    expect(newYork).toMatch(/18:30:00/);
    expect(newYork).toMatch(/EST|GMT-5/);
  });

  it('in UTC, named, when no zone is set or the name is unknown: never the workstation’s zone', () => {
    for (const zone of [null, '', 'Not/AZone']) {
      const shown = formatDateTime(late, zone);
      expect(shown).toMatch(/23:30:00/);
      expect(shown).toMatch(/UTC/);
    }
  });

  it('a calendar day (an event’s, a consent date) is that day in every zone', () => {
    for (const zone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'UTC']) {
      const shown = formatDateTime('2026-11-24', zone);
      expect(shown).toMatch(/24/);
      expect(shown).toMatch(/2026/);
      expect(shown).not.toMatch(/:/);
    }
  });

  it('leaves text that is no time as it is', () => {
    expect(formatDateTime('soon', 'UTC')).toBe('soon');
  });
});

describe('formatDateTime writes dates the lab’s way (the `date_format` setting)', () => {
  // 23:30 UTC on 24 November is 00:30 on the 25th in Berlin: the day is the lab's day.
  const late = '2026-11-24T23:30:00.000000Z';
  // A day and month that cannot be mistaken for each other (3 and 12).
  const early = '2026-12-03T07:05:09.000000Z';

  it.each([
    ['year_month_day', '2026-12-03 07:05:09 UTC', '2026-11-25 00:30:00'],
    ['day_month_year_dots', '03.12.2026 07:05:09 UTC', '25.11.2026 00:30:00'],
    ['day_month_year_slashes', '03/12/2026 07:05:09 UTC', '25/11/2026 00:30:00'],
    ['month_day_year_slashes', '12/03/2026 07:05:09 UTC', '11/25/2026 00:30:00'],
  ] as const)('%s', (format, inUtc, inBerlin) => {
    expect(formatDateTime(early, 'UTC', format)).toBe(inUtc);
    expect(formatDateTime(late, 'Europe/Berlin', format).startsWith(inBerlin)).toBe(true);
  });

  it.each([
    ['year_month_day', '2026-12-03'],
    ['day_month_year_dots', '03.12.2026'],
    ['day_month_year_slashes', '03/12/2026'],
    ['month_day_year_slashes', '12/03/2026'],
  ] as const)('a calendar day in %s is that day alone, with no time', (format, shown) => {
    expect(formatDateTime('2026-12-03', 'Pacific/Kiritimati', format)).toBe(shown);
  });

  it('year-month-day when the lab has not chosen (the core’s default)', () => {
    expect(formatDateTime(early, 'UTC', null)).toBe('2026-12-03 07:05:09 UTC');
    expect(formatDateTime(early, 'UTC')).toBe('2026-12-03 07:05:09 UTC');
    expect(formatDateTime('2026-12-03', 'UTC', undefined)).toBe('2026-12-03');
  });

  it('times stay on a 24-hour clock in every format: midnight is 00, the evening 18', () => {
    for (const format of ['month_day_year_slashes', 'day_month_year_dots'] as const) {
      expect(formatDateTime('2026-06-01T00:00:00Z', 'UTC', format)).toMatch(/ 00:00:00 /);
      const evening = formatDateTime('2026-06-01T18:45:00Z', 'UTC', format);
      expect(evening).toMatch(/ 18:45:00 /);
      expect(evening).not.toMatch(/AM|PM/i);
    }
  });
});

describe('the lab’s today and wall clock', () => {
  it('dayIn is the calendar day in the lab’s zone, not in UTC or the workstation’s', () => {
    const at = new Date('2026-11-24T23:30:00Z');
    expect(dayIn('UTC', at)).toBe('2026-11-24');
    expect(dayIn('Asia/Tokyo', at)).toBe('2026-11-25');
    expect(dayIn('America/Los_Angeles', new Date('2026-11-25T03:00:00Z'))).toBe('2026-11-24');
  });

  it('wallTimeIn is what a datetime-local field shows for that instant in the lab', () => {
    expect(wallTimeIn('Europe/Berlin', new Date('2026-07-01T10:05:59Z'))).toBe('2026-07-01T12:05');
    expect(wallTimeIn('UTC', new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00');
  });

  it('instantOf reads a wall-clock time back in the lab’s zone, across daylight saving', () => {
    expect(instantOf('2026-07-01T12:05', 'Europe/Berlin')?.toISOString()).toBe(
      '2026-07-01T10:05:00.000Z',
    );
    expect(instantOf('2026-01-15T12:05', 'Europe/Berlin')?.toISOString()).toBe(
      '2026-01-15T11:05:00.000Z',
    );
    // A day is its midnight in the lab (the audit trail's day filters).
    expect(instantOf('2026-11-24', 'Asia/Tokyo')?.toISOString()).toBe('2026-11-23T15:00:00.000Z');
    expect(instantOf('2026-11-24', 'UTC')?.toISOString()).toBe('2026-11-24T00:00:00.000Z');
    // The day Berlin's clocks go back, and forward.
    expect(instantOf('2026-10-25T12:00', 'Europe/Berlin')?.toISOString()).toBe(
      '2026-10-25T11:00:00.000Z',
    );
    expect(instantOf('2026-03-29T12:00', 'Europe/Berlin')?.toISOString()).toBe(
      '2026-03-29T10:00:00.000Z',
    );
  });

  it('round-trips with wallTimeIn', () => {
    for (const zone of ['America/New_York', 'Australia/Adelaide', 'Asia/Kolkata', 'UTC']) {
      const at = new Date('2026-05-04T09:17:00Z');
      expect(instantOf(wallTimeIn(zone, at), zone)?.toISOString()).toBe(at.toISOString());
    }
  });

  it('instantOf refuses what is no time', () => {
    expect(instantOf('', 'UTC')).toBeNull();
    expect(instantOf('24/11/2026', 'UTC')).toBeNull();
  });
});
