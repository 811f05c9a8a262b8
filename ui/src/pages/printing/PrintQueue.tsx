import { useState } from 'react';
import type { Page, PrintJobRecord } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ReasonDialog } from '../../components/ReasonDialog';
import { ErrorAlert, Field, StatusMessage, SubmitButton } from '../../components/forms';
import { Pager } from '../../components/Pager';
import type { AsyncData } from '../../lib/useAsyncData';
import { errorMessage } from '../../lib/errors';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { useClient, useSession } from '../../session';
import { describeTemplate, isInDoubt, jobState } from './printingText';

const PILL: Record<string, string> = {
  ok: 'pill pill-ok',
  busy: 'pill pill-busy',
  warn: 'pill pill-warn',
  error: 'pill pill-danger',
  idle: 'pill pill-muted',
};

/** What a job printed: "Test label · test print on Desk Zebra · 3 labels × 2". */
function JobWhat({ job }: { job: PrintJobRecord }) {
  const count = job.records.length;
  return (
    <>
      <span className="job-template">{describeTemplate(job.template)}</span>
      <span className="job-subject">{job.subject}</span>
      <span className="muted job-count">
        {count > 0 && `${count} ${count === 1 ? 'label' : 'labels'}`}
        {count > 0 && job.copies > 1 && ' · '}
        {job.copies > 1 && `${job.copies} copies each`}
      </span>
      {job.reprint_of && (
        <span className="job-reprint" data-testid="job-reprint-reason">
          Reprint: {job.reason ?? 'no reason recorded'}
        </span>
      )}
    </>
  );
}

