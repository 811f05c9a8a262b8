import { useScanQueue } from '../../scan/useScanQueue';
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { BoxMap, RackScanDiff, SampleView, Well } from '../../api/types';
import { ErrorAlert, PageHeading, StatusMessage } from '../../components/forms';
import { errorCode, errorMessage } from '../../lib/errors';
import { useNavigate } from '../../router';
import { commandOf, useScanFeedback, useScanHandler, type Scan } from '../../scan/ScanContext';
import { useClient, useSession } from '../../session';
import { BoxMapView, MapLegend, type ColourBy } from './BoxMapView';
import { useRecordsSyncState } from '../../sync/recordSync';
import { CheckOutDialog, MoveBoxDialog, MoveTubeDialog } from './BoxDialogs';
import { RackScanPanel } from './RackScanPanel';
import { ScanField } from './ScanField';
import { EditBoxDialog, VoidStorageDialog } from './StorageEditDialogs';
import {
  diffByPosition,
  layoutLabel,
  occupancy,
  statusClass,
  statusLabel,
  typeClass,
} from './storageLabels';
import './storage.css';
import { LabelSheetDialog } from '../printing/LabelSheetDialog';

/** Set when a box barcode scanned in placement mode opens the next box: it opens placing. */
let carryPlacement = false;

/** The next box page opened starts placing (the Receiving screen's "place these tubes"). */
export function openNextBoxPlacing(): void {
  carryPlacement = true;
}

const RECEIVE_NEXT_STEP = 'Scan CONFIRM (or press Receive and place) to receive and place it.';

type Placed = {
  sampleId: string;
  code: string;
  /** Where it went in this box (null in a bag). */
  position: string | null;
  /** Where it was before: undo puts it back there. Null when it had no place in storage. */
  from: { boxId: string; boxName: string; position: string | null } | null;
};

/** A tube refused as not yet received, and the position it was going to. */
type Awaiting = { sample: SampleView; position: string | null };

type Dialog =
  | { kind: 'move-tube'; well: Well }
  | { kind: 'check-out'; well: Well }
  | { kind: 'move-box' }
  | { kind: 'edit-box' }
  | { kind: 'void-box' }
  | { kind: 'sheet'; labels: 'box' | 'tubes' }
  | null;

const WHERE = (p: string | null) => (p ? ` at ${p}` : '');

