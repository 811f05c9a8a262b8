import { useScanQueue } from '../../scan/useScanQueue';
import { useEffect, useRef, useState, type FormEvent, type RefObject } from 'react';
import type { BoxRecord, SampleView } from '../../api/types';
import { ErrorAlert, PageHeading, SelectField } from '../../components/forms';
import { Pager } from '../../components/Pager';
import { errorMessage } from '../../lib/errors';
import { statusLabel } from '../../lib/samples';
import { useAsyncData } from '../../lib/useAsyncData';
import { count } from '../../lib/words';
import { useNavigate } from '../../router';
import { commandOf, useScanFeedback, useScanHandler, type Scan } from '../../scan/ScanContext';
import { useClient, useSession } from '../../session';
import { openNextBoxPlacing } from '../storage/BoxPage';
import { ScanField } from '../storage/ScanField';
import {
  EMPTY_BATCH,
  addScan,
  feedbackFor,
  inBatch,
  keyOf,
  manifestCounts,
  receiveButtonText,
  receivedText,
  removeScan,
  toReceive,
  toReceiveText,
  undoLast,
  unexpected,
  whatItIs,
  type Batch,
  type Scanned,
} from './batch';
import './receiving.css';

/** After a batch is received: what came in, what was set aside, and where they could go. */
type Received = { tubes: SampleView[]; setAside: Scanned[]; suggestion: BoxRecord | null };

type View = 'batch' | 'manifest';

/** The manifest's event ('' for all) and page, kept while the batch is shown instead. */
type ManifestChoice = { eventId: string; page: number };

const MANIFEST_PER_PAGE = 8;

const COMMIT_REFUSED_NEXT_STEP =
  'Take that tube out of the batch (its Remove button, or UNDO if it was the last scanned), then receive the batch again.';

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Receiving at the bench: each tube of a delivery is scanned into a batch (checked by the core
 * as it is scanned), the unexpected ones are called out with what to do, and the batch is
 * received in one command. Then the tubes go to a box: scan the box, and it opens ready to
 * place them.
 */
