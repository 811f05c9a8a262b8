import { useEffect, useState } from 'react';
import type { SyncIssueResolution } from '../api/types';
import { Dialog } from '../components/Dialog';
import { ErrorAlert, Field, PageHeading, StatusMessage, SubmitButton } from '../components/forms';
import { Pager } from '../components/Pager';
import { useAsyncData } from '../lib/useAsyncData';
import { refuse, useSubmit } from '../lib/useSubmit';
import { useClient, useSession } from '../session';
import { useSync } from './SyncContext';
import { issueAdvice, issueState, issueWhat } from './syncWords';

const PER_PAGE = 25;

/** A refusal to settle: which command, and in words what it was. */
type Settling = { commandId: string; what: string };

/**
 * Every change of this workstation the hub refused or held, or that likely conflicts; and,
 * for lab managers, every workstation's refusals (records of the lab, pulled from the hub).
 * A refusal is settled by a command: done again, or set aside, with a reason.
 */
export function SyncIssues() {
  const { user } = useSession();
  const [notice, setNotice] = useState<string | null>(null);
  const [settling, setSettling] = useState<Settling | null>(null);
  const [generation, setGeneration] = useState(0);
  const manager = user.role === 'lab_manager';

  return (
    <section data-testid="sync-issues">
      <PageHeading>Sync issues</PageHeading>
      <p className="lead">
        Changes the hub refused, held for review, or that no longer fit what the hub holds. Nothing
        here was lost: each says what was tried, what the hub decided and what to do. Once it is put
        right, settle it with a word on what was done.
      </p>
      <StatusMessage message={notice} testId="sync-issues-notice" />
      <ThisWorkstation generation={generation} onSettle={setSettling} />
      {manager && <EveryWorkstation generation={generation} onSettle={setSettling} />}
      {settling && (
        <SettleDialog
          settling={settling}
          onClose={() => setSettling(null)}
          onDone={(how) => {
            setNotice(
              how === 'redone'
                ? `Settled: ${settling.what.toLowerCase()} was done again.`
                : `Settled: ${settling.what.toLowerCase()} was set aside.`,
            );
            setSettling(null);
            setGeneration((g) => g + 1);
          }}
        />
      )}
    </section>
  );
}

