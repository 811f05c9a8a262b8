import { describe, expect, it } from 'vitest';
import type { JoiningView } from '../api/types';
import { joinEstimate } from './JoinProgress';

const started = Date.parse('2026-12-02T09:00:00Z');

function view(copied: number, total: number | null, before = 0): JoiningView {
  return {
    hub_url: 'https://hub.lab',
    device_name: 'Desk 3',
    copied_rows: copied,
    copied_before: before,
    total_rows: total,
    started_at: '2026-12-02T09:00:00Z',
  };
}

describe('the estimate of a joining copy', () => {
  it('says nothing before the hub gave the total or a row was copied', () => {
    expect(joinEstimate(view(0, 1000), started + 5000)).toBeNull();
    expect(joinEstimate(view(10, null), started + 5000)).toBeNull();
  });

  it('projects the rest at the speed so far, in seconds, then minutes', () => {
    // 250 of 1,000 rows in 10 s: 30 s left.
    expect(joinEstimate(view(250, 1000), started + 10_000)).toBe('about 30 s left');
    // 100,000 of 2,500,000 in 20 s: 480 s = 8 min.
    expect(joinEstimate(view(100_000, 2_500_000), started + 20_000)).toBe('about 8 min left');
    expect(joinEstimate(view(1000, 1000), started + 20_000)).toBe('almost done');
  });

  it('goes by the pace of this attempt when a copy goes on where one stopped', () => {
    // 600 rows kept from before; 100 more in 10 s: 300 left at 10 rows/s, 30 s.
    expect(joinEstimate(view(700, 1000, 600), started + 10_000)).toBe('about 30 s left');
    expect(joinEstimate(view(600, 1000, 600), started + 10_000)).toBeNull();
  });
});
