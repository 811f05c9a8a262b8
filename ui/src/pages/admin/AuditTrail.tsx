import { useState, type FormEvent } from 'react';
import type { AuditEntryView, AuditVerification, ChainBreak, ListAuditArgs } from '../../api/types';
import { ErrorAlert, Field, PageHeading } from '../../components/forms';
import { Pager } from '../../components/Pager';
import { errorMessage } from '../../lib/errors';
import { actionFromWords, actionWords } from '../../lib/auditWords';
import { formatJson, instantOf } from '../../lib/format';
import { count } from '../../lib/words';
import { useAsyncData } from '../../lib/useAsyncData';
import { useClient, useSession } from '../../session';
import './admin.css';

const PER_PAGE = 50;

/** What the auditor narrows the trail to; empty means any. Dates are the lab's days. */
type Filter = { action: string; actor: string; entity: string; from: string; to: string };

const NO_FILTER: Filter = { action: '', actor: '', entity: '', from: '', to: '' };

/** Actions an auditor most often looks for; any other recorded action can be typed. */
const COMMON_ACTIONS = [
  'login_succeeded',
  'login_failed',
  'permission_denied',
  'password_change_refused',
  'audit_chain_alarm',
  'logout',
  'session_revoked',
  'create_user',
  'change_role',
  'deactivate_user',
  'change_settings',
  'register_participant',
  'record_consent',
  'register_kit',
  'transition_sample',
  'place_samples',
  'request_discard',
  'decide_discard',
  'queue_print',
  'print_job_cancelled',
];

/**
 * The filter as the core takes it: the action's name (typed as its words or its name), the
 * lab's midnights as instants, the end day included.
 */
function filterArgs(f: Filter, timeZone: string): Partial<ListAuditArgs> {
  const day = (d: string, plus = 0) => {
    const [y, m, dd] = d.split('-').map(Number);
    const next = new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, (dd ?? 1) + plus));
    return instantOf(next.toISOString().slice(0, 10), timeZone)?.toISOString() ?? '';
  };
  return {
    ...(f.action.trim() ? { action: actionFromWords(f.action) } : {}),
    ...(f.actor.trim() ? { actor_name: f.actor.trim() } : {}),
    ...(f.entity.trim() ? { entity_id: f.entity.trim() } : {}),
    ...(f.from ? { from: day(f.from) } : {}),
    ...(f.to ? { until: day(f.to, 1) } : {}),
  };
}

