import { useState } from 'react';
import type { OpenSession } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import {
  ErrorAlert,
  Field,
  PageHeading,
  StatusMessage,
  SubmitButton,
} from '../../components/forms';
import { Pager } from '../../components/Pager';
import { roleLabel } from '../../lib/roles';
import { useAsyncData } from '../../lib/useAsyncData';
import { useSubmit } from '../../lib/useSubmit';
import { useClient, useSession } from '../../session';

const PER_PAGE = 25;

/** Who is signed in on this workstation, and ending a session left open. */
export function Sessions() {
  const client = useClient();
  const { user: me, formatTime } = useSession();
  const [page, setPage] = useState(1);
  const [ending, setEnding] = useState<OpenSession | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const sessions = useAsyncData(
    () => client.run('list_sessions', { page, per_page: PER_PAGE }),
    [client, page],
  );
  const data = sessions.data;

  return (
    <section>
      <PageHeading>Sessions</PageHeading>
      <p className="lead">
        Everyone signed in on this workstation, most recently active first. A session ends by itself
        after 30 minutes without use or 12 hours after sign-in; end one now if a bench was left
        signed in or a badge was lost.
      </p>
      <StatusMessage message={notice} testId="sessions-notice" />
      <ErrorAlert message={sessions.error} />
      {data && data.items.length === 0 && <p className="empty-state">Nobody is signed in.</p>}
      {data && data.items.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="data-table" data-testid="sessions-table">
              <caption className="visually-hidden">Open sessions</caption>
              <thead>
                <tr>
                  <th scope="col">Who</th>
                  <th scope="col">Role</th>
                  <th scope="col">Signed in</th>
                  <th scope="col">Last active</th>
                  <th scope="col">Ends at the latest</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((s) => (
                  <tr key={s.id} data-username={s.username}>
                    <td>
                      {s.display_name} <span className="muted">({s.username})</span>
                      {s.user_id === me.id && <span className="pill pill-ok"> This is you</span>}
                    </td>
                    <td>{roleLabel(s.role)}</td>
                    <td>{formatTime(s.created_at)}</td>
                    <td>{formatTime(s.last_seen_at)}</td>
                    <td>{formatTime(s.expires_at)}</td>
                    <td>
                      <button
                        type="button"
                        className="button button-small button-danger-outline"
                        onClick={() => setEnding(s)}
                      >
                        End session<span className="visually-hidden"> of {s.username}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Session pages"
            page={data.page}
            totalPages={data.total_pages}
            total={data.total}
            onPage={setPage}
            disabled={sessions.loading}
          />
        </>
      )}
      {ending && (
        <EndDialog
          session={ending}
          own={ending.user_id === me.id}
          onClose={() => setEnding(null)}
          onDone={() => {
            setNotice(`The session of ${ending.username} has ended.`);
            setEnding(null);
            sessions.reload();
          }}
        />
      )}
    </section>
  );
}

function EndDialog({
  session,
  own,
  onClose,
  onDone,
}: {
  session: OpenSession;
  own: boolean;
  onClose: () => void;
  onDone: () => void;
}) {
  const client = useClient();
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(
    () => client.run('revoke_session', { session_id: session.id, reason }),
    onDone,
  );
  return (
    <Dialog title={`End the session of ${session.display_name}?`} onClose={onClose}>
      <p>
        {own
          ? 'This may be the session you are using now; ending it signs you out.'
          : `${session.username} will have to sign in again. Nothing they saved is lost.`}{' '}
        The reason is recorded in the audit trail.
      </p>
      <form onSubmit={submit} data-testid="end-session-form">
        <Field id="end-reason" label="Reason" value={reason} onChange={setReason} autoFocus />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Ending…" variant="danger">
            End session
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
