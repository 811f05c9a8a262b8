import { useCallback, useEffect, useState } from 'react';
import type {
  DiscardRequestRecord,
  PrintJobRecord,
  SampleDetail,
  SampleEvent,
  SampleStatus,
  SampleType,
  SampleView,
} from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { Pager } from '../../components/Pager';
import {
  ErrorAlert,
  Field,
  PageHeading,
  SelectField,
  StatusMessage,
  SubmitButton,
} from '../../components/forms';
import { errorMessage } from '../../lib/errors';
import { actionWords, placementWords, statusChangeWords } from '../../lib/auditWords';
import { sampleTypesInUse, statusLabel } from '../../lib/samples';
import { count } from '../../lib/words';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { hashOf, useNavigate } from '../../router';
import { custodyRouteId } from '../reports/reportWords';
import { useClient, useSession } from '../../session';
import { StatusBadge } from './StatusBadge';
import { SampleResults, SampleRuns, SampleSetValues } from './SampleResults';
import { RecordSyncBadge } from '../../sync/recordSync';
import { IN_DOUBT_LABEL, isInDoubt, jobState } from '../printing/printingText';
import { ScanField } from '../storage/ScanField';
import './samples.css';
import { LabelSheetDialog } from '../printing/LabelSheetDialog';

type Loaded = SampleDetail & { pending: DiscardRequestRecord | null };

type Action =
  | { kind: 'transition'; to: SampleStatus }
  | { kind: 'place' }
  | { kind: 'aliquots' }
  | { kind: 'unplace' }
  | { kind: 'discard' };

/** Statuses a tube may be placed in storage from (the rest of `VALID_TRANSITIONS` in Rust). */
const PLACEABLE: readonly SampleStatus[] = ['received', 'processing', 'stored'];

