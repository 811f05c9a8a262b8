import { PageHeading, StatusMessage } from '../components/forms';
import { count } from '../lib/words';
import { useSession } from '../session';
import { ConnectHubForm } from './ConnectHubForm';
import { DisconnectHubForm } from './DisconnectHubForm';
import { useSync } from './SyncContext';
import { syncShown } from './syncWords';
import { useState } from 'react';

/** The administrator's view of this workstation's link to the lab hub: connect, or its state. */
export function HubPage() {
  const { status, syncing, syncNow, reload } = useSync();
  const { formatTime } = useSession();
  const [notice, setNotice] = useState<string | null>(null);
  const when = (iso: string | null) => (iso ? formatTime(iso) : 'never');

  return (
    <section data-testid="hub-page">
      <PageHeading>Lab hub</PageHeading>
      <StatusMessage message={notice} testId="hub-notice" />
      {status === null && <p className="loading">Reading the sync state…</p>}
      {status !== null && !status.connected && (
        <>
          <p className="lead">
            This workstation works stand-alone. Connected to the lab’s hub, it shares one lab with
            every other workstation: its changes go to the hub, and the hub’s come here. It keeps
            working when the network is gone and catches up when it is back.
          </p>
          <div className="card">
            <ConnectHubForm
              onConnected={(connected) => {
                setNotice(
                  `Connected to the hub as “${connected.device_name ?? 'this workstation'}”.`,
                );
                reload();
              }}
            />
          </div>
        </>
      )}
      {status !== null && status.connected && (
        <div className="card">
          <p data-testid="hub-state">{syncShown(status, formatTime).text}</p>
          <dl className="facts" data-testid="hub-facts">
            <dt>Hub address</dt>
            <dd>{status.hub_url}</dd>
            <dt>This workstation</dt>
            <dd data-testid="hub-device-name">{status.device_name}</dd>
            <dt>Waiting to be sent</dt>
            <dd>{count(status.counts.pending, 'change')}</dd>
            <dt>Applied by the hub</dt>
            <dd>{count(status.counts.applied, 'change')}</dd>
            <dt>Refused or held</dt>
            <dd>{count(status.counts.rejected + status.counts.held, 'change')}</dd>
            <dt>Last sent</dt>
            <dd>{when(status.last_push_at)}</dd>
            <dt>Last received</dt>
            <dd>{when(status.last_pull_at)}</dd>
            <dt>Hub’s changes received</dt>
            <dd>up to number {status.cursor}</dd>
            {status.last_error && (
              <>
                <dt>Last error</dt>
                <dd data-testid="hub-last-error">{status.last_error}</dd>
              </>
            )}
          </dl>
          {status.diverged.length > 0 && (
            <div role="alert" className="alert alert-error" data-testid="hub-diverged">
              The last check found this workstation’s copy of {status.diverged.join(', ')} apart
              from the hub’s. Those tables were copied again from the hub; nothing made here was
              lost (it waits in the queue or was decided by the hub).
            </div>
          )}
          <div className="form-actions">
            <button
              type="button"
              className="button button-primary"
              disabled={syncing}
              onClick={() => void syncNow()}
            >
              {syncing ? 'Syncing…' : 'Sync now'}
            </button>
          </div>
          {/* Everyone here is signed out: the app starts over at the screen that says so. */}
          <DisconnectHubForm status={status} onLeft={() => window.location.reload()} />
        </div>
      )}
    </section>
  );
}