export function PrintQueue({
  queue,
  onPage,
  canReprint,
  highlight,
}: {
  queue: AsyncData<Page<PrintJobRecord>>;
  onPage: (page: number) => void;
  canReprint: boolean;
  /** A job to mark (the last test print). */
  highlight: string | null;
}) {
  const { formatTime } = useSession();
  const client = useClient();
  const [reprinting, setReprinting] = useState<PrintJobRecord | null>(null);
  const [cancelling, setCancelling] = useState<PrintJobRecord | null>(null);
  const [printingAgain, setPrintingAgain] = useState<PrintJobRecord | null>(null);
  const [retryError, setRetryError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [retrying, setRetrying] = useState<string | null>(null);
  const data = queue.data;

  async function retry(job: PrintJobRecord) {
    setNotice(null);
    setRetryError(null);
    setRetrying(job.id);
    try {
      const again = await client.run('retry_print_job', { job_id: job.id });
      setNotice(`Sending again to ${again.printer}: ${again.subject}.`);
      queue.reload();
    } catch (e: unknown) {
      setRetryError(errorMessage(e));
    } finally {
      setRetrying(null);
    }
  }

  return (
    <div className="card printing-card" data-testid="print-queue">
      <h2 id="print-queue-heading">Print queue</h2>
      <p className="hint printing-intro">
        Newest first. Jobs print in order; a job whose printer needs attention waits and prints by
        itself once the printer is ready, and a job whose printer does not answer is tried again by
        itself. A job the workstation was sending when it stopped is held until someone checks the
        printer, so no tube gets a second label by mistake.
      </p>
      <StatusMessage message={notice} testId="print-queue-notice" />
      <ErrorAlert message={retryError ?? queue.error} />
      {data && data.total === 0 ? (
        <p className="empty-state" data-testid="print-queue-empty">
          Nothing has been printed on this workstation yet. Labels from the registration desk and
          the box pages, and test prints from the printers below, appear here.
        </p>
      ) : (
        <div className="table-wrap">
          <table
            className="data-table"
            aria-labelledby="print-queue-heading"
            aria-busy={queue.loading}
          >
            <thead>
              <tr>
                <th scope="col">Queued</th>
                <th scope="col">Labels</th>
                <th scope="col">Printer</th>
                <th scope="col">State</th>
                <th scope="col" className="numeric">
                  Attempts
                </th>
                {canReprint && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {data?.items.map((job) => {
                const state = jobState(job, canReprint);
                const inDoubt = isInDoubt(job);
                return (
                  <tr
                    key={job.id}
                    data-testid="print-job"
                    data-job-id={job.id}
                    data-state={job.state}
                    data-in-doubt={inDoubt ? 'true' : undefined}
                    className={
                      job.id === highlight ? 'row-highlight' : inDoubt ? 'row-in-doubt' : undefined
                    }
                  >
                    <td className="when">{formatTime(job.created_at)}</td>
                    <td>
                      <div className="job-what">
                        <JobWhat job={job} />
                      </div>
                    </td>
                    <td>{job.printer}</td>
                    <td className="job-state">
                      <span
                        className={`${PILL[state.tone]}${inDoubt ? ' pill-in-doubt' : ''}`}
                        data-testid="print-job-state"
                      >
                        {state.label}
                      </span>
                      {inDoubt && job.in_doubt_since !== null && (
                        <p className="hint job-detail" data-testid="job-in-doubt-since">
                          Held since {formatTime(job.in_doubt_since)}.
                        </p>
                      )}
                      {job.cancel_reason !== null ? (
                        <p className="hint job-detail" data-testid="job-cancel-reason">
                          Cancelled: {job.cancel_reason}
                        </p>
                      ) : (
                        state.detail && <p className="hint job-detail">{state.detail}</p>
                      )}
                    </td>
                    <td className="numeric">{job.attempts}</td>
                    {canReprint && (
                      <td>
                        <div className="row-actions">
                          {inDoubt && (
                            <InDoubtActions
                              job={job}
                              onPrintAgain={() => {
                                setNotice(null);
                                setPrintingAgain(job);
                              }}
                              onConfirmed={(settled) => {
                                setNotice(
                                  `Marked as printed: ${settled.subject} on ${settled.printer}. Nothing was sent again.`,
                                );
                                queue.reload();
                              }}
                            />
                          )}
                          {job.state === 'failed' && (
                            <button
                              type="button"
                              className="button button-small button-primary"
                              onClick={() => void retry(job)}
                              disabled={retrying !== null}
                              aria-busy={retrying === job.id}
                            >
                              {retrying === job.id ? 'Retrying…' : 'Retry'}
                              <span className="visually-hidden"> {job.subject}</span>
                            </button>
                          )}
                          {!inDoubt && (
                            <button
                              type="button"
                              className="button button-small button-secondary"
                              onClick={() => {
                                setNotice(null);
                                setReprinting(job);
                              }}
                            >
                              Reprint<span className="visually-hidden"> {job.subject}</span>
                            </button>
                          )}
                          {(job.state === 'queued' || job.state === 'failed') && (
                            <button
                              type="button"
                              className="button button-small button-danger-outline"
                              onClick={() => {
                                setNotice(null);
                                setCancelling(job);
                              }}
                            >
                              Cancel<span className="visually-hidden"> {job.subject}</span>
                            </button>
                          )}
                        </div>
                      </td>
                    )}
                  </tr>
                );
              })}
              {!data && queue.loading && (
                <tr>
                  <td colSpan={canReprint ? 6 : 5} className="empty">
                    Loading the print queue…
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {data && data.total > 0 && (
        <Pager
          label="Print queue pages"
          page={data.page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={onPage}
          disabled={queue.loading}
        />
      )}
      {cancelling && (
        <CancelDialog
          job={cancelling}
          onClose={() => setCancelling(null)}
          onDone={(job) => {
            setCancelling(null);
            setNotice(`Cancelled: ${job.subject} on ${job.printer}. It will not be printed.`);
            queue.reload();
          }}
        />
      )}
      {printingAgain && (
        <PrintAgainDialog
          job={printingAgain}
          onClose={() => setPrintingAgain(null)}
          onDone={(job) => {
            setPrintingAgain(null);
            setNotice(`Printing again on ${job.printer}: ${job.subject}.`);
            queue.reload();
          }}
        />
      )}
      {reprinting && (
        <ReprintDialog
          job={reprinting}
          onClose={() => setReprinting(null)}
          onDone={(job) => {
            setReprinting(null);
            setNotice(`Reprint queued on ${job.printer}: ${job.subject}.`);
            onPage(1);
            queue.reload();
          }}
        />
      )}
    </div>
  );
}

function CancelDialog({
  job,
  onClose,
  onDone,
}: {
  job: PrintJobRecord;
  onClose: () => void;
  onDone: (job: PrintJobRecord) => void;
}) {
  const client = useClient();
  return (
    <ReasonDialog
      title="Cancel this print job?"
      reasonLabel="Reason for cancelling"
      hint="Shown with the job and kept in the audit trail, e.g. “wrong kit” or “printer gone for repair”."
      missing="Say why the job is cancelled; it is recorded with the job."
      action="Cancel the job"
      busyLabel="Cancelling…"
      id="cancel"
      run={(reason) => client.run('cancel_print_job', { job_id: job.id, reason })}
      onClose={onClose}
      onDone={onDone}
    >
      <p>
        <strong>{job.subject}</strong> on {job.printer} will not be printed. Its labels can still be
        reprinted later.
      </p>
    </ReasonDialog>
  );
}

function ReprintDialog({
  job,
  onClose,
  onDone,
}: {
  job: PrintJobRecord;
  onClose: () => void;
  onDone: (job: PrintJobRecord) => void;
}) {
  const client = useClient();
  const { formatTime } = useSession();
  const [reason, setReason] = useState('');

  const { busy, error, submit } = useSubmit(async () => {
    if (reason.trim() === '') {
      throw refuse('Give the reason for the reprint; it is recorded in the audit trail.');
    }
    return await client.run('reprint', { job_id: job.id, reason: reason.trim() });
  }, onDone);

  return (
    <Dialog title="Reprint labels" onClose={onClose} testId="reprint-dialog">
      <p>
        The same labels as before go to <strong>{job.printer}</strong> again:
      </p>
      <div className="job-what job-what-dialog">
        <JobWhat job={job} />
        <span className="muted">First queued {formatTime(job.created_at)}</span>
      </div>
      <form onSubmit={submit}>
        <Field
          id="reprint-reason"
          label="Reason for the reprint"
          value={reason}
          onChange={setReason}
          hint="Recorded in the audit trail, e.g. “label smudged” or “printer was out of labels”."
          required
          autoFocus
          spellCheck
        />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Queuing…">
            Reprint
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * The two ways to settle a job held after an interruption, once someone has looked at the
 * printer: its labels are there (closed, nothing sent), or print it again (with a reason).
 */
function InDoubtActions({
  job,
  onPrintAgain,
  onConfirmed,
}: {
  job: PrintJobRecord;
  onPrintAgain: () => void;
  onConfirmed: (job: PrintJobRecord) => void;
}) {
  const client = useClient();
  const { busy, error, submit } = useSubmit(
    () => client.run('settle_print_job', { job_id: job.id, printed: true }),
    onConfirmed,
  );
  return (
    <>
      <button
        type="button"
        className="button button-small button-primary"
        onClick={() => void submit()}
        disabled={busy}
        aria-busy={busy}
      >
        {busy ? 'Saving…' : 'Labels are there'}
        <span className="visually-hidden"> {job.subject}</span>
      </button>
      <button
        type="button"
        className="button button-small button-secondary"
        onClick={onPrintAgain}
        disabled={busy}
      >
        Print again<span className="visually-hidden"> {job.subject}</span>
      </button>
      <div className="row-actions-message">
        <ErrorAlert message={error} testId="job-settle-error" />
      </div>
    </>
  );
}

function PrintAgainDialog({
  job,
  onClose,
  onDone,
}: {
  job: PrintJobRecord;
  onClose: () => void;
  onDone: (job: PrintJobRecord) => void;
}) {
  const client = useClient();
  const { formatTime } = useSession();
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    if (reason.trim() === '') {
      throw refuse('Say why the labels are printed again; it is recorded in the audit trail.');
    }
    return client.run('settle_print_job', {
      job_id: job.id,
      printed: false,
      reason: reason.trim(),
    });
  }, onDone);

  return (
    <Dialog title="Print these labels again?" onClose={onClose} testId="print-again-dialog">
      <p>
        Print again only if the labels are <strong>not</strong> at the printer: two sets of labels
        for the same tubes risk a wrong label on a tube. The same labels go to{' '}
        <strong>{job.printer}</strong>:
      </p>
      <div className="job-what job-what-dialog">
        <JobWhat job={job} />
        <span className="muted">First queued {formatTime(job.created_at)}</span>
      </div>
      <form onSubmit={submit} noValidate>
        <Field
          id="print-again-reason"
          label="Why print them again"
          value={reason}
          onChange={setReason}
          hint="Recorded in the audit trail, e.g. “no labels came out” or “the labels came out blank”."
          required
          autoFocus
          spellCheck
        />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Queuing…">
            Print again
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