/** The box map, placement by scanning, moves, check-out and check-in, and rack-scan import. */
export function BoxPage({ boxId }: { boxId: string }) {
  const client = useClient();
  const { settings, can } = useSession();
  const navigate = useNavigate();
  const feedback = useScanFeedback();
  // Placing, moving, checking out and in and importing rack scans are `place_samples`.
  const handles = can('place_samples');

  const [map, setMapState] = useState<BoxMap | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const latest = useRef(0);
  const setMap = useCallback((m: BoxMap) => {
    latest.current += 1;
    setMapState(m);
    setLoadError(null);
  }, []);
  const reload = useCallback(async () => {
    const n = ++latest.current;
    try {
      const m = await client.run('get_box', { id: boxId });
      if (n === latest.current) {
        setMapState(m);
        setLoadError(null);
      }
    } catch (e: unknown) {
      if (n === latest.current) setLoadError(errorMessage(e));
    }
  }, [client, boxId]);

  useEffect(() => {
    void reload();
    return client.subscribe((event) => {
      if (event.type === 'storage_changed' && event.box_id === boxId) void reload();
    });
  }, [client, boxId, reload]);

  // Each tube's sync state (the audit trail names a tube by its code): a placement still
  // queued for the hub, or refused, looks different.
  const syncStates = useRecordsSyncState(
    'sample',
    useMemo(() => (map ? map.wells.map((w) => w.code) : []), [map]),
  );

  const [colourBy, setColourBy] = useState<ColourBy>('status');
  const [selected, setSelected] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [diff, setDiff] = useState<RackScanDiff | null>(null);

  // ---- placement by scanning
  const [placing, setPlacingState] = useState(() => {
    const carried = carryPlacement && handles;
    carryPlacement = false;
    return carried;
  });
  const placingRef = useRef(placing);
  const [target, setTargetState] = useState<string | null>(null);
  const targetRef = useRef<string | null>(null);
  const [session, setSessionState] = useState<Placed[]>([]);
  const sessionRef = useRef<Placed[]>([]);
  // A tube refused as not yet received, waiting for CONFIRM to receive and place it.
  const [awaiting, setAwaitingState] = useState<Awaiting | null>(null);
  const awaitingRef = useRef<Awaiting | null>(null);
  const [receiveAll, setReceiveAllState] = useState(false);
  const receiveAllRef = useRef(false);
  const [scanText, setScanText] = useState('');
  const scanInput = useRef<HTMLInputElement>(null);

  const setPlacing = (on: boolean) => {
    placingRef.current = on;
    setPlacingState(on);
    if (!on) {
      setTarget(null);
      setAwaiting(null);
    }
  };
  const setTarget = (p: string | null) => {
    targetRef.current = p;
    setTargetState(p);
  };
  const setSession = (s: Placed[]) => {
    sessionRef.current = s;
    setSessionState(s);
  };
  const setAwaiting = (a: Awaiting | null) => {
    awaitingRef.current = a;
    setAwaitingState(a);
  };
  const setReceiveAll = (on: boolean) => {
    receiveAllRef.current = on;
    setReceiveAllState(on);
  };

  // Placing starts with the focus in the scan field (also once the box has loaded, after the
  // page heading took it).
  const loaded = map !== null;
  useEffect(() => {
    if (placing && loaded) scanInput.current?.focus();
  }, [placing, loaded]);

  // The tube just placed stays in sight: at 1366×768 the lower rows of the map are below the
  // fold, and the technician's hands are on tubes, not the mouse.
  const lastPosition = session[session.length - 1]?.position ?? null;
  useEffect(() => {
    if (!lastPosition) return;
    document
      .querySelector(`[data-testid="box-map"] [data-position="${CSS.escape(lastPosition)}"]`)
      ?.scrollIntoView({ block: 'nearest' });
  }, [lastPosition, session.length]);

  // The offer to receive and place is brought into sight (its button may be below the fold).
  const offer = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (awaiting) offer.current?.scrollIntoView({ block: 'nearest' });
  }, [awaiting]);

  const { enqueue, pending } = useScanQueue((e: unknown) => feedback('refused', errorMessage(e)));

  async function placeTube(
    sample: SampleView,
    { receive, position }: { receive: boolean; position: string | null },
  ) {
    setAwaiting(null);
    const loc = sample.location;
    if (loc && loc.box_id === boxId) {
      feedback(
        'refused',
        `${sample.code} is already in this box${WHERE(loc.position)}. Nothing changed.`,
        'Scan the next tube.',
      );
      return;
    }
    let result: BoxMap;
    try {
      result = await client.run('place_samples', {
        box_id: boxId,
        tubes: [{ sample_id: sample.id, position }],
        source: 'scan',
        receive,
      });
    } catch (e: unknown) {
      if (!receive && errorCode(e) === 'not_received') {
        setAwaiting({ sample, position });
        feedback(
          'refused',
          `${sample.code} has not been received yet, so it was not placed.`,
          RECEIVE_NEXT_STEP,
        );
        return;
      }
      feedback('refused', `${sample.code} was not placed: ${errorMessage(e)}`);
      return;
    }
    setMap(result);
    const at = result.wells.find((w) => w.sample_id === sample.id)?.position ?? null;
    setSession([
      ...sessionRef.current,
      {
        sampleId: sample.id,
        code: sample.code,
        position: at,
        from: loc ? { boxId: loc.box_id, boxName: loc.box_name, position: loc.position } : null,
      },
    ]);
    setTarget(null);
    setSelected(at);
    const moved = loc ? ` (moved from box ${loc.box_name}${WHERE(loc.position)})` : '';
    const received = sample.status === 'collected' || sample.status === 'in_transit';
    feedback(
      'accepted',
      `${sample.code} ${received ? 'received and placed' : 'placed'}${WHERE(at)}${moved}.`,
    );
  }

  async function undoLast() {
    const last = sessionRef.current[sessionRef.current.length - 1];
    if (!last) {
      feedback(
        'refused',
        'Nothing was placed in this session, so there is nothing to undo.',
        'Scan a tube to place it.',
      );
      return;
    }
    if (!last.from) {
      feedback(
        'refused',
        `${last.code} had no place in storage before, and a tube cannot be taken back out of storage.`,
        `Leave it${WHERE(last.position)}, or move it to another box from its well.`,
      );
      return;
    }
    try {
      await client.run('place_samples', {
        box_id: last.from.boxId,
        tubes: [{ sample_id: last.sampleId, position: last.from.position }],
        source: 'manual',
        receive: false,
      });
    } catch (e: unknown) {
      feedback('refused', `${last.code} could not be put back: ${errorMessage(e)}`);
      return;
    }
    setSession(sessionRef.current.filter((p) => p !== last));
    await reload();
    feedback(
      'accepted',
      `Undone: ${last.code} is back in box ${last.from.boxName}${WHERE(last.from.position)}.`,
    );
  }

  async function placementScan(scan: Scan) {
    // CONFIRM answers the tube waiting to be received; any other scan leaves it unplaced.
    const waiting = awaitingRef.current;
    if (waiting && scan.command !== 'confirm') setAwaiting(null);
    if (waiting && scan.command === 'cancel') {
      feedback(
        'accepted',
        `${waiting.sample.code} was not placed and is still not received. Scan the next tube.`,
      );
      return;
    }
    switch (scan.command) {
      case 'undo':
        await undoLast();
        return;
      case 'cancel':
        setPlacing(false);
        feedback('accepted', `Placing finished: ${sessionRef.current.length} placed in this box.`);
        return;
      case 'next_box':
        feedback('accepted', 'Scan the barcode of the next box.');
        return;
      case 'confirm':
        if (waiting) {
          await placeTube(waiting.sample, { receive: true, position: waiting.position });
          return;
        }
        feedback('accepted', 'Each tube is saved as it is scanned: nothing waits for a confirm.');
        return;
      case null:
        break;
    }
    const code = scan.text.trim();
    if (!code) return;
    const found = await client.run('lookup_scan', { code });
    switch (found.kind) {
      case 'sample':
        await placeTube(found.sample, {
          receive: receiveAllRef.current,
          position: targetRef.current,
        });
        return;
      case 'box':
        if (found.storage_box.id === boxId) {
          feedback('accepted', `This is box ${found.storage_box.name}. Scan a tube to place it.`);
          return;
        }
        carryPlacement = true;
        // Navigate first: the feedback belongs to the box it opens.
        navigate({ page: 'box', id: found.storage_box.id });
        feedback('accepted', `Next box: ${found.storage_box.name}. Scan its tubes.`);
        return;
      case 'participant':
        feedback(
          'refused',
          `${found.participant.code} is a participant's code, not a tube. Nothing was placed.`,
          "Scan the tube's own label.",
        );
        return;
      case 'plate':
        feedback(
          'refused',
          `${found.plate.name} is a plate's label, not a tube. Nothing was placed.`,
          "Scan the tube's own label.",
        );
        return;
      case 'unknown':
        feedback(
          'unknown',
          `No tube has the code ${found.code}. Nothing was placed.`,
          'Check the label, or register the tube first.',
        );
        return;
    }
  }

  useScanHandler((scan) => {
    if (!placingRef.current) return false;
    enqueue(() => placementScan(scan));
    return true;
  });

  function submitScanField(e: FormEvent) {
    e.preventDefault();
    const text = scanText.trim();
    setScanText('');
    if (!text) return;
    enqueue(() => placementScan({ text, source: 'keyboard', command: commandOf(text) }));
  }

  // ---- selection
  const wells = map?.wells ?? [];
  const selectedWell =
    selected === null
      ? null
      : (wells.find(
          (w) => w.position === selected || (w.position === null && w.sample_id === selected),
        ) ?? null);

  function onSelectWell(position: string, well: Well | null) {
    if (placing && !well) {
      setTarget(target === position ? null : position);
      setSelected(null);
      return;
    }
    setSelected(position);
  }

  if (!map) {
    return (
      <section>
        <PageHeading>Box</PageHeading>
        <ErrorAlert message={loadError} />
        {!loadError && <p className="muted">Loading the box…</p>}
        <button
          type="button"
          className="button button-secondary"
          onClick={() => navigate({ page: 'storage' })}
        >
          Back to storage
        </button>
      </section>
    );
  }

  const box = map.storage_box;
  const isGrid = box.layout.kind === 'grid';
  const diffCells = diff ? diffByPosition(diff) : null;
  const strategy =
    settings?.auto_position === 'keep_participant_together'
      ? "beside the participant's other tubes (the first one where all of them fit)"
      : 'to the first free position';
  const lastPlaced = session[session.length - 1];

  return (
    <section className="box-page">
      <PageHeading>Box {box.name}</PageHeading>
      <dl className="facts box-facts">
        <dt>Barcode</dt>
        <dd>{box.barcode}</dd>
        <dt>Where</dt>
        <dd>
          {box.freezer} › {box.rack}
        </dd>
        <dt>Layout</dt>
        <dd>
          {box.box_type} · {layoutLabel(box.layout)}
        </dd>
        <dt>Occupied</dt>
        <dd data-testid="box-occupancy">
          {occupancy(box)}
          {!box.has_space && ' · full'}
        </dd>
      </dl>

      <div className="toolbar">
        <button
          type="button"
          className="button button-secondary"
          onClick={() => navigate({ page: 'storage' })}
        >
          ← Storage
        </button>
        {handles && !placing && (
          <button type="button" className="button button-primary" onClick={() => setPlacing(true)}>
            Place tubes
          </button>
        )}
        {can('manage_storage') && (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => setDialog({ kind: 'move-box' })}
          >
            Move this box…
          </button>
        )}
        {can('manage_storage') && (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => setDialog({ kind: 'edit-box' })}
          >
            Edit this box…
          </button>
        )}
        {can('manage_storage') && (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => setDialog({ kind: 'void-box' })}
          >
            Void this box…
          </button>
        )}
        {can('print_labels') && (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => setDialog({ kind: 'sheet', labels: 'box' })}
          >
            Box label on a sheet…
          </button>
        )}
        {can('print_labels') && box.occupied > 0 && (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => setDialog({ kind: 'sheet', labels: 'tubes' })}
          >
            Tube labels on a sheet…
          </button>
        )}
      </div>
      <StatusMessage message={notice} testId="box-notice" />
      <ErrorAlert message={loadError} />

      <div className="box-layout">
        <div className="box-map-column">
          <div className="toolbar colour-toggle" role="group" aria-label="Colour the wells by">
            <span className="muted">Colour by:</span>
            {(['status', 'type'] as const).map((c) => (
              <button
                key={c}
                type="button"
                className={`button button-small ${colourBy === c ? 'button-primary' : 'button-secondary'}`}
                aria-pressed={colourBy === c}
                onClick={() => setColourBy(c)}
              >
                {c === 'status' ? 'Status' : 'Sample type'}
              </button>
            ))}
            {diff && (
              <button
                type="button"
                className={`button button-small ${colourBy === 'diff' ? 'button-primary' : 'button-secondary'}`}
                aria-pressed={colourBy === 'diff'}
                onClick={() => setColourBy('diff')}
              >
                Rack scan
              </button>
            )}
          </div>
          {isGrid ? (
            <BoxMapView
              map={map}
              colourBy={colourBy}
              selected={selected}
              target={target}
              placed={session.map((p) => p.position).filter((p): p is string => p !== null)}
              diff={colourBy === 'diff' ? diffCells : null}
              syncStates={syncStates}
              onSelect={onSelectWell}
            />
          ) : (
            <BagList map={map} selected={selected} onSelect={setSelected} colourBy={colourBy} />
          )}
          <MapLegend map={map} colourBy={colourBy} syncStates={syncStates} />
        </div>

        <div className="box-side">
          {placing && (
            <div className="placement-panel" data-testid="placement-panel">
              <h2>Place tubes in {box.name}</h2>
              <form onSubmit={submitScanField} className="placement-form">
                <ScanField
                  id="placement-scan"
                  label="Scan a tube"
                  value={scanText}
                  onChange={setScanText}
                  large
                  inputRef={scanInput}
                  hint="Or type the code and press Enter. A box barcode opens that box; UNDO takes back the last tube; CANCEL stops placing."
                />
                <button type="submit" className="button button-primary">
                  Place
                </button>
              </form>
              {awaiting && (
                <div
                  ref={offer}
                  className="receive-and-place"
                  role="alert"
                  data-testid="receive-and-place"
                >
                  <p>
                    <strong>{awaiting.sample.code}</strong> has not been received yet.
                  </p>
                  <p data-next-step="">{RECEIVE_NEXT_STEP}</p>
                  <button
                    type="button"
                    className="button button-primary"
                    onClick={() => {
                      const { sample, position } = awaiting;
                      enqueue(() => placeTube(sample, { receive: true, position }));
                    }}
                  >
                    Receive and place
                  </button>
                </div>
              )}
              <div className="field field-checkbox">
                <input
                  id="placement-receive"
                  type="checkbox"
                  checked={receiveAll}
                  onChange={(e) => setReceiveAll(e.target.checked)}
                />
                <label htmlFor="placement-receive">Receive tubes as they are placed</label>
              </div>
              <p className="placement-next" data-testid="placement-next" aria-live="polite">
                {pending > 0 ? (
                  <strong>Placing…</strong>
                ) : target ? (
                  <>
                    Next tube goes to <strong>{target}</strong>.{' '}
                    <button
                      type="button"
                      className="button button-link"
                      onClick={() => setTarget(null)}
                    >
                      Use the automatic position
                    </button>
                  </>
                ) : isGrid ? (
                  <>
                    Next tube goes {strategy} (lab setting). Click a free well to choose it instead.
                  </>
                ) : (
                  <>Tubes in a bag have no position.</>
                )}
              </p>
              <div className="form-actions">
                <button
                  type="button"
                  className="button button-secondary"
                  disabled={session.length === 0}
                  onClick={() => enqueue(undoLast)}
                >
                  Undo last{lastPlaced ? ` (${lastPlaced.code})` : ''}
                </button>
                <button
                  type="button"
                  className="button button-secondary"
                  onClick={() => setPlacing(false)}
                >
                  Finish placing
                </button>
              </div>
              <h3>Placed this session</h3>
              {session.length === 0 ? (
                <p className="muted">Nothing yet. Scan the first tube.</p>
              ) : (
                <ol className="placed-list" data-testid="placed-list" reversed>
                  {[...session].reverse().map((p) => (
                    <li key={p.sampleId}>
                      <strong>{p.code}</strong>
                      {p.position ? ` → ${p.position}` : ''}
                      {p.from && (
                        <span className="muted">
                          {' '}
                          (from {p.from.boxName}
                          {WHERE(p.from.position)})
                        </span>
                      )}
                    </li>
                  ))}
                </ol>
              )}
            </div>
          )}

          <aside className="well-detail" aria-label="Selected well" data-testid="well-detail">
            {selectedWell ? (
              <WellDetail
                well={selectedWell}
                handles={handles}
                onOpen={() => navigate({ page: 'sample', id: selectedWell.sample_id })}
                onMove={() => setDialog({ kind: 'move-tube', well: selectedWell })}
                onCheckOut={() => setDialog({ kind: 'check-out', well: selectedWell })}
                onCheckIn={async () => {
                  try {
                    await client.run('check_in_samples', { sample_ids: [selectedWell.sample_id] });
                    setNotice(`${selectedWell.code} checked in.`);
                    await reload();
                  } catch (e: unknown) {
                    setNotice(null);
                    setLoadError(errorMessage(e));
                  }
                }}
              />
            ) : selected && isGrid ? (
              <>
                <h2>Position {selected}</h2>
                <p>This position is empty.</p>
                {handles && (
                  <button
                    type="button"
                    className="button button-secondary"
                    onClick={() => {
                      setPlacing(true);
                      setTarget(selected);
                      setSelected(null);
                    }}
                  >
                    Place the next scanned tube here
                  </button>
                )}
              </>
            ) : (
              <p className="muted">
                {placing && isGrid
                  ? 'Click a tube to see it, or a free well to put the next tube there.'
                  : 'Click a well to see its tube.'}
              </p>
            )}
          </aside>
        </div>
      </div>

      {isGrid && (
        <RackScanPanel
          box={box}
          canImport={handles}
          diff={diff}
          onDiff={(d) => {
            setDiff(d);
            setColourBy(d ? 'diff' : 'status');
          }}
          onImported={(m, placed) => {
            setMap(m);
            setDiff(null);
            setColourBy('status');
            setNotice(
              placed === 0
                ? 'Rack scan imported: the box already matched, nothing changed.'
                : `Rack scan imported: ${placed} ${placed === 1 ? 'tube' : 'tubes'} placed or moved.`,
            );
          }}
        />
      )}

      {dialog?.kind === 'move-tube' && (
        <MoveTubeDialog
          well={dialog.well}
          fromBox={box}
          onClose={() => setDialog(null)}
          onDone={(message) => {
            setDialog(null);
            setSelected(null);
            setNotice(message);
            void reload();
          }}
        />
      )}
      {dialog?.kind === 'check-out' && (
        <CheckOutDialog
          well={dialog.well}
          onClose={() => setDialog(null)}
          onDone={(message) => {
            setDialog(null);
            setNotice(message);
            void reload();
          }}
        />
      )}
      {dialog?.kind === 'edit-box' && (
        <EditBoxDialog
          storageBox={box}
          onClose={() => setDialog(null)}
          onDone={(edited) => {
            setDialog(null);
            setNotice(`Box ${edited.name} saved (barcode ${edited.barcode}).`);
            void reload();
          }}
        />
      )}
      {dialog?.kind === 'sheet' && (
        <LabelSheetDialog
          labels={
            dialog.labels === 'box'
              ? { group: 'boxes', box_ids: [box.id] }
              : { group: 'box_contents', box_id: box.id }
          }
          kind={dialog.labels === 'box' ? 'box' : 'sample'}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog?.kind === 'void-box' && (
        <VoidStorageDialog
          target={{ kind: 'box', id: box.id }}
          name={box.name}
          onClose={() => setDialog(null)}
          onDone={() => navigate({ page: 'storage' })}
        />
      )}
      {dialog?.kind === 'move-box' && (
        <MoveBoxDialog
          box={box}
          onClose={() => setDialog(null)}
          onDone={(moved) => {
            setDialog(null);
            setNotice(`Box ${moved.name} moved to ${moved.freezer} › ${moved.rack}.`);
            void reload();
          }}
        />
      )}
    </section>
  );
}

