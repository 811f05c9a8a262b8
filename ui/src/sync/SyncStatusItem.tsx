import { useNavigate } from '../router';
import { useSession } from '../session';
import { useSync } from './SyncContext';
import { issueCount, syncShown } from './syncWords';
import { count } from '../lib/words';

/** The status bar's sync part: hub reachable or offline (since when), what waits, "Sync now". */
export function SyncStatusItem() {
  const { status, failed, syncing, syncNow } = useSync();
  const { formatTime } = useSession();
  const navigate = useNavigate();
  if (status === null) {
    return (
      <span className="status-item" data-testid="status-sync" data-state="unknown">
        <span className="status-dot status-dot-idle" aria-hidden="true" />
        {failed ? 'Sync: unknown' : 'Sync: …'}
      </span>
    );
  }
  const shown = syncShown(status, formatTime);
  const issues = issueCount(status.counts);
  const state = !status.connected ? 'standalone' : status.hub_reachable ? 'online' : 'offline';
  return (
    <span
      className="status-item"
      data-testid="status-sync"
      data-state={state}
      data-waiting={status.counts.pending}
      data-tone={shown.tone}
      title={shown.detail}
    >
      <span className={`status-dot status-dot-${shown.tone}`} aria-hidden="true" />
      <span data-testid="status-sync-text">{shown.text}</span>
      {issues > 0 && (
        <a
          href="#/sync_issues"
          className="status-link"
          data-testid="status-sync-issues"
          onClick={(e) => {
            e.preventDefault();
            navigate({ page: 'sync_issues' });
          }}
        >
          {count(issues, 'sync issue')}
        </a>
      )}
      {status.connected && (
        <button
          type="button"
          className="button button-small button-secondary"
          data-testid="sync-now"
          disabled={syncing}
          onClick={() => void syncNow()}
        >
          {syncing ? 'Syncing…' : 'Sync now'}
        </button>
      )}
    </span>
  );
}
