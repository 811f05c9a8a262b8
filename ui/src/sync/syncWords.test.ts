import { describe, expect, it } from 'vitest';
import type { SyncIssue, SyncStatus } from '../api/types';
import { issueAdvice, issueCount, issueState, syncShown } from './syncWords';

const at = (iso: string) => `at ${iso.slice(11, 16)}`;

function status(over: Partial<SyncStatus> = {}): SyncStatus {
  return {
    connected: true,
    hub_url: 'https://hub.lab',
    device_name: 'Desk 2',
    hub_reachable: true,
    offline_since: null,
    counts: { pending: 0, likely_conflicts: 0, rejected: 0, held: 0, applied: 4 },
    last_push_at: '2026-12-02T09:00:00Z',
    last_pull_at: '2026-12-02T09:01:00Z',
    last_error: null,
    cursor: 10,
    diverged: [],
    ...over,
  };
}

function issue(over: Partial<SyncIssue> = {}): SyncIssue {
  return {
    seq: 3,
    command_id: '0193',
    kind: 'place_samples',
    recorded_at: '2026-12-02T08:00:00Z',
    actor_name: 'tech',
    status: 'rejected',
    reason_code: 'position_occupied',
    message: 'A1 holds S1',
    details: {},
    ...over,
  };
}

describe('sync in words', () => {
  it('says stand-alone when no hub is connected, with what is kept here', () => {
    const shown = syncShown(
      status({ connected: false, counts: { ...status().counts, pending: 1 } }),
      at,
    );
    expect(shown.tone).toBe('idle');
    expect(shown.text).toBe('Stand-alone · 1 change kept here');
  });

  it('says all sent, or how many wait, while the hub answers', () => {
    expect(syncShown(status(), at)).toMatchObject({ tone: 'ok', text: 'Hub connected · all sent' });
    const waiting = syncShown(status({ counts: { ...status().counts, pending: 3 } }), at);
    expect(waiting).toMatchObject({ tone: 'warn', text: 'Hub connected · 3 changes waiting' });
  });

  it('says since when the hub is offline, and that work goes on', () => {
    const shown = syncShown(
      status({
        hub_reachable: false,
        offline_since: '2026-12-02T09:30:00Z',
        counts: { ...status().counts, pending: 2 },
      }),
      at,
    );
    expect(shown.tone).toBe('warn');
    expect(shown.text).toBe('Hub offline since at 09:30 · 2 changes waiting');
    expect(shown.detail).toMatch(/^Work goes on as usual/);
  });

  it('shows a refusal by a reachable hub (a revoked workstation) as an error', () => {
    const shown = syncShown(status({ last_error: 'This workstation was revoked.' }), at);
    expect(shown).toMatchObject({ tone: 'error', text: 'Hub refused · 0 changes waiting' });
  });

  it('counts refused, held and likely conflicts as issues, not what merely waits', () => {
    expect(
      issueCount({ pending: 9, likely_conflicts: 1, rejected: 2, held: 3, applied: 100 }),
    ).toBe(6);
  });

  it('tells what to do by the hub’s reason, and names the state', () => {
    expect(issueAdvice(issue())).toMatch(/scan it into that position/);
    expect(issueAdvice(issue({ reason_code: 'something_new' }))).toMatch(/^Check the record/);
    expect(issueState(issue())).toBe('Refused by the hub');
    expect(issueState(issue({ status: 'pending', reason_code: 'likely_conflict' }))).toBe(
      'Likely conflict, still queued',
    );
    expect(issueState(issue({ status: 'held', reason_code: 'held' }))).toBe('Held for review');
  });
});