export function ReceivingPage() {
  const client = useClient();
  const navigate = useNavigate();
  const feedback = useScanFeedback();

  const [batch, setBatchState] = useState<Batch>(EMPTY_BATCH);
  const batchRef = useRef<Batch>(EMPTY_BATCH);
  const setBatch = (b: Batch) => {
    batchRef.current = b;
    setBatchState(b);
  };
  const [received, setReceivedState] = useState<Received | null>(null);
  const receivedRef = useRef<Received | null>(null);
  const setReceived = (r: Received | null) => {
    receivedRef.current = r;
    setReceivedState(r);
  };
  const [view, setView] = useState<View>('batch');
  const [committing, setCommitting] = useState(false);
  const [commitError, setCommitError] = useState<string | null>(null);
  const [scanText, setScanText] = useState('');
  const scanInput = useRef<HTMLInputElement>(null);
  const placeButton = useRef<HTMLButtonElement>(null);
  const [manifestGeneration, setManifestGeneration] = useState(0);
  const [manifestChoice, setManifestChoice] = useState<ManifestChoice>({ eventId: '', page: 1 });

  // Scanning starts in the scan field (after the page heading took the focus).
  useEffect(() => {
    scanInput.current?.focus();
  }, []);

  // Once received, Enter takes the tubes on to a box.
  useEffect(() => {
    if (received) placeButton.current?.focus();
  }, [received]);

  const { enqueue, pending } = useScanQueue((e: unknown) => feedback('refused', errorMessage(e)));

  function startNextBatch() {
    setReceived(null);
    setBatch(EMPTY_BATCH);
    setCommitError(null);
  }

  async function commit() {
    const tubes = toReceive(batchRef.current);
    if (tubes.length === 0) {
      feedback(
        'refused',
        'There is nothing to receive yet.',
        'Scan the tubes of the delivery first, then scan CONFIRM.',
      );
      return;
    }
    setCommitting(true);
    setCommitError(null);
    let done: SampleView[];
    try {
      await client.run('receive_samples', { sample_ids: tubes.map((t) => t.sample.id) });
      // All or none: every tube sent is received now.
      done = tubes.map((t) => ({ ...t.sample, status: 'received' }));
    } catch (e: unknown) {
      const message = `Nothing was received: ${errorMessage(e)}`;
      setCommitError(message);
      feedback('refused', message, COMMIT_REFUSED_NEXT_STEP);
      return;
    } finally {
      setCommitting(false);
    }
    const setAside = batchRef.current.scanned.filter((s) => !s.joins);
    setBatch(EMPTY_BATCH);
    setReceived({ tubes: done, setAside, suggestion: null });
    setManifestGeneration((g) => g + 1);
    feedback(
      'accepted',
      `${receivedText(done.length)}. Next: scan the box to place them in, or press Enter.`,
    );
    // Where they could go: looked up after the fact, so a slow answer never delays the receipt.
    try {
      // The first grid box, by name, with room for all of them (so a participant's tubes can
      // sit side by side); else the first with any room. Both chosen in SQL.
      const firstWith = async (free: number) =>
        (
          await client.run('list_boxes', {
            min_free: free,
            sort: 'name',
            order: 'asc',
            page: 1,
            per_page: 1,
          })
        ).items[0] ?? null;
      const suggestion = (await firstWith(done.length)) ?? (await firstWith(1));
      const current = receivedRef.current;
      if (current && current.tubes === done) setReceived({ ...current, suggestion });
    } catch {
      // Then the button opens Storage, where boxes with space are listed.
    }
  }

  function placeReceived() {
    const suggestion = receivedRef.current?.suggestion;
    if (suggestion) {
      openNextBoxPlacing();
      navigate({ page: 'box', id: suggestion.id });
      feedback('accepted', `Box ${suggestion.name}: scan the tubes to place them.`);
    } else {
      navigate({ page: 'storage' });
    }
  }

  async function scanTube(code: string) {
    const candidate = await client.run('check_receipt', { code });
    if (candidate.sample === null) {
      // A box's barcode is not a tube to set aside: it is the next step scanned too early.
      const found = await client.run('lookup_scan', { code });
      if (found.kind === 'box') {
        feedback(
          'refused',
          `${code} is box ${found.storage_box.name}, not a tube.`,
          toReceive(batchRef.current).length > 0
            ? 'Scan CONFIRM to receive these tubes first, then scan the box to place them in it.'
            : candidate.next_step,
        );
        return;
      }
    }
    const r = addScan(batchRef.current, candidate);
    setBatch(r.batch);
    const said = feedbackFor(r.outcome, r.scanned, r.batch);
    feedback(said.tone, said.message, said.nextStep);
  }

  async function afterReceiptScan(scan: Scan) {
    switch (scan.command) {
      case 'confirm':
        feedback(
          'refused',
          'This batch has been received already.',
          'Scan a box to place its tubes, or scan a tube to start the next batch.',
        );
        return;
      case 'cancel':
        startNextBatch();
        feedback('accepted', 'Ready for the next batch: scan its first tube.');
        return;
      case 'undo':
        feedback(
          'refused',
          'A received batch cannot be undone here.',
          'If a tube was received by mistake, set it aside and tell a lab manager.',
        );
        return;
      case 'next_box':
        feedback('accepted', 'Scan the barcode of the box to place them in.');
        return;
      case null:
        break;
    }
    const code = scan.text.trim();
    if (!code) return;
    const found = await client.run('lookup_scan', { code });
    if (found.kind === 'box') {
      openNextBoxPlacing();
      // Navigate first: the feedback belongs to the box it opens.
      navigate({ page: 'box', id: found.storage_box.id });
      feedback('accepted', `Box ${found.storage_box.name}: scan the tubes to place them.`);
      return;
    }
    // Anything else starts the next batch.
    startNextBatch();
    await scanTube(code);
  }

  async function batchScan(scan: Scan) {
    const current = batchRef.current;
    switch (scan.command) {
      case 'confirm':
        await commit();
        return;
      case 'cancel':
        if (current.scanned.length === 0) {
          feedback('refused', 'The batch is already empty.', 'Scan the first tube.');
          return;
        }
        setBatch(EMPTY_BATCH);
        setCommitError(null);
        feedback(
          'accepted',
          `Batch cleared: ${count(current.scanned.length, 'scan')} taken back, nothing received.`,
        );
        return;
      case 'undo': {
        const r = undoLast(current);
        if (!r.removed) {
          feedback(
            'refused',
            'Nothing has been scanned, so there is nothing to undo.',
            'Scan the first tube.',
          );
          return;
        }
        setBatch(r.batch);
        feedback(
          'accepted',
          `Taken back: ${r.removed.code}. ${toReceiveText(toReceive(r.batch).length)}.`,
        );
        return;
      }
      case 'next_box':
        feedback(
          'refused',
          'Receive the batch before choosing a box.',
          'Scan CONFIRM to receive these tubes, then scan the box to place them in.',
        );
        return;
      case null:
        break;
    }
    const code = scan.text.trim();
    if (code) await scanTube(code);
  }

  function onScan(scan: Scan) {
    enqueue(() => (receivedRef.current ? afterReceiptScan(scan) : batchScan(scan)));
  }

  useScanHandler((scan) => {
    onScan(scan);
    return true;
  });

  function submitScanField(e: FormEvent) {
    e.preventDefault();
    const text = scanText.trim();
    setScanText('');
    if (text) onScan({ text, source: 'keyboard', command: commandOf(text) });
  }

  function remove(s: Scanned) {
    setBatch(removeScan(batchRef.current, keyOf(s)));
    feedback('accepted', `Taken out of the batch: ${s.code}.`);
    scanInput.current?.focus();
  }

  const tubes = toReceive(batch);
  const odd = unexpected(batch);

  return (
    <section className="receiving-page">
      <div className="receiving-layout">
        <PageHeading>Receiving</PageHeading>
        <div className="toolbar receive-views" role="group" aria-label="What to show">
          <button
            type="button"
            className={`button ${view === 'batch' ? 'button-primary' : 'button-secondary'}`}
            aria-pressed={view === 'batch'}
            onClick={() => setView('batch')}
          >
            {received ? 'Received' : `This batch (${tubes.length})`}
          </button>
          <button
            type="button"
            className={`button ${view === 'manifest' ? 'button-primary' : 'button-secondary'}`}
            aria-pressed={view === 'manifest'}
            onClick={() => setView('manifest')}
          >
            Expected tubes
          </button>
        </div>
        <div className="receive-panel" data-testid="receive-panel">
          <form onSubmit={submitScanField}>
            <ScanField
              id="receive-scan"
              label={received ? 'Scan a box, or the next tube' : 'Scan a tube'}
              value={scanText}
              onChange={setScanText}
              large
              inputRef={scanInput}
              hint={
                received
                  ? "Or type it and press Enter. A box's barcode opens the box ready to place these tubes; a tube starts the next batch."
                  : 'Or type the code and press Enter. CONFIRM receives the batch; UNDO takes back the last scan; CANCEL clears the batch.'
              }
            />
          </form>
          {received ? (
            <ReceivedPanel
              received={received}
              placeButton={placeButton}
              onPlace={placeReceived}
              onNextBatch={() => {
                startNextBatch();
                scanInput.current?.focus();
              }}
            />
          ) : (
            <>
              <p className="receive-count" data-testid="receive-count" aria-live="polite">
                {pending > 0 && !committing ? 'Checking…' : toReceiveText(tubes.length)}
              </p>
              <button
                type="button"
                className="button button-primary receive-commit"
                data-testid="receive-commit"
                disabled={tubes.length === 0 || committing}
                aria-busy={committing}
                onClick={() => enqueue(commit)}
              >
                {committing ? 'Receiving…' : receiveButtonText(tubes.length)}
              </button>
              {commitError && (
                <div className="alert alert-error" role="alert" data-testid="receive-error">
                  {commitError}{' '}
                  <span className="next-step" data-next-step="">
                    {COMMIT_REFUSED_NEXT_STEP}
                  </span>
                </div>
              )}
              <div className="receive-actions">
                <button
                  type="button"
                  className="button button-secondary"
                  disabled={batch.scanned.length === 0}
                  onClick={() =>
                    onScan({ text: 'AQCMD:UNDO', source: 'keyboard', command: 'undo' })
                  }
                >
                  Undo last scan
                </button>
                <button
                  type="button"
                  className="button button-secondary"
                  disabled={batch.scanned.length === 0}
                  onClick={() =>
                    onScan({ text: 'AQCMD:CANCEL', source: 'keyboard', command: 'cancel' })
                  }
                >
                  Clear batch
                </button>
              </div>
            </>
          )}
        </div>

        <div className="receive-lists">
          {view === 'manifest' ? (
            <Manifest
              batch={batch}
              generation={manifestGeneration}
              choice={manifestChoice}
              onChoice={setManifestChoice}
            />
          ) : received ? (
            <>
              <Unexpected scans={received.setAside} heading="Set aside, not received" />
              <TubeTable
                caption={receivedText(received.tubes.length)}
                testId="received-list"
                tubes={received.tubes.map((sample) => ({
                  sample,
                  flagged: sample.consent_withdrawn,
                }))}
              />
            </>
          ) : (
            <>
              <Unexpected scans={odd} heading="Check these" />
              {tubes.length === 0 && odd.length === 0 ? (
                <p className="empty-state">
                  Nothing scanned yet. Scan the first tube of the delivery; each one is checked as
                  it is scanned, and nothing is received until you confirm.
                </p>
              ) : (
                <TubeTable
                  caption={toReceiveText(tubes.length)}
                  testId="receive-batch"
                  tubes={[...tubes].reverse().map((s) => ({
                    sample: s.sample,
                    flagged: s.check === 'consent_withdrawn',
                    onRemove: () => remove(s),
                  }))}
                />
              )}
            </>
          )}
        </div>
      </div>
    </section>
  );
}