function ThisWorkstation({
  generation,
  onSettle,
}: {
  generation: number;
  onSettle: (s: Settling) => void;
}) {
  const client = useClient();
  const { formatTime } = useSession();
  const { status } = useSync();
  const [page, setPage] = useState(1);
  const issues = useAsyncData(
    () => client.run('list_sync_issues', { page, per_page: PER_PAGE }),
    [client, page, generation],
  );
  // A round that decided something changes the counts: read the list again.
  const counts = status?.counts;
  const { reload } = issues;
  useEffect(() => reload(), [counts?.rejected, counts?.held, counts?.likely_conflicts, reload]);
  const data = issues.data;

  return (
    <>
      <h2>On this workstation</h2>
      <ErrorAlert message={issues.error} />
      {data && data.items.length === 0 && (
        <p className="empty-state" data-testid="sync-issues-empty">
          No sync issues: every change made here reached the hub or waits to be sent.
        </p>
      )}
      {data && data.items.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="data-table" data-testid="sync-issues-table">
              <caption className="visually-hidden">Sync issues on this workstation</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What was tried</th>
                  <th scope="col">State</th>
                  <th scope="col">What the hub said</th>
                  <th scope="col">What to do</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((issue) => (
                  <tr
                    key={issue.seq}
                    data-reason={issue.reason_code ?? ''}
                    data-status={issue.status}
                  >
                    <td>{formatTime(issue.recorded_at)}</td>
                    <td>{issue.actor_name}</td>
                    <td>{issueWhat(issue)}</td>
                    <td>{issueState(issue)}</td>
                    <td data-testid="sync-issue-message">{issue.message}</td>
                    <td>{issueAdvice(issue)}</td>
                    <td>
                      {issue.status === 'rejected' && (
                        <button
                          type="button"
                          className="button button-small button-secondary"
                          onClick={() =>
                            onSettle({ commandId: issue.command_id, what: issueWhat(issue) })
                          }
                        >
                          Settle…<span className="visually-hidden"> {issueWhat(issue)}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Sync issues pages"
            page={data.page}
            totalPages={data.total_pages}
            total={data.total}
            onPage={setPage}
            disabled={issues.loading}
          />
        </>
      )}
    </>
  );
}

/** Lab managers: every workstation's refusals, open ones or all. */
function EveryWorkstation({
  generation,
  onSettle,
}: {
  generation: number;
  onSettle: (s: Settling) => void;
}) {
  const client = useClient();
  const { formatTime } = useSession();
  const { status } = useSync();
  const [page, setPage] = useState(1);
  const [openOnly, setOpenOnly] = useState(true);
  const issues = useAsyncData(
    () =>
      client.run('list_lab_sync_issues', {
        open_only: openOnly,
        page,
        per_page: PER_PAGE,
      }),
    [client, page, openOnly, generation],
  );
  // Refusals of other workstations arrive with a pull.
  const { reload } = issues;
  useEffect(() => reload(), [status?.cursor, reload]);
  const data = issues.data;

  return (
    <>
      <h2>Every workstation of the lab</h2>
      <div className="field field-checkbox">
        <label>
          <input
            type="checkbox"
            checked={!openOnly}
            onChange={(e) => {
              setOpenOnly(!e.target.checked);
              setPage(1);
            }}
          />
          Show settled ones too
        </label>
      </div>
      <ErrorAlert message={issues.error} />
      {data && data.items.length === 0 && (
        <p className="empty-state">
          {openOnly
            ? 'No workstation has a refusal waiting to be settled.'
            : 'The hub has refused nothing yet.'}
        </p>
      )}
      {data && data.items.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="data-table" data-testid="lab-sync-issues-table">
              <caption className="visually-hidden">Refusals on every workstation</caption>
              <thead>
                <tr>
                  <th scope="col">Refused</th>
                  <th scope="col">Workstation</th>
                  <th scope="col">Who</th>
                  <th scope="col">What was tried</th>
                  <th scope="col">What the hub said</th>
                  <th scope="col">Settled</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((issue) => {
                  const what = issueWhat(issue);
                  return (
                    <tr
                      key={issue.command_id}
                      data-reason={issue.reason_code}
                      data-device={issue.device_name}
                    >
                      <td>{formatTime(issue.decided_at)}</td>
                      <td>{issue.device_name}</td>
                      <td>{issue.actor_name}</td>
                      <td>{what}</td>
                      <td>{issue.message}</td>
                      <td>
                        {issue.resolution ? (
                          <span data-testid="lab-sync-issue-settled">
                            {issue.resolution === 'redone' ? 'Done again' : 'Set aside'} by{' '}
                            {issue.resolved_by_name ?? 'someone'}
                            {issue.resolved_at ? `, ${formatTime(issue.resolved_at)}` : ''}:{' '}
                            {issue.resolution_reason}
                          </span>
                        ) : (
                          <button
                            type="button"
                            className="button button-small button-secondary"
                            onClick={() => onSettle({ commandId: issue.command_id, what })}
                          >
                            Settle…
                            <span className="visually-hidden">
                              {' '}
                              {what} on {issue.device_name}
                            </span>
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <Pager
            label="Refusals on every workstation, pages"
            page={data.page}
            totalPages={data.total_pages}
            total={data.total}
            onPage={setPage}
            disabled={issues.loading}
          />
        </>
      )}
    </>
  );
}

function SettleDialog({
  settling,
  onClose,
  onDone,
}: {
  settling: Settling;
  onClose: () => void;
  onDone: (how: SyncIssueResolution) => void;
}) {
  const client = useClient();
  const [how, setHow] = useState<SyncIssueResolution | null>(null);
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    if (how === null) throw refuse('Choose whether it was done again or is set aside.');
    await client.run('resolve_sync_issue', {
      command_id: settling.commandId,
      resolution: how,
      reason,
    });
    return how;
  }, onDone);
  return (
    <Dialog title={`Settle: ${settling.what}`} onClose={onClose} testId="settle-dialog">
      <p>
        Settling records what became of the refused change, with your reason, in the audit trail;
        every workstation of the lab sees it.
      </p>
      <form onSubmit={submit}>
        <fieldset className="field">
          <legend>What became of it</legend>
          <label>
            <input
              type="radio"
              name="settle-how"
              checked={how === 'redone'}
              onChange={() => setHow('redone')}
            />
            Done again (e.g. the tube scanned into a free well)
          </label>
          <label>
            <input
              type="radio"
              name="settle-how"
              checked={how === 'dismissed'}
              onChange={() => setHow('dismissed')}
            />
            Set aside: nothing more to do
          </label>
        </fieldset>
        <Field id="settle-reason" label="Reason" value={reason} onChange={setReason} />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
          <SubmitButton busy={busy} busyLabel="Settling…">
            Settle
          </SubmitButton>
        </div>
      </form>
    </Dialog>
  );
}