/** One tube: what it is, where it is, what happened to it, and what may happen next. */
export function SamplePage({ sampleId }: { sampleId: string }) {
  const client = useClient();
  const { can } = useSession();
  const [action, setAction] = useState<Action | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [onSheet, setOnSheet] = useState(false);
  const detail = useAsyncData(async (): Promise<Loaded> => {
    const found = await client.run('get_sample', { id: sampleId });
    // This tube's pending discard request, if any (there is at most one).
    const pending = await client.run('list_discard_requests', {
      sample_id: sampleId,
      state: 'pending',
      page: 1,
      per_page: 1,
    });
    return { ...found, pending: pending.items[0] ?? null };
  }, [client, sampleId]);
  const labels = useAsyncData(
    () => client.run('list_print_jobs', { record: sampleId, page: 1, per_page: 10 }),
    [client, sampleId],
  );
  // Bumped whenever something may have been added to the tube's history.
  const [generation, setGeneration] = useState(0);
  const reloadLabels = labels.reload;
  const labelsChanged = useCallback(() => {
    reloadLabels();
    setGeneration((g) => g + 1);
  }, [reloadLabels]);
  const printLabel = usePrintLabel(sampleId, labelsChanged);

  // Another window or the print worker changed something about this tube.
  useEffect(
    () =>
      client.subscribe((e) => {
        const box = detail.data?.sample.location?.box_id;
        const changed =
          (e.type === 'storage_changed' && e.box_id === box) ||
          e.type === 'audit_appended' ||
          e.type === 'notifications_changed';
        if (changed) {
          detail.reload();
          setGeneration((g) => g + 1);
        }
        if (e.type === 'print_job_changed') labelsChanged();
      }),
    [client, detail.data?.sample.location?.box_id, detail.reload, labelsChanged],
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
  // Each action is offered by the permission the core checks for it.
  const processes = can('process_samples');
  const places = can('place_samples');
  const asksDiscard = can('request_discard');
  const prints = can('print_labels');
  const pending = d.pending;
  const receivable = s.next_statuses.includes('received');
  const placeable = PLACEABLE.includes(s.status);
  const otherStatuses = s.next_statuses.filter((to) => to !== 'received');
  // Time out of the freezer means something only for a tube that has been in one.
  const beenInFreezer =
    s.status === 'stored' || s.status === 'checked_out' || s.location !== null || d.been_stored;
  const done = (message: string) => {
    setAction(null);
    setNotice(message);
    detail.reload();
    setGeneration((g) => g + 1);
  };

  return (
    <section className="sample-page" data-testid="sample-page">
      <PageHeading>
        <span className="sample-code" data-testid="sample-code">
          {s.code}
        </span>{' '}
        <StatusBadge status={s.status} /> <RecordSyncBadge entityType="sample" id={s.code} />
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
          manager&rsquo;s decision on the{' '}
          <a className="inline-link" href="#/discards">
            Discard requests
          </a>{' '}
          page.
        </div>
      )}
      <StatusMessage message={notice} testId="sample-notice" />
      <ErrorAlert message={detail.error} />

      <div className="sample-grid">
        <dl className="facts" data-testid="sample-facts">
          <dt>Type</dt>
          <dd>
            {s.sample_type_label} ({s.sample_type_code})
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
          {beenInFreezer && (
            <>
              <dt>Time out of the freezer</dt>
              <dd data-testid="sample-time-out">
                {formatDuration(s.time_out_seconds)}
                {s.checked_out_at && (
                  <strong>
                    {' '}
                    · checked out since <Time iso={s.checked_out_at} />
                  </strong>
                )}
              </dd>
            </>
          )}
        </dl>

        <div className="sample-actions" data-testid="sample-actions">
          <h2>What next</h2>
          {!processes && !places && !asksDiscard && !prints && (
            <p className="muted">Your role can look at samples but not change them.</p>
          )}
          {/* The bench's routine first: receive, store, aliquot, label. */}
          <div className="form-actions" data-testid="routine-actions">
            {processes && receivable && (
              <button
                type="button"
                className="button button-primary"
                onClick={() => setAction({ kind: 'transition', to: 'received' })}
              >
                Mark received
              </button>
            )}
            {places && placeable && (
              <button
                type="button"
                className={`button ${receivable ? 'button-secondary' : 'button-primary'}`}
                onClick={() => setAction({ kind: 'place' })}
              >
                {s.status === 'stored' ? 'Move to another box…' : 'Place in a box…'}
              </button>
            )}
            {places && s.status === 'stored' && s.location !== null && (
              <button
                type="button"
                className="button button-secondary"
                onClick={() => setAction({ kind: 'unplace' })}
              >
                Take out of its box…
              </button>
            )}
            {processes && (
              <button
                type="button"
                className="button button-secondary"
                onClick={() => setAction({ kind: 'aliquots' })}
                disabled={s.status === 'disposed' || s.status === 'depleted'}
              >
                Make aliquots…
              </button>
            )}
            {prints && (
              <button
                type="button"
                className="button button-secondary"
                onClick={() => void printLabel.print()}
                disabled={printLabel.busy}
              >
                {printLabel.busy ? 'Queuing…' : 'Print its label'}
              </button>
            )}
            {prints && (
              <button
                type="button"
                className="button button-secondary"
                onClick={() => setOnSheet(true)}
              >
                Print on a sheet…
              </button>
            )}
          </div>
          {onSheet && (
            <LabelSheetDialog
              labels={{ group: 'samples', sample_ids: [sampleId] }}
              kind="sample"
              onClose={() => setOnSheet(false)}
            />
          )}
          {printLabel.job && (
            <p className="muted" data-testid="sample-label-job">
              Label queued on {printLabel.job.printer}; the Printing page follows it.
            </p>
          )}
          <ErrorAlert message={printLabel.error} />
          {processes && otherStatuses.length > 0 && (
            <div className="other-statuses">
              <h3>Other status changes</h3>
              <div className="form-actions" data-testid="next-statuses">
                {otherStatuses.map((to) => (
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
            </div>
          )}
          {processes && s.next_statuses.length === 0 && !placeable && (
            <p className="muted">
              No status can be set by hand from {statusLabel(s.status).toLowerCase()}.
            </p>
          )}
          <LabelsPrinted jobs={labels.data?.items ?? []} total={labels.data?.total ?? 0} />
          {/* Its whole story, with its aliquots', as a report to read or save as a PDF. */}
          <div className="form-actions">
            <a
              className="button button-secondary"
              href={hashOf({ page: 'reports', id: custodyRouteId(s.code) })}
              data-testid="sample-custody"
            >
              Chain of custody
            </a>
          </div>
          {/* Apart and quiet: a discard cannot be taken back once a lab manager approves it. */}
          {asksDiscard && (
            <div className="sample-discard" data-testid="sample-discard">
              <p className="hint">
                Only for a tube that cannot be used; a lab manager approves or rejects it.
              </p>
              <button
                type="button"
                className="button button-quiet"
                onClick={() => setAction({ kind: 'discard' })}
                disabled={s.status === 'disposed' || pending !== null}
              >
                Request discard…
              </button>
            </div>
          )}
        </div>
      </div>

      <Lineage detail={d} />
      <SampleRuns sampleId={sampleId} generation={generation} />
      <SampleResults sampleId={sampleId} generation={generation} />
      <SampleSetValues sampleId={sampleId} generation={generation} />
      <History sampleId={sampleId} generation={generation} />

      {action?.kind === 'transition' && (
        <TransitionDialog
          sample={s}
          to={action.to}
          onClose={() => setAction(null)}
          onDone={() => done(`${s.code} is now ${statusLabel(action.to).toLowerCase()}.`)}
        />
      )}
      {action?.kind === 'place' && (
        <PlaceDialog
          sample={s}
          onClose={() => setAction(null)}
          onDone={(message) => done(message)}
        />
      )}
      {action?.kind === 'aliquots' && (
        <AliquotsDialog
          sample={s}
          onClose={() => setAction(null)}
          onDone={(made) =>
            done(`${count(made.length, 'aliquot')} made: ${made.map((a) => a.code).join(', ')}.`)
          }
        />
      )}
      {action?.kind === 'unplace' && (
        <UnplaceDialog
          sample={s}
          onClose={() => setAction(null)}
          onDone={() => done(`${s.code} is out of its box, on the bench.`)}
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
  const { sampleTypeLabel } = useSession();
  const client = useClient();
  const { parent } = detail;
  const [page, setPage] = useState(1);
  // The first page comes with the sample; later pages are asked for.
  const later = useAsyncData(
    () =>
      page === 1
        ? Promise.resolve(detail.aliquots)
        : client.run('list_aliquots', {
            sample_id: detail.sample.id,
            page,
            per_page: detail.aliquots.per_page,
          }),
    [client, detail, page],
  );
  const aliquots = later.data ?? detail.aliquots;
  return (
    <section className="sample-section" aria-labelledby="lineage-heading">
      <h2 id="lineage-heading">Lineage</h2>
      <ErrorAlert message={later.error} />
      {parent === null && aliquots.total === 0 && (
        <p className="muted">An original tube with no aliquots yet.</p>
      )}
      {parent && (
        <p>
          Made from <SampleLink sample={parent} />
        </p>
      )}
      {aliquots.total > 0 && (
        <ul className="lineage" data-testid="aliquots">
          {aliquots.items.map((a) => (
            <li key={a.id}>
              <SampleLink sample={a} /> · {sampleTypeLabel(a.sample_type)}
              {a.volume_ul !== null ? ` · ${a.volume_ul} µl` : ''} · {statusLabel(a.status)}
            </li>
          ))}
        </ul>
      )}
      {aliquots.total_pages > 1 && (
        <Pager
          label="Aliquot pages"
          page={page}
          totalPages={aliquots.total_pages}
          total={aliquots.total}
          onPage={setPage}
          disabled={later.loading}
        />
      )}
    </section>
  );
}

function SampleLink({ sample }: { sample: SampleView }) {
  return <a href={`#/sample/${sample.id}`}>{sample.code}</a>;
}

const HISTORY_PER_PAGE = 20;

/** What one history entry says, in words (one mapping: lib/auditWords). */
function eventWords(e: SampleEvent): string {
  const what = e.what;
  switch (what.kind) {
    case 'status':
      return statusChangeWords(what.from, what.to, what.via);
    case 'placement':
      return placementWords(what.to_position, what.to_box_id !== null, what.source);
    case 'discard_requested':
      return actionWords('request_discard');
    case 'discard_decided':
      return `Discard request ${what.state}`;
    case 'label':
      return `${actionWords('queue_print')}${
        what.state === 'done' ? '' : ` (${labelStateWords(what.state, what.in_doubt)})`
      }`;
  }
}

/** A label job's state in the history's words (the print queue says more). */
function labelStateWords(state: string, inDoubt: boolean): string {
  if (inDoubt) return IN_DOUBT_LABEL.toLowerCase();
  return (
    { queued: 'waiting', sent: 'sending', failed: 'failed', cancelled: 'cancelled' }[state] ?? state
  );
}

/** What happened to the tube, newest first, a page at a time (the core merges and pages it). */
function History({ sampleId, generation }: { sampleId: string; generation: number }) {
  const client = useClient();
  const { formatTime } = useSession();
  const [page, setPage] = useState(1);
  const history = useAsyncData(
    () =>
      client.run('sample_history', {
        sample_id: sampleId,
        page,
        per_page: HISTORY_PER_PAGE,
      }),
    [client, sampleId, page, generation],
  );
  const data = history.data;
  return (
    <section className="sample-section" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      <ErrorAlert message={history.error} />
      {!data && history.loading && <p className="muted">Loading the history…</p>}
      {/* Shown once loaded, so what it says is never a half-loaded story. */}
      {data && (
        <ol className="timeline" data-testid="history">
          {data.items.map((e, i) => (
            <li key={i}>
              <time dateTime={e.at}>{formatTime(e.at)}</time>
              <span className="timeline-what">{eventWords(e)}</span>
              <span className="muted">{e.what.kind === 'label' ? `on ${e.by}` : `by ${e.by}`}</span>
              {e.note && (e.what.kind !== 'label' || e.what.reprint) && (
                <span className="timeline-why">“{e.note}”</span>
              )}
            </li>
          ))}
        </ol>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="History pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={history.loading}
        />
      )}
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
              {isInDoubt(j) ? IN_DOUBT_LABEL.toLowerCase() : jobState(j).label.toLowerCase()}
              {j.reprint_of && j.reason ? ` · reprint: ${j.reason}` : ''}
            </li>
          ))}
          {total > jobs.length && <li className="muted">and {total - jobs.length} earlier</li>}
        </ul>
      )}
    </div>
  );
}