function ReceivedPanel({
  received,
  placeButton,
  onPlace,
  onNextBatch,
}: {
  received: Received;
  placeButton: RefObject<HTMLButtonElement | null>;
  onPlace: () => void;
  onNextBatch: () => void;
}) {
  const n = received.tubes.length;
  const flagged = received.tubes.filter((t) => t.consent_withdrawn).length;
  const box = received.suggestion;
  return (
    <div className="receive-done" data-testid="receive-result">
      <p className="receive-count" role="status">
        {receivedText(n)}
      </p>
      {flagged > 0 && (
        <p className="alert alert-warning">
          {count(flagged, 'tube')} from a participant who withdrew consent.{' '}
          <span className="next-step" data-next-step="">
            Keep {flagged === 1 ? 'it' : 'them'} apart and request {flagged === 1 ? 'its' : 'their'}{' '}
            discard.
          </span>
        </p>
      )}
      <button
        type="button"
        ref={placeButton}
        className="button button-primary receive-commit"
        data-testid="receive-place"
        aria-describedby="receive-place-hint"
        onClick={onPlace}
      >
        Place these tubes in a box
      </button>
      <p className="hint" id="receive-place-hint">
        {box
          ? `Opens box ${box.name} (${box.freezer} › ${box.rack}), with ${box.capacity === null ? 'room' : `${box.capacity - box.occupied} free`}, ready to scan the tubes. For another box, scan its barcode.`
          : 'Opens Storage to choose a box. Or scan the barcode of a box with room.'}
      </p>
      <button type="button" className="button button-secondary" onClick={onNextBatch}>
        Start the next batch
      </button>
    </div>
  );
}