function WellDetail({
  well,
  handles,
  onOpen,
  onMove,
  onCheckOut,
  onCheckIn,
}: {
  well: Well;
  handles: boolean;
  onOpen: () => void;
  onMove: () => void;
  onCheckOut: () => void;
  onCheckIn: () => void;
}) {
  const { sampleTypeLabel } = useSession();
  return (
    <>
      <h2>{well.position ? `Position ${well.position}` : 'Tube in the bag'}</h2>
      <dl className="facts">
        <dt>Code</dt>
        <dd data-testid="well-code">{well.code}</dd>
        <dt>Type</dt>
        <dd>{sampleTypeLabel(well.sample_type)}</dd>
        <dt>Participant</dt>
        <dd>{well.participant_code}</dd>
        <dt>Status</dt>
        <dd>
          <span className={`pill status-pill ${statusClass(well.status)}`}>
            {statusLabel(well.status)}
          </span>
        </dd>
      </dl>
      <div className="well-actions">
        <a
          className="button button-secondary"
          href={`#/sample/${encodeURIComponent(well.sample_id)}`}
          onClick={(e) => {
            e.preventDefault();
            onOpen();
          }}
        >
          Open sample {well.code}
        </a>
        {handles && (
          <button type="button" className="button button-secondary" onClick={onMove}>
            Move to another box…
          </button>
        )}
        {handles && well.status === 'stored' && (
          <button type="button" className="button button-secondary" onClick={onCheckOut}>
            Check out…
          </button>
        )}
        {handles && well.status === 'checked_out' && (
          <button type="button" className="button button-primary" onClick={onCheckIn}>
            Check in
          </button>
        )}
      </div>
    </>
  );
}

