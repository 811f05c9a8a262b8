import { useState } from 'react';
import type { AuditEntryView, AuditVerification, ChainBreak } from '../api/types';
import { ErrorAlert, PageHeading } from '../components/forms';
import { Pager } from '../components/Pager';
import { errorMessage } from '../lib/errors';
import { formatJson } from '../lib/format';
import { useAsyncData } from '../lib/useAsyncData';
import { useClient, useSession } from '../session';

const PER_PAGE = 50;

export function AuditTrail() {
  const client = useClient();
  const { formatTime, auditGeneration } = useSession();
  const [page, setPage] = useState(1);
  const [verification, setVerification] = useState<AuditVerification | null>(null);
  const [verifyError, setVerifyError] = useState<string | null>(null);
  const [verifying, setVerifying] = useState(false);

  // Newest first; new entries (announced by core events) refresh the first page only, so a
  // page someone is reading does not shift under them.
  const refreshKey = page === 1 ? auditGeneration : 0;
  const audit = useAsyncData(
    () => client.listAudit({ page, per_page: PER_PAGE, order: 'desc' }),
    [client, page, refreshKey],
  );

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
              <AuditRow key={entry.seq} entry={entry} formatTime={formatTime} />
            ))}
            {data && data.items.length === 0 && (
              <tr>
                <td colSpan={7} className="empty">
                  No audit entries yet.
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
  const checked = `${result.entries_checked} ${result.entries_checked === 1 ? 'entry' : 'entries'} checked`;
  if (result.intact) {
    return <span className="pill pill-ok pill-large">Chain intact · {checked}</span>;
  }
  const problem = result.first_break ? describeBreak(result.first_break) : 'unknown problem';
  return (
    <span className="pill pill-danger pill-large">
      Chain broken: {problem} · {checked}
    </span>
  );
}

function AuditRow({
  entry,
  formatTime,
}: {
  entry: AuditEntryView;
  formatTime: (iso: string) => string;
}) {
  const hasChange = entry.old_value !== null || entry.new_value !== null;
  return (
    <tr>
      <td className="numeric">{entry.seq}</td>
      <td className="when">{formatTime(entry.at)}</td>
      <td>{entry.actor_name}</td>
      <td>
        <code>{entry.action}</code>
      </td>
      <td>
        <span className="entity-type">{entry.entity_type}</span>{' '}
        <span className="entity-id" title={entry.entity_id}>
          {entry.entity_id}
        </span>
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
