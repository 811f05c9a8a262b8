import { useEffect, useState, type FormEvent } from 'react';
import type { DiscardRequestRecord, DiscardRequestState } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import {
  ErrorAlert,
  Field,
  PageHeading,
  SelectField,
  StatusMessage,
  SubmitButton,
} from '../../components/forms';
import { Pager } from '../../components/Pager';
import { whoCan } from '../../lib/roles';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { useClient, useSession } from '../../session';
import './samples.css';

const PER_PAGE = 25;

type Decision = { request: DiscardRequestRecord; approve: boolean };

/**
 * Discard requests: lab managers approve or reject pending ones (not their own); the
 * people who asked see theirs and what became of them.
 */
export function DiscardRequests() {
  const client = useClient();
  const { formatTime, can } = useSession();
  const decides = can('decide_discard');
  const asks = can('request_discard');
  const [state, setState] = useState<DiscardRequestState | ''>('pending');
  const [code, setCode] = useState('');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [decision, setDecision] = useState<Decision | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const requests = useAsyncData(
    () =>
      client.run('list_discard_requests', {
        page,
        per_page: PER_PAGE,
        ...(state ? { state } : {}),
        ...(search ? { sample_code: search } : {}),
      }),
    [client, page, state, search],
  );

  useEffect(
    () =>
      client.subscribe((e) => {
        if (e.type === 'notifications_changed') requests.reload();
      }),
    [client, requests.reload],
  );

  function find(e: FormEvent) {
    e.preventDefault();
    setPage(1);
    setSearch(code.trim());
  }

  const data = requests.data;
  return (
    <section>
      <PageHeading>Discard requests</PageHeading>
      <p className="lead">
        {decides
          ? 'Approve or reject what technicians asked to discard. A tube is disposed only when a lab manager other than the requester approves.'
          : asks
            ? 'Your requests to discard tubes, and what the lab manager decided.'
            : `Requests to discard tubes and what became of them. Asking is for ${whoCan('request_discard')}; deciding is for ${whoCan('decide_discard')}.`}
      </p>
      <StatusMessage message={notice} testId="discards-notice" />
      <form className="discard-filters" onSubmit={find}>
        <SelectField
          id="discard-state"
          label="Show"
          value={state}
          onChange={(v) => {
            setState(v);
            setPage(1);
          }}
          options={[
            { value: 'pending', label: 'Waiting for a decision' },
            { value: 'approved', label: 'Approved' },
            { value: 'rejected', label: 'Rejected' },
            { value: '', label: 'All' },
          ]}
        />
        <Field id="discard-code" label="Sample code starts with" value={code} onChange={setCode} />
        <div className="field">
          <SubmitButton busy={false} busyLabel="">
            Find
          </SubmitButton>
        </div>
      </form>
      <ErrorAlert message={requests.error} />
      {data && data.items.length === 0 && (
        <p className="empty-state">
          {state === 'pending'
            ? decides
              ? 'No request is waiting for a decision. Technicians ask from a sample’s page.'
              : asks
                ? 'You have no request waiting. To ask for a tube to be discarded, scan it and choose Request discard on its page.'
                : 'No request is waiting for a decision.'
            : search
              ? `No request for a sample code starting with ${search}. Check the code, or choose All.`
              : 'No request here yet. Choose another state to see the others.'}
        </p>
      )}
      {data && data.items.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="data-table" data-testid="discard-requests">
              <caption className="visually-hidden">Discard requests</caption>
              <thead>
                <tr>
                  <th scope="col">Sample</th>
                  <th scope="col">Asked by</th>
                  <th scope="col">Reason</th>
                  <th scope="col">State</th>
                  {decides && <th scope="col">Decision</th>}
                </tr>
              </thead>
              <tbody>
                {data.items.map((r) => (
                  <tr key={r.id} data-sample={r.sample_code}>
                    <td>
                      <a href={`#/sample/${r.sample_id}`}>{r.sample_code}</a>
                    </td>
                    <td>
                      {r.requested_by}
                      <br />
                      <span className="muted">{formatTime(r.requested_at)}</span>
                    </td>
                    <td>{r.reason}</td>
                    <td data-testid="discard-state">
                      <strong>{stateLabel(r.state)}</strong>
                      {r.decided_by && (
                        <span className="muted">
                          {' '}
                          by {r.decided_by}
                          {r.decision_note ? `: “${r.decision_note}”` : ''}
                        </span>
                      )}
                    </td>
                    {decides && (
                      <td>
                        {r.state === 'pending' && (
                          <div className="form-actions">
                            <button
                              type="button"
                              className="button button-danger"
                              onClick={() => setDecision({ request: r, approve: true })}
                            >
                              Approve
                            </button>
                            <button
                              type="button"
                              className="button button-secondary"
                              onClick={() => setDecision({ request: r, approve: false })}
                            >
                              Reject
                            </button>
                          </div>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Discard request pages"
            page={data.page}
            totalPages={data.total_pages}
            total={data.total}
            onPage={setPage}
            disabled={requests.loading}
          />
        </>
      )}
      {decision && (
        <DecideDialog
          decision={decision}
          onClose={() => setDecision(null)}
          onDone={(r) => {
            setDecision(null);
            setNotice(
              `${r.sample_code}: discard ${r.state}.${r.state === 'approved' ? ' The tube is disposed.' : ''}`,
            );
            requests.reload();
          }}
        />
      )}
    </section>
  );
}

function DecideDialog({
  decision,
  onClose,
  onDone,
}: {
  decision: Decision;
  onClose: () => void;
  onDone: (r: DiscardRequestRecord) => void;
}) {
  const client = useClient();
  const { request, approve } = decision;
  const [note, setNote] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    if (!note.trim())
      throw refuse(approve ? 'Add a note for the record.' : 'Say why the tube is kept.');
    return client.run('decide_discard', { request_id: request.id, approve, reason: note.trim() });
  }, onDone);
  return (
    <Dialog
      title={`${approve ? 'Approve' : 'Reject'} discarding ${request.sample_code}`}
      onClose={onClose}
    >
      <form onSubmit={submit} noValidate data-testid="decide-form">
        <p>
          {request.requested_by} asked: “{request.reason}”.{' '}
          {approve
            ? 'Approving disposes of the tube and frees its position. This cannot be undone.'
            : 'Rejecting keeps the tube as it is.'}
        </p>
        <Field id="decision-note" label="Note" value={note} onChange={setNote} autoFocus />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Saving…" variant={approve ? 'danger' : 'primary'}>
            {approve ? 'Approve and dispose' : 'Reject'}
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function stateLabel(state: string): string {
  if (state === 'pending') return 'Waiting';
  return state.charAt(0).toUpperCase() + state.slice(1);
}