/** The scans that need a second look, each with the core's next step (`data-next-step`). */
function Unexpected({ scans, heading }: { scans: readonly Scanned[]; heading: string }) {
  if (scans.length === 0) return null;
  return (
    <section className="receive-unexpected" aria-labelledby="receive-unexpected-heading">
      <h2 id="receive-unexpected-heading">
        {heading} ({scans.length})
      </h2>
      <ul data-testid="receive-unexpected">
        {[...scans].reverse().map((s) => (
          <li
            key={keyOf(s)}
            className={s.joins ? 'refusal refusal-flagged' : 'refusal'}
            data-code={s.code}
            data-check={s.check ?? 'unknown'}
          >
            <strong className="refusal-code">{s.code}</strong>{' '}
            <span className="refusal-what">
              {capitalised(whatItIs(s.check))}
              {s.joins ? ' · in the batch' : ' · not in the batch'}
            </span>
            <span className="next-step" data-next-step="">
              {s.nextStep}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function TubeTable({
  caption,
  testId,
  tubes,
}: {
  caption: string;
  testId: string;
  tubes: { sample: SampleView; flagged: boolean; onRemove?: () => void }[];
}) {
  const { sampleTypeLabel } = useSession();
  const removable = tubes.some((t) => t.onRemove);
  return (
    <div className="table-wrap">
      <table className="data-table receiving-table" data-testid={testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Tube</th>
            <th scope="col">Participant</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            {removable && (
              <th scope="col">
                <span className="visually-hidden">Remove</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {tubes.map(({ sample, flagged, onRemove }) => (
            <tr key={sample.id} data-code={sample.code}>
              <td>
                <span className="tube-code">{sample.code}</span>
                {flagged && <span className="pill pill-danger">Consent withdrawn</span>}
              </td>
              <td>{sample.participant_code}</td>
              <td>{sampleTypeLabel(sample.sample_type)}</td>
              <td>{statusLabel(sample.status)}</td>
              {removable && (
                <td className="row-remove">
                  {onRemove && (
                    <button
                      type="button"
                      className="button button-quiet button-small"
                      aria-label={`Remove ${sample.code} from the batch`}
                      onClick={onRemove}
                    >
                      Remove
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The tubes expected at receiving (collected or in transit), of one field event or all. */
function Manifest({
  batch,
  generation,
  choice,
  onChoice,
}: {
  batch: Batch;
  generation: number;
  choice: ManifestChoice;
  onChoice: (c: ManifestChoice) => void;
}) {
  const { sampleTypeLabel } = useSession();
  const client = useClient();
  const { formatTime } = useSession();
  const { eventId, page } = choice;
  const events = useAsyncData(
    () => client.run('list_field_events', { page: 1, per_page: 100 }),
    [client],
  );
  const expected = useAsyncData(
    () =>
      client.run('list_expected_tubes', {
        event_id: eventId || null,
        page,
        per_page: MANIFEST_PER_PAGE,
      }),
    [client, eventId, page, generation],
  );
  const data = expected.data;
  const counts = data ? manifestCounts(data.total, batch, eventId || null) : null;
  return (
    <section className="manifest" aria-label="Expected tubes" data-testid="manifest">
      <div className="manifest-head">
        <SelectField
          id="manifest-event"
          label="Field event"
          value={eventId}
          onChange={(v) => onChoice({ eventId: v, page: 1 })}
          options={[
            { value: '', label: 'All field events' },
            ...(events.data?.items ?? []).map((e) => ({
              value: e.id,
              label: `${e.name} · ${e.site_code} · ${formatTime(e.date)}`,
            })),
          ]}
        />
        {data && counts && (
          <p className="manifest-counts" data-testid="manifest-counts" aria-live="polite">
            <strong>{count(data.total, 'tube')} expected</strong> · {counts.scanned} scanned into
            this batch · <strong>{counts.missing} still missing</strong>
          </p>
        )}
      </div>
      <ErrorAlert message={events.error ?? expected.error} />
      {data && data.items.length === 0 ? (
        <p className="empty-state">
          No tubes are expected{eventId ? ' from this field event' : ''}: every tube registered has
          been received.
        </p>
      ) : (
        data && (
          <>
            <div className="table-wrap">
              <table className="data-table receiving-table" aria-busy={expected.loading}>
                <caption className="visually-hidden">Expected tubes</caption>
                <thead>
                  <tr>
                    <th scope="col">Tube</th>
                    <th scope="col">Participant</th>
                    <th scope="col">Type</th>
                    <th scope="col">Status</th>
                    <th scope="col">This batch</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((s) => {
                    const scanned = inBatch(batch, s.id);
                    return (
                      <tr key={s.id} data-code={s.code} data-scanned={scanned ? 'yes' : 'no'}>
                        <td>
                          <span className="tube-code">{s.code}</span>
                        </td>
                        <td>{s.participant_code}</td>
                        <td>{sampleTypeLabel(s.sample_type)}</td>
                        <td>{statusLabel(s.status)}</td>
                        <td>
                          {scanned ? (
                            <span className="pill pill-ok">✓ Scanned</span>
                          ) : (
                            <span className="muted">Not yet</span>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <Pager
              label="Expected tube pages"
              page={data.page}
              totalPages={data.total_pages}
              total={data.total}
              onPage={(p) => onChoice({ eventId, page: p })}
              disabled={expected.loading}
            />
          </>
        )
      )}
    </section>
  );
}
