import { useEffect, useState } from 'react';
import { ErrorAlert, PageHeading } from '../components/forms';
import { Pager } from '../components/Pager';
import { useAsyncData } from '../lib/useAsyncData';
import { useClient, useSession } from '../session';
import { useSync } from './SyncContext';
import { issueAdvice, issueState, issueWhat } from './syncWords';

const PER_PAGE = 25;

/** Every change of this workstation the hub refused or held, or that likely conflicts. */
export function SyncIssues() {
  const client = useClient();
  const { formatTime } = useSession();
  const { status } = useSync();
  const [page, setPage] = useState(1);
  const issues = useAsyncData(
    () => client.run('list_sync_issues', { page: { page, per_page: PER_PAGE } }),
    [client, page],
  );
  // A round that decided something changes the counts: read the list again.
  const counts = status?.counts;
  const { reload } = issues;
  useEffect(() => reload(), [counts?.rejected, counts?.held, counts?.likely_conflicts, reload]);
  const data = issues.data;

  return (
    <section data-testid="sync-issues">
      <PageHeading>Sync issues</PageHeading>
      <p className="lead">
        Changes made on this workstation that the hub refused, held for review, or that no longer
        fit what the hub holds. Nothing here was lost: each says what was tried, what the hub
        decided and what to do.
      </p>
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
              <caption className="visually-hidden">Sync issues</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What was tried</th>
                  <th scope="col">State</th>
                  <th scope="col">What the hub said</th>
                  <th scope="col">What to do</th>
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
    </section>
  );
}