/** Printing this tube's label on the sample label printer: the job it made, or why not. */
function usePrintLabel(sampleId: string, onQueued: () => void) {
  const client = useClient();
  const [job, setJob] = useState<PrintJobRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function print() {
    setBusy(true);
    setError(null);
    try {
      setJob(
        await client.run('print_labels', { labels: { group: 'samples', sample_ids: [sampleId] } }),
      );
      onQueued();
    } catch (e: unknown) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return { job, error, busy, print };
}

/** Places the tube in a box, or moves it to another: scan the box, optionally a position. */
function PlaceDialog({
  sample,
  onClose,
  onDone,
}: {
  sample: SampleView;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const client = useClient();
  const [barcode, setBarcode] = useState('');
  const [position, setPosition] = useState('');
  const moving = sample.location !== null;
  const { busy, error, submit } = useSubmit(async () => {
    const code = barcode.trim();
    if (!code) throw refuse('Scan or type the barcode of the box the tube goes in.');
    const found = await client.run('lookup_scan', { code });
    if (found.kind !== 'box') {
      throw refuse(`${code} is not a box barcode. Scan the label on the box the tube goes in.`);
    }
    const target = found.storage_box;
    const map = await client.run('place_samples', {
      box_id: target.id,
      tubes: [{ sample_id: sample.id, position: position.trim() || null }],
      source: 'manual',
      // Offered only for a tube already received (or stored): placing never receives it here.
      receive: false,
    });
    const at = map.wells.find((w) => w.sample_id === sample.id)?.position;
    return `${sample.code} ${moving ? 'moved' : 'placed'} in box ${target.name}${at ? ` at ${at}` : ''}.`;
  }, onDone);
  return (
    <Dialog
      title={`${moving ? 'Move' : 'Place'} ${sample.code}`}
      onClose={onClose}
      testId="place-dialog"
    >
      <form onSubmit={submit} noValidate>
        <p>
          {moving && sample.location
            ? `Now in ${sample.location.box_name}${sample.location.position ? ` at ${sample.location.position}` : ''}.`
            : 'Not in storage yet; placing it stores it.'}
        </p>
        <ScanField
          id="place-box"
          label="Box barcode"
          value={barcode}
          onChange={setBarcode}
          hint="Scan the box's label, or type its barcode."
          autoFocus
        />
        <Field
          id="place-position"
          label="Position (optional)"
          value={position}
          onChange={setPosition}
          hint="Empty: the next free position, by the lab's setting."
        />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel={moving ? 'Moving…' : 'Placing…'}>
            {moving ? 'Move tube' : 'Place tube'}
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
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
  const { sampleTypes } = useSession();
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
          options={sampleTypesInUse(sampleTypes).map((t) => ({ value: t.code, label: t.label }))}
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

/** Out of its box for good (a check-out expects it back): its well is free again. */
function UnplaceDialog({
  sample,
  onClose,
  onDone,
}: {
  sample: SampleView;
  onClose: () => void;
  onDone: () => void;
}) {
  const client = useClient();
  const [reason, setReason] = useState('');
  const where = sample.location
    ? `${sample.location.box_name}${sample.location.position ? ` ${sample.location.position}` : ''}`
    : 'its box';
  const { busy, error, submit } = useSubmit(async () => {
    if (!reason.trim()) {
      throw refuse('Say why the tube leaves its box; the reason goes into its history.');
    }
    return client.run('unplace_sample', { sample_id: sample.id, reason: reason.trim() });
  }, onDone);
  return (
    <Dialog title={`Take ${sample.code} out of its box`} onClose={onClose}>
      <form onSubmit={submit} data-testid="unplace-form" noValidate>
        <p>
          {sample.code} leaves {where} and stays on the bench as received; the well is free for
          another tube. To take it out for a while and bring it back, check it out instead.
        </p>
        <Field id="unplace-reason" label="Reason" value={reason} onChange={setReason} autoFocus />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Taking it out…">
            Take out of its box
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