export function AuditTrail() {
  const client = useClient();
  const { formatTime, auditGeneration, timeZone } = useSession();
  const [page, setPage] = useState(1);
  const [draft, setDraft] = useState<Filter>(NO_FILTER);
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  const [verification, setVerification] = useState<AuditVerification | null>(null);
  const [verifyError, setVerifyError] = useState<string | null>(null);
  const [verifying, setVerifying] = useState(false);

  // Newest first; new entries (announced by core events) refresh the first page only, so a
  // page someone is reading does not shift under them.
  const refreshKey = page === 1 ? auditGeneration : 0;
  const audit = useAsyncData(
    () =>
      client.listAudit({
        page,
        per_page: PER_PAGE,
        order: 'desc',
        ...filterArgs(filter, timeZone),
      }),
    [client, page, refreshKey, filter, timeZone],
  );

  function apply(next: Filter) {
    setDraft(next);
    setFilter(next);
    setPage(1);
  }

  function submitFilter(e: FormEvent) {
    e.preventDefault();
    apply(draft);
  }

  const filtered = JSON.stringify(filter) !== JSON.stringify(NO_FILTER);

  async function verify() {
    setVerifying(true);
    setVerifyError(null);
    setVerification(null);
    try {
      setVerification(await client.verifyAudit());
    } catch (err: unknown) {
      setVerifyError(errorMessage(err));
    } finally {
      setVerifying(false);
    }
  }

  const data = audit.data;

  return (
    <section>
      <PageHeading>Audit trail</PageHeading>
      <p className="lead">
        Every change on this workstation, newest first. Entries are chained, so any later edit to
        the record can be detected.
      </p>

      <div className="toolbar">
        <button
          type="button"
          className="button button-primary"
          onClick={verify}
          disabled={verifying}
          data-testid="verify-chain"
        >
          {verifying ? 'Verifying…' : 'Verify chain'}
        </button>
        <div role="status" className="verify-result" data-testid="verify-result">
          {verification && <VerificationResult result={verification} />}
        </div>
      </div>
      <ErrorAlert message={verifyError ?? audit.error} />

      <form className="audit-filters" onSubmit={submitFilter} data-testid="audit-filters">
        <Field
          id="audit-action"
          label="Action"
          value={draft.action}
          onChange={(action) => setDraft({ ...draft, action })}
          list="audit-actions"
          placeholder="any"
        />
        <datalist id="audit-actions">
          {COMMON_ACTIONS.map((a) => (
            <option key={a} value={actionWords(a)} />
          ))}
        </datalist>
        <Field
          id="audit-actor"
          label="Who (username)"
          value={draft.actor}
          onChange={(actor) => setDraft({ ...draft, actor })}
          placeholder="anyone"
        />
        <Field
          id="audit-entity"
          label="Record id"
          value={draft.entity}
          onChange={(entity) => setDraft({ ...draft, entity })}
          placeholder="any"
        />
        <Field
          id="audit-from"
          label="From"
          type="date"
          value={draft.from}
          onChange={(from) => setDraft({ ...draft, from })}
        />
        <Field
          id="audit-to"
          label="To (inclusive)"
          type="date"
          value={draft.to}
          onChange={(to) => setDraft({ ...draft, to })}
        />
        <div className="form-actions">
          <button type="submit" className="button button-primary">
            Apply
          </button>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => apply(NO_FILTER)}
            disabled={!filtered && JSON.stringify(draft) === JSON.stringify(NO_FILTER)}
          >
            Clear
          </button>
        </div>
      </form>

      <div className="table-wrap">
        <table
          className="data-table audit-table"
          data-testid="audit-table"
          aria-busy={audit.loading}
        >
          <caption className="visually-hidden">Audit entries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Record</th>
              <th scope="col">Change</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {data?.items.map((entry) => (
              <AuditRow
                key={entry.seq}
                entry={entry}
                formatTime={formatTime}
                onEntity={(entity) => apply({ ...NO_FILTER, entity })}
              />
            ))}
            {data && data.items.length === 0 && (
              <tr>
                <td colSpan={7} className="empty">
                  {filtered ? 'No entry matches the filter.' : 'No audit entries yet.'}
                </td>
              </tr>
            )}
            {!data && audit.loading && (
              <tr>
                <td colSpan={7} className="empty">
                  Loading…
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {data && (
        <Pager
          label="Audit pages"
          page={data.page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={audit.loading}
        />
      )}
    </section>
  );
}

function describeBreak(b: ChainBreak): string {
  switch (b.problem) {
    case 'hash_mismatch':
      return `entry #${b.seq} was altered`;
    case 'broken_link':
      return `entry #${b.seq} does not follow the entry before it`;
    case 'gap':
      return `entry #${b.expected_seq} is missing (found #${b.found_seq})`;
  }
}

function VerificationResult({ result }: { result: AuditVerification }) {
  const checked = `${count(result.entries_checked, 'entry', 'entries')} checked`;
  if (result.intact) {
    return <span className="pill pill-ok pill-large">Chain intact · {checked}</span>;
  }
  const problem = result.first_break
    ? describeBreak(result.first_break)
    : result.anchor_problems.length > 0
      ? result.anchor_problems.join('; ')
      : 'unknown problem';
  return (
    <span className="pill pill-danger pill-large">
      Chain broken: {problem} · {checked}
    </span>
  );
}

function AuditRow({
  entry,
  formatTime,
  onEntity,
}: {
  entry: AuditEntryView;
  formatTime: (iso: string) => string;
  /** Narrows the trail to this entry's record. */
  onEntity: (entityId: string) => void;
}) {
  const hasChange = entry.old_value !== null || entry.new_value !== null;
  return (
    <tr>
      <td className="numeric">{entry.seq}</td>
      <td className="when">{formatTime(entry.at)}</td>
      <td>{entry.actor_name}</td>
      <td data-action={entry.action} title={`Recorded as ${entry.action}`}>
        {actionWords(entry.action)}
      </td>
      <td>
        <span className="entity-type">{entry.entity_type.replace(/_/g, ' ')}</span>{' '}
        <button
          type="button"
          className="button-link entity-id"
          title={`Show everything about ${entry.entity_id}`}
          onClick={() => onEntity(entry.entity_id)}
        >
          {entry.entity_id}
        </button>
      </td>
      <td>
        {hasChange ? (
          <details className="change">
            <summary>Show</summary>
            <div className="change-values">
              <div>
                <span className="change-label">Before</span>
                <pre>{formatJson(entry.old_value)}</pre>
              </div>
              <div>
                <span className="change-label">After</span>
                <pre>{formatJson(entry.new_value)}</pre>
              </div>
            </div>
          </details>
        ) : (
          '—'
        )}
      </td>
      <td>{entry.reason ?? '—'}</td>
    </tr>
  );
}
