import { useEffect, useState } from 'react';
import type {
  DiscardRequestRecord,
  PrintJobRecord,
  SampleDetail,
  SampleStatus,
  SampleType,
  SampleView,
} from '../../api/types';
import { Dialog } from '../../components/Dialog';
import {
  ErrorAlert,
  Field,
  PageHeading,
  SelectField,
  StatusMessage,
  SubmitButton,
} from '../../components/forms';
import { errorMessage } from '../../lib/errors';
import { canHandleSamples, canPrintLabels } from '../../lib/roles';
import { sampleTypeLabel, SAMPLE_TYPES, statusLabel } from '../../lib/samples';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { useNavigate } from '../../router';
import { useClient, useSession } from '../../session';
import { StatusBadge } from './StatusBadge';
import { IN_DOUBT_LABEL, isInDoubt } from '../printing/printingText';
import './samples.css';

type Loaded = SampleDetail & { discards: DiscardRequestRecord[] };

type Action = { kind: 'transition'; to: SampleStatus } | { kind: 'aliquots' } | { kind: 'discard' };

/** One tube: what it is, where it is, what happened to it, and what may happen next. */
export function SamplePage({ sampleId }: { sampleId: string }) {
  const client = useClient();
  const { user } = useSession();
  const [action, setAction] = useState<Action | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const detail = useAsyncData(async (): Promise<Loaded> => {
    const found = await client.run('get_sample', { id: sampleId });
    // The discard requests of this tube (a technician's list holds only their own).
    const requests = await client.run('list_discard_requests', {
      sample_code: found.sample.code,
      page: 1,
      per_page: 50,
    });
    return { ...found, discards: requests.items.filter((r) => r.sample_id === sampleId) };
  }, [client, sampleId]);
  const labels = useAsyncData(
    () => client.run('list_print_jobs', { record: sampleId, page: 1, per_page: 10 }),
    [client, sampleId],
  );

  // Another window or the print worker changed something about this tube.
  useEffect(
    () =>
      client.subscribe((e) => {
        const box = detail.data?.sample.location?.box_id;
        if (e.type === 'storage_changed' && e.box_id === box) detail.reload();
        if (e.type === 'audit_appended' || e.type === 'notifications_changed') detail.reload();
        if (e.type === 'print_job_changed') labels.reload();
      }),
    [client, detail.data?.sample.location?.box_id, detail.reload, labels.reload],
  );

  // While another tube loads, the previous one's data must not be shown (or acted on).
  const d = detail.data?.sample.id === sampleId ? detail.data : null;
  if (!d) {
    return (
      <section>
        <PageHeading>Sample</PageHeading>
        <ErrorAlert message={detail.error} />
        {detail.loading && <p className="loading">Loading the sample…</p>}
      </section>
    );
  }
  const s = d.sample;
  const handles = canHandleSamples(user.role);
  const pending = d.discards.find((r) => r.state === 'pending');
  const done = (message: string) => {
    setAction(null);
    setNotice(message);
    detail.reload();
  };

  return (
    <section className="sample-page" data-testid="sample-page">
      <PageHeading>
        <span className="sample-code" data-testid="sample-code">
          {s.code}
        </span>{' '}
        <StatusBadge status={s.status} />
      </PageHeading>
      {s.consent_withdrawn && (
        <div
          role="alert"
          className="alert alert-error consent-banner"
          data-testid="consent-withdrawn"
        >
          Participant {s.participant_code} has withdrawn consent. Do not use this sample; ask the
          lab manager what to do with it.
        </div>
      )}
      {pending && (
        <div className="alert discard-pending" data-testid="discard-pending">
          Discard requested by {pending.requested_by}: “{pending.reason}”. Waiting for a lab
          manager&rsquo;s decision on the <a href="#/discards">Discard requests</a> page.
        </div>
      )}
      <StatusMessage message={notice} testId="sample-notice" />
      <ErrorAlert message={detail.error} />

      <div className="sample-grid">
        <dl className="facts" data-testid="sample-facts">
          <dt>Type</dt>
          <dd>
            {sampleTypeLabel(s.sample_type)} ({s.sample_type_code})
          </dd>
          <dt>Participant</dt>
          <dd>
            <a href={`#/participant/${s.participant_id}`}>{s.participant_code}</a> · consent{' '}
            {s.consent}
          </dd>
          <dt>Collected</dt>
          <dd>
            <Time iso={s.collected_at} /> at {s.site_name} by {s.collector}
          </dd>
          <dt>Volume</dt>
          <dd>{s.volume_ul === null ? 'not recorded' : `${s.volume_ul} µl`}</dd>
          <dt>Location</dt>
          <dd data-testid="sample-location">
            {s.location ? (
              <>
                {s.location.freezer} / {s.location.rack} /{' '}
                <a href={`#/box/${s.location.box_id}`}>{s.location.box_name}</a>
                {s.location.position ? ` · ${s.location.position}` : ''}
              </>
            ) : (
              'not in storage'
            )}
          </dd>
          <dt>Out of the freezer</dt>
          <dd>
            {formatDuration(s.time_out_seconds)}
            {s.checked_out_at && (
              <strong>
                {' '}
                · checked out since <Time iso={s.checked_out_at} />
              </strong>
            )}
          </dd>
        </dl>

        <div className="sample-actions">
          <h2>What next</h2>
          {handles && s.next_statuses.length > 0 && (
            <div className="form-actions" data-testid="next-statuses">
              {s.next_statuses.map((to) => (
                <button
                  key={to}
                  type="button"
                  className="button button-secondary"
                  onClick={() => setAction({ kind: 'transition', to })}
                >
                  Mark {statusLabel(to).toLowerCase()}
                </button>
              ))}
            </div>
          )}
          {handles && s.next_statuses.length === 0 && (
            <p className="muted">
              No status can be set by hand from {statusLabel(s.status).toLowerCase()}.
              {s.status === 'received' || s.status === 'processing'
                ? ' Place the tube in a box to store it.'
                : ''}
            </p>
          )}
          {!handles && <p className="muted">Your role can look at samples but not change them.</p>}
          {handles && (
            <div className="form-actions">
              <button
                type="button"
                className="button button-secondary"
                onClick={() => setAction({ kind: 'aliquots' })}
                disabled={s.status === 'disposed' || s.status === 'depleted'}
              >
                Make aliquots…
              </button>
              <button
                type="button"
                className="button button-danger"
                onClick={() => setAction({ kind: 'discard' })}
                disabled={s.status === 'disposed' || pending !== undefined}
              >
                Request discard…
              </button>
            </div>
          )}
          {canPrintLabels(user.role) && <PrintLabel sample={s} onQueued={() => labels.reload()} />}
          <LabelsPrinted jobs={labels.data?.items ?? []} total={labels.data?.total ?? 0} />
        </div>
      </div>

      <Lineage detail={d} />
      <History detail={d} />

      {action?.kind === 'transition' && (
        <TransitionDialog
          sample={s}
          to={action.to}
          onClose={() => setAction(null)}
          onDone={() => done(`${s.code} is now ${statusLabel(action.to).toLowerCase()}.`)}
        />
      )}
      {action?.kind === 'aliquots' && (
        <AliquotsDialog
          sample={s}
          onClose={() => setAction(null)}
          onDone={(made) =>
            done(`${made.length} aliquots made: ${made.map((a) => a.code).join(', ')}.`)
          }
        />
      )}
      {action?.kind === 'discard' && (
        <DiscardDialog
          sample={s}
          onClose={() => setAction(null)}
          onDone={() =>
            done(`Discard of ${s.code} requested. A lab manager will approve or reject it.`)
          }
        />
      )}
    </section>
  );
}