function BagList({
  map,
  selected,
  onSelect,
  colourBy,
}: {
  map: BoxMap;
  selected: string | null;
  onSelect: (sampleId: string) => void;
  colourBy: ColourBy;
}) {
  const { sampleTypeLabel } = useSession();
  if (map.wells.length === 0) {
    return (
      <p className="empty-state">This bag is empty. Use Place tubes and scan tubes into it.</p>
    );
  }
  return (
    <div className="table-wrap">
      <table className="data-table" data-testid="bag-list">
        <caption className="visually-hidden">Tubes in {map.storage_box.name}</caption>
        <thead>
          <tr>
            <th scope="col">Code</th>
            <th scope="col">Type</th>
            <th scope="col">Participant</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {map.wells.map((w) => (
            <tr key={w.sample_id} className={selected === w.sample_id ? 'row-selected' : undefined}>
              <td>
                <button
                  type="button"
                  className="button button-link"
                  data-code={w.code}
                  aria-pressed={selected === w.sample_id}
                  onClick={() => onSelect(w.sample_id)}
                >
                  {w.code}
                </button>
              </td>
              <td>
                <span
                  className={`legend-swatch well ${colourBy === 'type' ? typeClass(w.sample_type) : ''}`}
                  aria-hidden="true"
                />{' '}
                {sampleTypeLabel(w.sample_type)}
              </td>
              <td>{w.participant_code}</td>
              <td>
                <span className={`pill status-pill ${statusClass(w.status)}`}>
                  {statusLabel(w.status)}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
