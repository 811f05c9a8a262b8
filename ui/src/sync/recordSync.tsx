import { useEffect, useState } from 'react';
import type { RecordSyncView } from '../api/types';
import { useClient } from '../session';
import { useSyncMark } from './SyncContext';

// A record's sync state where the record is shown: still queued for the hub, on the hub, or
// refused by it. Followed live: a sync round (`sync_changed`), a new command
// (`audit_appended`) or the shell's sync status moving on reads it again.

/** The sync state of each of `ids` (records of `entityType`), by id; empty until read. */
export function useRecordsSyncState(
  entityType: string,
  ids: readonly string[],
): Map<string, RecordSyncView> {
  const client = useClient();
  const [states, setStates] = useState<Map<string, RecordSyncView>>(new Map());
  const key = ids.join(',');
  const syncMark = useSyncMark();

  useEffect(() => {
    let current = true;
    // Reads overlap when events come quickly; only the newest one's answer is shown, so a
    // slow answer read before a sync round cannot overwrite the one read after it.
    let newest = 0;
    const entityIds = key === '' ? [] : key.split(',');
    const load = () => {
      if (entityIds.length === 0) {
        setStates(new Map());
        return;
      }
      const read = ++newest;
      client.run('records_sync_state', { entity_type: entityType, entity_ids: entityIds }).then(
        (entries) => {
          if (current && read === newest) {
            setStates(new Map(entries.map((e) => [e.entity_id, e.state])));
          }
        },
        () => {
          // A record's sync mark is extra: the record itself is shown either way.
        },
      );
    };
    load();
    const unsubscribe = client.subscribe((event) => {
      if (event.type === 'sync_changed' || event.type === 'audit_appended') load();
    });
    return () => {
      current = false;
      unsubscribe();
    };
    // `syncMark`: read again when the status bar's sync status moves on.
  }, [client, entityType, key, syncMark]);

  return states;
}

const WORDS: Record<RecordSyncView, { text: string; title: string } | null> = {
  // Stand-alone: there is no hub to be in step with.
  local_only: null,
  queued: {
    text: 'Waiting for the hub',
    title: 'Changed here; the hub has not decided it yet. Work goes on meanwhile.',
  },
  applied: { text: 'On the hub', title: 'Every change made here has reached the hub.' },
  rejected: {
    text: 'Refused by the hub',
    title: 'The hub refused a change of this record: see Sync issues for what to do.',
  },
};

/** The record's sync state in a few words, beside its heading. */
export function RecordSyncBadge({ entityType, id }: { entityType: string; id: string }) {
  return <SyncPill state={useRecordsSyncState(entityType, [id]).get(id)} />;
}

/** A sync state in a few words (nothing on a stand-alone workstation). */
export function SyncPill({
  state,
  testId = 'record-sync',
}: {
  state: RecordSyncView | undefined;
  testId?: string;
}) {
  const words = state ? WORDS[state] : null;
  if (!state || !words) return null;
  return (
    <span
      className={`pill sync-pill sync-pill-${state}`}
      data-testid={testId}
      data-state={state}
      title={words.title}
    >
      {words.text}
    </span>
  );
}
