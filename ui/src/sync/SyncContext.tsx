import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import type { SyncStatus } from '../api/types';
import { useClient } from '../session';

/** How often the shell asks again without an event (keeps "offline since" and counts fresh). */
const REFRESH_MS = 10_000;

export type SyncState = {
  status: SyncStatus | null;
  failed: boolean;
  syncing: boolean;
  /** Runs a round now (the status bar's and the Lab hub page's "Sync now"). */
  syncNow: () => Promise<void>;
  reload: () => void;
};

const SyncContext = createContext<SyncState | null>(null);

/**
 * The workstation's sync state for the whole shell: loaded once, followed by the core's
 * `sync_changed` events (a round moved on) and `audit_appended` (a new command waits).
 */
export function SyncProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [failed, setFailed] = useState(false);
  const [syncing, setSyncing] = useState(false);

  const reload = useCallback(() => {
    client.run('sync_status', {}).then(
      (s) => {
        setStatus(s);
        setFailed(false);
      },
      () => setFailed(true),
    );
  }, [client]);

  useEffect(() => {
    reload();
    const timer = window.setInterval(reload, REFRESH_MS);
    const unsubscribe = client.subscribe((event) => {
      if (event.type === 'sync_changed' || event.type === 'audit_appended') reload();
    });
    return () => {
      window.clearInterval(timer);
      unsubscribe();
    };
  }, [client, reload]);

  const syncNow = useCallback(async () => {
    setSyncing(true);
    try {
      setStatus(await client.run('sync_now', {}));
      setFailed(false);
    } catch {
      setFailed(true);
    } finally {
      setSyncing(false);
    }
  }, [client]);

  return (
    <SyncContext.Provider value={{ status, failed, syncing, syncNow, reload }}>
      {children}
    </SyncContext.Provider>
  );
}

export function useSync(): SyncState {
  const sync = useContext(SyncContext);
  if (sync === null) throw new Error('useSync outside of the shell');
  return sync;
}

/**
 * Changes whenever the shell's sync status moves on (a push, a pull, a count): what a
 * record's sync mark reads again on, besides the core's events, so a mark follows the
 * status bar even when an event was missed. Empty outside the shell.
 */
export function useSyncMark(): string {
  const status = useContext(SyncContext)?.status;
  if (!status) return '';
  const c = status.counts;
  return [
    status.last_push_at,
    status.last_pull_at,
    status.cursor,
    c.pending,
    c.applied,
    c.rejected,
    c.held,
  ].join('|');
}
