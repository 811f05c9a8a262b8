import type { OutboxCounts, SyncIssue, SyncStatus } from '../api/types';
import { actionWords } from '../lib/auditWords';
import { count } from '../lib/words';

// Sync in the bench's words: whether what was just done has reached the hub, and what a
// refusal means for the person who has to put it right.

export type SyncTone = 'ok' | 'warn' | 'error' | 'idle';

export type SyncShown = { tone: SyncTone; text: string; detail: string };

/** Commands a person has to look at: refused by the hub, held for review, or likely to be. */
export function issueCount(counts: OutboxCounts): number {
  return counts.rejected + counts.held + counts.likely_conflicts;
}

/** The status bar's sync item: stand-alone, connected, or offline since when. */
export function syncShown(status: SyncStatus, formatTime: (iso: string) => string): SyncShown {
  const waiting = status.counts.pending;
  if (!status.connected) {
    return {
      tone: 'idle',
      text: `Stand-alone · ${count(waiting, 'change')} kept here`,
      detail:
        'This workstation is not connected to a lab hub: its changes stay in its own database. An administrator connects it on the Lab hub page.',
    };
  }
  const last = status.last_pull_at
    ? `last sync ${formatTime(status.last_pull_at)}`
    : 'not synced yet';
  if (!status.hub_reachable) {
    const since = status.offline_since ? ` since ${formatTime(status.offline_since)}` : '';
    return {
      tone: 'warn',
      text: `Hub offline${since} · ${count(waiting, 'change')} waiting`,
      detail: `Work goes on as usual: changes wait here and go to the hub when it answers again (${last}).${
        status.last_error ? ` Last error: ${status.last_error}` : ''
      }`,
    };
  }
  if (status.last_error) {
    return {
      tone: 'error',
      text: `Hub refused · ${count(waiting, 'change')} waiting`,
      detail: `${status.last_error} Nothing is lost: changes wait here (${last}).`,
    };
  }
  return {
    tone: waiting > 0 ? 'warn' : 'ok',
    text:
      waiting > 0
        ? `Hub connected · ${count(waiting, 'change')} waiting`
        : `Hub connected · all sent`,
    detail: `Connected to ${status.hub_url ?? 'the hub'} as ${status.device_name ?? 'this workstation'}; ${last}.`,
  };
}

/** What a person should do about one issue, by the hub's reason. */
export function issueAdvice(issue: SyncIssue): string {
  switch (issue.reason_code) {
    case 'position_occupied':
      return 'Another workstation placed a tube there first. Find where this tube really is and scan it into that position (or a free one) again.';
    case 'stale_state':
    case 'invalid_transition':
      return 'The record changed on another workstation before this reached the hub. Look at it as it is now and decide again.';
    case 'code_not_issued':
    case 'code_taken':
      return 'The label code cannot be used. Relabel the tube with a new code from this workstation and register it again.';
    case 'username_taken':
      return 'Another workstation created an account with this name first. Use that account, or create this one under another name.';
    case 'box_full':
      return 'The box filled up on another workstation. Scan the tube into another box.';
    case 'voided':
      return 'What this used was retired on another workstation. Choose another and do it again.';
    case 'likely_conflict':
      return 'This no longer fits what the hub holds. It stays queued until the hub decides; check the record meanwhile.';
    case 'held':
      return "This workstation's audit trail did not verify on the hub. An administrator of the hub reviews and releases its commands.";
    case 'forbidden':
      return 'The hub found that the person who did this may not. Ask an administrator to check the role.';
    default:
      return 'Check the record as it is now, and do what is needed again if it is still needed.';
  }
}

/** The issue's state in words: refused, held, or likely to be refused. */
export function issueState(issue: SyncIssue): string {
  switch (issue.status) {
    case 'rejected':
      return 'Refused by the hub';
    case 'held':
      return 'Held for review';
    default:
      return issue.reason_code === 'likely_conflict' ? 'Likely conflict, still queued' : 'Waiting';
  }
}

/** What was tried, as the audit trail names commands. */
export function issueWhat(issue: Pick<SyncIssue, 'kind'>): string {
  return actionWords(issue.kind);
}