function Time({ iso }: { iso: string }) {
  const { formatTime } = useSession();
  return <time dateTime={iso}>{formatTime(iso)}</time>;
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

function Lineage({ detail }: { detail: SampleDetail }) {
  const { parent, aliquots } = detail;
  return (
    <section className="sample-section" aria-labelledby="lineage-heading">
      <h2 id="lineage-heading">Lineage</h2>
      {parent === null && aliquots.length === 0 && (
        <p className="muted">An original tube with no aliquots yet.</p>
      )}
      {parent && (
        <p>
          Made from <SampleLink sample={parent} />
        </p>
      )}
      {aliquots.length > 0 && (
        <ul className="lineage" data-testid="aliquots">
          {aliquots.map((a) => (
            <li key={a.id}>
              <SampleLink sample={a} /> · {sampleTypeLabel(a.sample_type)}
              {a.volume_ul !== null ? ` · ${a.volume_ul} µl` : ''} · {statusLabel(a.status)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function SampleLink({ sample }: { sample: SampleView }) {
  return <a href={`#/sample/${sample.id}`}>{sample.code}</a>;
}

type HistoryRow = { at: string; actor: string; what: string; why: string | null };

function History({ detail }: { detail: Loaded }) {
  const { formatTime } = useSession();
  const rows: HistoryRow[] = [
    ...detail.status_history.map((h) => ({
      at: h.at,
      actor: h.actor,
      what: h.from
        ? `${statusLabel(h.from)} → ${statusLabel(h.to)} (${h.via.replace('_', ' ')})`
        : `${statusLabel(h.to)}`,
      why: h.reason,
    })),
    ...detail.placement_history.map((p) => ({
      at: p.at,
      actor: p.actor,
      what: p.to_box_id
        ? `Placed${p.to_position ? ` at ${p.to_position}` : ''} (${p.source.replace('_', ' ')})`
        : 'Taken out of its box',
      why: null,
    })),
    ...detail.discards.flatMap((r) => [
      { at: r.requested_at, actor: r.requested_by, what: 'Discard requested', why: r.reason },
      ...(r.decided_at
        ? [
            {
              at: r.decided_at,
              actor: r.decided_by ?? 'unknown',
              what: `Discard request ${r.state}`,
              why: r.decision_note,
            },
          ]
        : []),
    ]),
  ].sort((a, b) => b.at.localeCompare(a.at));
  return (
    <section className="sample-section" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      <ol className="timeline" data-testid="history">
        {rows.map((r, i) => (
          <li key={i}>
            <time dateTime={r.at}>{formatTime(r.at)}</time>
            <span className="timeline-what">{r.what}</span>
            <span className="muted">by {r.actor}</span>
            {r.why && <span className="timeline-why">“{r.why}”</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The label jobs that printed this tube, newest first. */
function LabelsPrinted({ jobs, total }: { jobs: PrintJobRecord[]; total: number }) {
  const { formatTime } = useSession();
  return (
    <div className="labels-printed" data-testid="labels-printed">
      <h3>Labels printed</h3>
      {jobs.length === 0 ? (
        <p className="muted">No label of this tube has been printed from this workstation.</p>
      ) : (
        <ul>
          {jobs.map((j) => (
            <li key={j.id}>
              {formatTime(j.created_at)} · {j.subject} on {j.printer} ·{' '}
              {isInDoubt(j) ? IN_DOUBT_LABEL.toLowerCase() : j.state}
              {j.reprint_of && j.reason ? ` · reprint: ${j.reason}` : ''}
            </li>
          ))}
          {total > jobs.length && <li className="muted">and {total - jobs.length} earlier</li>}
        </ul>
      )}
    </div>
  );
}

/** Prints this tube's label on the sample label printer, and says where it went. */
function PrintLabel({ sample, onQueued }: { sample: SampleView; onQueued: () => void }) {
  const client = useClient();
  const [job, setJob] = useState<PrintJobRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function print() {
    setBusy(true);
    setError(null);
    try {
      setJob(
        await client.run('print_labels', { labels: { group: 'samples', sample_ids: [sample.id] } }),
      );
      onQueued();
    } catch (e: unknown) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="print-label">
      <button
        type="button"
        className="button button-secondary"
        onClick={() => void print()}
        disabled={busy}
      >
        {busy ? 'Queuing…' : 'Print its label'}
      </button>
      {job && (
        <span className="muted" data-testid="sample-label-job">
          Label queued on {job.printer}; the Printing page follows it.
        </span>
      )}
      <ErrorAlert message={error} />
    </div>
  );
}

function TransitionDialog({
  sample,
  to,
  onClose,
  onDone,
}: {
  sample: SampleView;
  to: SampleStatus;
  onClose: () => void;
  onDone: () => void;
}) {
  const client = useClient();
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(
    () =>
      client.run('transition_sample', {
        sample_id: sample.id,
        expected: sample.status,
        to,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      }),
    onDone,
  );
  return (
    <Dialog title={`Mark ${sample.code} ${statusLabel(to).toLowerCase()}`} onClose={onClose}>
      <form onSubmit={submit} data-testid="transition-form">
        <p>
          From {statusLabel(sample.status).toLowerCase()} to {statusLabel(to).toLowerCase()}.
        </p>
        <Field id="transition-reason" label="Note (optional)" value={reason} onChange={setReason} />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Saving…">
            Mark {statusLabel(to).toLowerCase()}
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function AliquotsDialog({
  sample,
  onClose,
  onDone,
}: {
  sample: SampleView;
  onClose: () => void;
  onDone: (made: SampleView[]) => void;
}) {
  const client = useClient();
  const [count, setCount] = useState('2');
  const [volume, setVolume] = useState('');
  const [type, setType] = useState<SampleType>(sample.sample_type);
  const { busy, error, submit } = useSubmit(() => {
    const n = Number(count);
    const ul = Number(volume);
    if (!Number.isInteger(n) || n < 1 || n > 96) throw refuse('Make between 1 and 96 aliquots.');
    if (!Number.isInteger(ul) || ul < 1) {
      throw refuse('Give each aliquot’s volume in whole microlitres.');
    }
    return client.run('create_aliquots', {
      parent_id: sample.id,
      aliquots: Array.from({ length: n }, () => ({ sample_type: type, volume_ul: ul })),
    });
  }, onDone);
  return (
    <Dialog title={`Aliquots of ${sample.code}`} onClose={onClose}>
      <form onSubmit={submit} data-testid="aliquots-form" noValidate>
        <p className="muted">
          {sample.volume_ul === null
            ? 'The parent’s volume is not recorded.'
            : `The parent holds ${sample.volume_ul} µl.`}
        </p>
        <Field
          id="aliquot-count"
          label="How many"
          type="number"
          value={count}
          onChange={setCount}
          min={1}
          max={96}
        />
        <Field
          id="aliquot-volume"
          label="Volume of each (µl)"
          type="number"
          value={volume}
          onChange={setVolume}
          min={1}
        />
        <SelectField
          id="aliquot-type"
          label="Type"
          value={type}
          onChange={setType}
          options={SAMPLE_TYPES.map((t) => ({ value: t, label: sampleTypeLabel(t) }))}
        />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Making…">
            Make aliquots
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DiscardDialog({
  sample,
  onClose,
  onDone,
}: {
  sample: SampleView;
  onClose: () => void;
  onDone: () => void;
}) {
  const client = useClient();
  const navigate = useNavigate();
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    if (!reason.trim()) {
      throw refuse('Say why the tube should be discarded; the lab manager decides on it.');
    }
    return client.run('request_discard', { sample_id: sample.id, reason: reason.trim() });
  }, onDone);
  return (
    <Dialog title={`Request discard of ${sample.code}`} onClose={onClose}>
      <form onSubmit={submit} data-testid="discard-form" noValidate>
        <p>
          A lab manager approves or rejects the request; the tube stays as it is until then.{' '}
          <button
            type="button"
            className="button-link"
            onClick={() => navigate({ page: 'discards' })}
          >
            See the requests
          </button>
        </p>
        <Field id="discard-reason" label="Reason" value={reason} onChange={setReason} autoFocus />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Requesting…" variant="danger">
            Request discard
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
