import { useEffect, useState } from 'react';
import type { RecordSyncView } from '../api/types';
import { useClient } from '../session';

// A record's sync state where the record is shown: still queued for the hub, on the hub, or
// refused by it. Followed live: a sync round (`sync_changed`) or a new command
// (`audit_appended`) reads it again.

/** The sync state of each of `ids` (records of `entityType`), by id; empty until read. */
export function useRecordsSyncState(
  entityType: string,
  ids: readonly string[],
): Map<string, RecordSyncView> {
  const client = useClient();
  const [states, setStates] = useState<Map<string, RecordSyncView>>(new Map());
  const key = ids.join(',');

  useEffect(() => {
    let current = true;
    const entityIds = key === '' ? [] : key.split(',');
    const load = () => {
      if (entityIds.length === 0) {
        setStates(new Map());
        return;
      }
      client.run('records_sync_state', { entity_type: entityType, entity_ids: entityIds }).then(
        (entries) => {
          if (current) setStates(new Map(entries.map((e) => [e.entity_id, e.state])));
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
  }, [client, entityType, key]);

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
