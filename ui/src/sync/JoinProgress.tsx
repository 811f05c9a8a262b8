import { useEffect, useState } from 'react';
import type { JoiningView } from '../api/types';
import { count } from '../lib/words';
import { useClient } from '../session';

/** How often the copy's progress is read. */
const POLL_MS = 700;

/** "about 2 min left" from what was copied so far and how fast. */
export function joinEstimate(view: JoiningView, nowMs: number): string | null {
  // The pace of this attempt alone: rows an earlier attempt copied took no time of it.
  const copiedNow = view.copied_rows - view.copied_before;
  if (view.total_rows === null || view.started_at === null || copiedNow <= 0) return null;
  const elapsed = (nowMs - Date.parse(view.started_at)) / 1000;
  if (!(elapsed > 0)) return null;
  const left = ((view.total_rows - view.copied_rows) * elapsed) / copiedNow;
  if (left < 1) return 'almost done';
  if (left < 90) return `about ${Math.ceil(left)} s left`;
  return `about ${Math.ceil(left / 60)} min left`;
}

/**
 * The copy of the lab from the hub, while a joining workstation makes it: a progress bar, the
 * rows copied and an estimate. Read from `setup_status` (no account exists yet); calls
 * `onDone` once the workstation holds the lab.
 */
export function JoinProgress({ onDone }: { onDone?: () => void }) {
  const client = useClient();
  const [view, setView] = useState<JoiningView | null>(null);

  useEffect(() => {
    let current = true;
    const read = () =>
      client.setupStatus().then(
        (s) => {
          if (!current) return;
          setView(s.joining);
          if (s.joining === null && !s.needs_first_admin) onDone?.();
        },
        () => {
          // The core is starting or busy: the next read tells.
        },
      );
    void read();
    const timer = window.setInterval(() => void read(), POLL_MS);
    return () => {
      current = false;
      window.clearInterval(timer);
    };
  }, [client, onDone]);

  if (view === null) return null;
  const total = view.total_rows;
  const estimate = joinEstimate(view, Date.now());
  return (
    <div className="join-progress" data-testid="join-progress" role="status">
      <p>
        Copying the lab from the hub at {view.hub_url} as “{view.device_name}”.
        {view.started_at === null && ' Waiting for the hub…'}
      </p>
      <progress
        max={total ?? undefined}
        value={total !== null ? Math.min(view.copied_rows, total) : undefined}
        aria-label="Lab copied"
      />
      <p className="hint" data-testid="join-progress-text">
        {total !== null
          ? `${count(view.copied_rows, 'row')} of ${total} copied${estimate ? ` · ${estimate}` : ''}`
          : view.started_at !== null
            ? 'Starting the copy…'
            : 'The copy goes on where it stopped when the hub answers; nothing needs to be done here.'}
      </p>
    </div>
  );
}
