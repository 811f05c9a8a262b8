import { useRef, useState, type ChangeEvent } from 'react';
import type {
  FillOrder,
  ImportPreview,
  PlateMap,
  PlateRecord,
  PlateWell,
  RunRecord,
} from '../../api/types';
import { ErrorAlert, PageHeading, SelectField, StatusMessage } from '../../components/forms';
import { Pager } from '../../components/Pager';
import { ReasonDialog } from '../../components/ReasonDialog';
import { errorMessage } from '../../lib/errors';
import { useAsyncData } from '../../lib/useAsyncData';
import { useClient, useSession } from '../../session';
import { ScanField } from '../storage/ScanField';
import {
  matchLabel,
  plateShape,
  readingText,
  roleLabel,
  rowName,
  stateLabel,
  verdictLabel,
} from './runWords';
import { FILL_ORDER_LABELS } from '../settingsForm';
import './runs.css';

/**
 * One run: its plates, each a map you read at a glance (tube, control, standard, blank, empty,
 * value and flag per well), filled by scanning tubes; the plate map exported for the
 * instrument; the result file previewed against the map and imported; QC's verdict, and a lab
 * manager's release or repeat of a run QC held.
 */
export function RunPage({ runId }: { runId: string }) {
  const client = useClient();
  const { can } = useSession();
  const run = useAsyncData(() => client.run('get_run', { id: runId }), [client, runId]);
  const plates = useAsyncData(
    () => client.run('list_plates', { run_id: runId, page: 1, per_page: 40 }),
    [client, runId],
  );
  const [plateId, setPlateId] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [deciding, setDeciding] = useState<'release' | 'repeat' | null>(null);
  const [importsGeneration, setImportsGeneration] = useState(0);
  const r = run.data;
  const plate: PlateRecord | undefined =
    plates.data?.items.find((p) => p.id === plateId) ?? plates.data?.items[0];
  const refresh = () => {
    run.reload();
    plates.reload();
    setImportsGeneration((g) => g + 1);
  };
  return (
    <section className="run-page" data-testid="run-page">
      <PageHeading>{r ? `Run ${r.name}` : 'Run'}</PageHeading>
      <ErrorAlert message={run.error ?? plates.error} />
      {r && <RunSummary run={r} />}
      <StatusMessage message={notice} testId="run-notice" />
      {r && r.state === 'held' && can('decide_runs') && (
        <div className="toolbar" data-testid="held-actions">
          <button type="button" className="button" onClick={() => setDeciding('release')}>
            Release the results
          </button>
          <button
            type="button"
            className="button button-danger"
            onClick={() => setDeciding('repeat')}
          >
            Repeat the run
          </button>
        </div>
      )}
      {plates.data && plates.data.items.length > 1 && (
        <div className="plate-tabs" role="group" aria-label="Plates of the run">
          {plates.data.items.map((p) => (
            <button
              key={p.id}
              type="button"
              className="button"
              aria-pressed={plate?.id === p.id}
              onClick={() => setPlateId(p.id)}
            >
              {p.name}
            </button>
          ))}
        </div>
      )}
      {r && plate && (
        <PlatePanel
          key={`${plate.id}-${importsGeneration}`}
          run={r}
          plate={plate}
          mayFill={can('run_instruments') && r.state === 'planned'}
          onChanged={() => plates.reload()}
        />
      )}
      {r &&
        can('run_instruments') &&
        (r.state === 'planned' || r.state === 'resulted' || r.state === 'held') && (
          <ImportPanel
            run={r}
            onImported={(message) => {
              setNotice(message);
              refresh();
            }}
          />
        )}
      {r && <ImportHistory key={importsGeneration} runId={r.id} />}
      {r && deciding && (
        <ReasonDialog
          id="decide-run"
          title={deciding === 'release' ? 'Release the held results' : 'Repeat the run'}
          reasonLabel="Reason (kept in the audit trail)"
          hint={
            deciding === 'release'
              ? 'Why the controls do not invalidate these patient results.'
              : 'Why the run must be repeated; its results are withdrawn.'
          }
          missing="Say why: it is recorded with the decision."
          busyLabel="Recording…"
          action={deciding === 'release' ? 'Release' : 'Repeat the run'}
          run={(reason) => client.run('decide_run', { run_id: r.id, decision: deciding, reason })}
          onClose={() => setDeciding(null)}
          onDone={(updated: RunRecord) => {
            setDeciding(null);
            setNotice(`Run ${updated.name}: ${stateLabel(updated.state).toLowerCase()}.`);
            refresh();
          }}
        >
          <p>{verdictLabel(r.qc_verdict, r.qc_rules)}</p>
        </ReasonDialog>
      )}
    </section>
  );
}

function RunSummary({ run }: { run: RunRecord }) {
  return (
    <dl className="run-summary" data-testid="run-summary" data-state={run.state}>
      <dt>Instrument</dt>
      <dd>{run.instrument_name}</dd>
      <dt>Stands</dt>
      <dd data-testid="run-state">{stateLabel(run.state)}</dd>
      <dt>QC</dt>
      <dd data-testid="run-qc">
        {run.state === 'planned' ? 'No results yet' : verdictLabel(run.qc_verdict, run.qc_rules)}
        {run.qc_note && <span className="qc-note"> {run.qc_note}</span>}
      </dd>
      {run.decision_reason && (
        <>
          <dt>Decision</dt>
          <dd>{run.decision_reason}</dd>
        </>
      )}
    </dl>
  );
}

/** A plate: its map, the scan-to-fill form while the run is planned, and its map's export. */
function PlatePanel({
  run,
  plate,
  mayFill,
  onChanged,
}: {
  run: RunRecord;
  plate: PlateRecord;
  mayFill: boolean;
  onChanged: () => void;
}) {
  const client = useClient();
  const { can } = useSession();
  const loaded = useAsyncData(
    () => client.run('get_plate_map', { id: plate.id }),
    [client, plate.id],
  );
  const [map, setMap] = useState<PlateMap | null>(null);
  const current = map ?? loaded.data;
  const [code, setCode] = useState('');
  // The lab's order (Settings) until this scan loop chooses another.
  const [order, setOrder] = useState<FillOrder | null>(null);
  const [startWell, setStartWell] = useState<string | null>(null);
  const [selected, setSelected] = useState<PlateWell | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [clearing, setClearing] = useState<string | null>(null);
  const scanRef = useRef<HTMLInputElement>(null);

  async function fill() {
    const scanned = code.trim();
    if (!scanned) return;
    setError(null);
    try {
      const next = await client.run('fill_well', {
        plate_id: plate.id,
        code: scanned,
        ...(order ? { order } : {}),
        ...(startWell ? { well: startWell } : {}),
      });
      const placed = next.wells.find((w) => w.sample_code?.toUpperCase() === scanned.toUpperCase());
      setMap(next);
      setError(null);
      setMessage(`${placed?.sample_code ?? scanned} → ${placed?.well ?? '?'}`);
      setStartWell(null);
      setCode('');
      onChanged();
    } catch (e: unknown) {
      const why = errorMessage(e);
      setMessage(null);
      setError(why.includes(scanned) ? why : `${scanned}: ${why}`);
      setCode('');
    }
    scanRef.current?.focus();
  }

  async function printLabel() {
    setError(null);
    try {
      const job = await client.run('print_labels', {
        labels: { group: 'plates', plate_ids: [plate.id] },
      });
      setMessage(`Label of ${plate.name} sent to ${job.printer}.`);
    } catch (e: unknown) {
      setError(errorMessage(e));
    }
  }

  async function exportMap(style: 'gen5_layout' | 'well_list') {
    setError(null);
    try {
      const file = await client.run('export_plate_map', { plate_id: plate.id, style });
      const url = URL.createObjectURL(new Blob([file.text], { type: 'text/csv' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = file.file_name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setMessage(`Saved ${file.file_name}.`);
    } catch (e: unknown) {
      setError(errorMessage(e));
    }
  }

  return (
    <div className="card plate-panel" data-testid="plate-panel" data-plate={plate.name}>
      <h2>
        Plate {plate.name} <span className="hint">({plate.format} wells)</span>
      </h2>
      <ErrorAlert message={loaded.error ?? error} testId="plate-error" />
      <StatusMessage message={message} testId="plate-message" />
      {mayFill && (
        <form
          className="fill-form"
          onSubmit={(e) => {
            e.preventDefault();
            void fill();
          }}
        >
          <ScanField
            id="plate-scan"
            label={startWell ? `Scan the tube for ${startWell}` : 'Scan a tube'}
            value={code}
            onChange={setCode}
            autoFocus
            large
            inputRef={scanRef}
            testId="plate-scan"
            hint="Each tube goes to the next free well in the order below; click a well to put the next tube there."
          />
          <SelectField
            id="plate-order"
            label="Fill order"
            value={order ?? ''}
            onChange={(v) => setOrder(v === '' ? null : v)}
            options={[
              { value: '' as const, label: 'The lab’s order (Settings)' },
              { value: 'columns' as const, label: FILL_ORDER_LABELS.columns },
              { value: 'rows' as const, label: FILL_ORDER_LABELS.rows },
            ]}
          />
        </form>
      )}
      {current && (
        <PlateGrid
          map={current}
          selected={startWell ?? selected?.well ?? null}
          onWell={(name, well) => {
            if (mayFill && !well) {
              setStartWell(name);
              setSelected(null);
              scanRef.current?.focus();
            } else {
              setSelected(well);
              setStartWell(null);
            }
          }}
        />
      )}
      {selected && (
        <div className="well-detail" data-testid="well-detail">
          <h3>
            {selected.well}: {roleLabel(selected.role)}{' '}
            {selected.sample_code ?? selected.control_label ?? selected.standard_name ?? ''}
          </h3>
          {selected.values.length === 0 ? (
            <p className="hint">No value yet.</p>
          ) : (
            <ul>
              {selected.values.map((v, i) => (
                <li key={i}>
                  {v.read}: {readingText(v.value)} {v.unit ?? ''}
                  {v.z_score !== null && ` (${v.z_score.toFixed(2)} SD from target)`}
                </li>
              ))}
            </ul>
          )}
          {mayFill && (
            <button type="button" className="button" onClick={() => setClearing(selected.well)}>
              Take off the plate
            </button>
          )}
        </div>
      )}
      <div className="toolbar">
        <button type="button" className="button" onClick={() => void exportMap('gen5_layout')}>
          Export plate map for Gen5
        </button>
        <button type="button" className="button" onClick={() => void exportMap('well_list')}>
          Export plate map as a well list
        </button>
        {can('print_labels') && (
          <button type="button" className="button" onClick={() => void printLabel()}>
            Print the plate’s label
          </button>
        )}
      </div>
      {clearing && (
        <ReasonDialog
          id="clear-well"
          title={`Take ${clearing} off ${plate.name}`}
          reasonLabel="Reason"
          hint="A wrong tube scanned, a cracked tube…"
          missing="Say why the well is emptied."
          busyLabel="Taking off…"
          action="Take off"
          run={(reason) => client.run('clear_well', { plate_id: plate.id, well: clearing, reason })}
          onClose={() => setClearing(null)}
          onDone={(next: PlateMap) => {
            setMap(next);
            setSelected(null);
            setClearing(null);
            setMessage(`${clearing} emptied.`);
            onChanged();
          }}
        >
          <p>Run {run.name}</p>
        </ReasonDialog>
      )}
    </div>
  );
}

/** The plate as a grid: each well's role by shape and letter as well as colour, and its flag. */
function PlateGrid({
  map,
  selected,
  onWell,
}: {
  map: PlateMap;
  selected: string | null;
  onWell: (name: string, well: PlateWell | null) => void;
}) {
  const { rows, columns } = plateShape(map.plate.format);
  const byName = new Map(map.wells.map((w) => [w.well, w]));
  const dense = columns > 12;
  return (
    <div className="table-wrap">
      <table className={`plate-grid${dense ? ' plate-grid-dense' : ''}`} data-testid="plate-grid">
        <caption className="visually-hidden">Plate {map.plate.name}</caption>
        <thead>
          <tr>
            <td />
            {Array.from({ length: columns }, (_, c) => (
              <th scope="col" key={c}>
                {c + 1}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {Array.from({ length: rows }, (_, r) => (
            <tr key={r}>
              <th scope="row">{rowName(r)}</th>
              {Array.from({ length: columns }, (_, c) => {
                const name = `${rowName(r)}${c + 1}`;
                const w = byName.get(name) ?? null;
                const flagged = w?.values.some((v) => v.value.kind !== 'number') ?? false;
                const label = w
                  ? `${name}: ${roleLabel(w.role)} ${w.sample_code ?? w.control_label ?? w.standard_name ?? ''}${
                      w.values.length
                        ? `, ${w.values.map((v) => readingText(v.value)).join(', ')}`
                        : ''
                    }`
                  : `${name}: empty`;
                return (
                  <td key={c}>
                    <button
                      type="button"
                      className={`plate-well plate-well-${w?.role ?? 'empty'}${flagged ? ' plate-well-flagged' : ''}${
                        w?.values.length ? ' plate-well-resulted' : ''
                      }`}
                      aria-label={label}
                      aria-pressed={selected === name}
                      title={label}
                      data-well={name}
                      data-role={w?.role ?? 'empty'}
                      onClick={() => onWell(name, w)}
                    >
                      {dense ? '' : wellMark(w)}
                    </button>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="plate-legend">
        S sample · C control · Std standard · B blank · empty wells blank · ! a flagged or censored
        value · a filled dot: a value read
      </p>
    </div>
  );
}

function wellMark(w: PlateWell | null): string {
  if (!w) return '';
  const flag = w.values.some((v) => v.value.kind !== 'number') ? '!' : '';
  const dot = w.values.length ? '•' : '';
  switch (w.role) {
    case 'sample':
      return `S${dot}${flag}`;
    case 'control':
      return `C${dot}${flag}`;
    case 'standard':
      return `Std${flag}`;
    case 'blank':
      return `B${flag}`;
  }
}

/** A result file chosen, previewed against the plate map, then imported in one step. */
function ImportPanel({
  run,
  onImported,
}: {
  run: RunRecord;
  onImported: (message: string) => void;
}) {
  const client = useClient();
  // The file to import: one chosen here, or one the watch folder took.
  const [file, setFile] = useState<
    { name: string; base64: string } | { name: string; watchedId: number } | null
  >(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [page, setPage] = useState(1);
  const [generation, setGeneration] = useState(0);

  async function choose(e: ChangeEvent<HTMLInputElement>) {
    const chosen = e.target.files?.[0];
    setPreview(null);
    setError(null);
    if (!chosen) return;
    const bytes = new Uint8Array(await chosen.arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    const picked = { name: chosen.name, base64: btoa(binary) };
    setFile(picked);
    setBusy(true);
    try {
      setPreview(
        await client.run('preview_import', {
          run_id: run.id,
          file_name: picked.name,
          file_base64: picked.base64,
        }),
      );
      setPage(1);
    } catch (err: unknown) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function previewWatched(id: number, name: string) {
    setPreview(null);
    setError(null);
    setFile({ name, watchedId: id });
    setBusy(true);
    try {
      setPreview(await client.run('preview_watched_file', { run_id: run.id, file_id: id }));
      setPage(1);
    } catch (err: unknown) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function importFile() {
    if (!file || !preview) return;
    if (preview.supersedes && !reason.trim()) {
      setError('This run has results already: say why this file replaces them.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const because = preview.supersedes ? { reason: reason.trim() } : {};
      const outcome =
        'watchedId' in file
          ? await client.run('import_watched_file', {
              run_id: run.id,
              file_id: file.watchedId,
              ...because,
            })
          : await client.run('import_results', {
              run_id: run.id,
              file_name: file.name,
              file_base64: file.base64,
              ...because,
            });
      if (outcome.outcome === 'already_imported') {
        onImported(`${file.name} was imported already; nothing changed.`);
      } else {
        onImported(
          `${file.name} imported: ${outcome.counts.samples} tube values, ${outcome.counts.controls} control values. ${verdictLabel(outcome.run.qc_verdict, outcome.run.qc_rules)}.`,
        );
      }
      setPreview(null);
      setFile(null);
      setReason('');
      setGeneration((g) => g + 1);
    } catch (err: unknown) {
      setError(`Nothing was imported: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  const PER = 50;
  const rows = preview?.rows ?? [];
  const shown = rows.slice((page - 1) * PER, page * PER);
  const pages = Math.max(1, Math.ceil(rows.length / PER));
  return (
    <div className="card import-panel" data-testid="import-panel">
      <h2>Import the result file</h2>
      <div className="field">
        <label htmlFor="result-file">Result file from {run.instrument_name}</label>
        <input id="result-file" type="file" onChange={(e) => void choose(e)} />
      </div>
      <WaitingFiles
        run={run}
        onPreview={(id, name) => void previewWatched(id, name)}
        generation={generation}
      />
      <ErrorAlert message={error} testId="import-error" />
      {busy && <p className="hint">Working…</p>}
      {preview && (
        <div data-testid="import-preview">
          {preview.already_imported && (
            <p className="alert alert-error" data-testid="already-imported">
              This very file was imported into this run on{' '}
              {new Date(preview.already_imported.imported_at).toLocaleString()}: importing it again
              changes nothing.
            </p>
          )}
          <p data-testid="preview-counts">
            {preview.counts.values} values: {preview.counts.samples} matched to tubes,{' '}
            {preview.counts.controls} controls, {preview.counts.standards_and_blanks} standards and
            blanks, {preview.counts.no_sample_there} in wells with no sample,{' '}
            {preview.counts.not_on_plate + preview.counts.unknown_plate} not on this run,{' '}
            {preview.counts.flagged} flagged.
          </p>
          <div className="table-wrap">
            <table className="data-table" data-testid="preview-table">
              <caption className="visually-hidden">Values of {preview.file_name}</caption>
              <thead>
                <tr>
                  <th scope="col">Where</th>
                  <th scope="col">Read</th>
                  <th scope="col">Value</th>
                  <th scope="col">Against the plate map</th>
                  <th scope="col">Tube</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((row, i) => (
                  <tr
                    key={i}
                    data-position={row.position}
                    data-match={row.matched}
                    className={row.flagged ? 'row-flagged' : undefined}
                  >
                    <td>
                      {row.plate_name ? `${row.plate_name} ` : ''}
                      {row.well ?? row.position}
                    </td>
                    <td>{row.read}</td>
                    <td>
                      {readingText(row.value)} {row.unit ?? ''}
                    </td>
                    <td>{matchLabel(row.matched)}</td>
                    <td>{row.sample_code ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {pages > 1 && (
            <Pager
              label="Preview pages"
              page={page}
              totalPages={pages}
              total={rows.length}
              onPage={setPage}
              disabled={busy}
            />
          )}
          {preview.supersedes && !preview.already_imported && (
            <div className="field">
              <label htmlFor="import-reason">Why this file replaces the run’s results</label>
              <input
                id="import-reason"
                type="text"
                value={reason}
                onChange={(e) => setReason(e.target.value)}
              />
            </div>
          )}
          {!preview.already_imported && (
            <button
              type="button"
              className="button button-primary"
              disabled={busy}
              onClick={() => void importFile()}
            >
              Import{' '}
              {preview.counts.samples +
                preview.counts.controls +
                preview.counts.standards_and_blanks}{' '}
              values
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** Files the instrument's watch folder took that wait for a technician to import them. */
function WaitingFiles({
  run,
  onPreview,
  generation,
}: {
  run: RunRecord;
  onPreview: (id: number, name: string) => void;
  generation: number;
}) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const waiting = useAsyncData(
    () =>
      client.run('list_watched_files', {
        instrument_id: run.instrument_id,
        state: 'waiting',
        page,
        per_page: 5,
      }),
    [client, run.instrument_id, page, generation],
  );
  const data = waiting.data;
  return (
    <div className="waiting-files" data-testid="waiting-files">
      <h3>
        From the watch folder{' '}
        <button type="button" className="button" onClick={() => waiting.reload()}>
          Look again
        </button>
      </h3>
      <ErrorAlert message={waiting.error} />
      {data && data.total === 0 && (
        <p className="hint">No file from {run.instrument_name} waits to be imported.</p>
      )}
      {data && data.total > 0 && (
        <ul>
          {data.items.map((f) => (
            <li key={f.id} data-file={f.file_name}>
              {f.file_name} <span className="hint">({new Date(f.seen_at).toLocaleString()})</span>{' '}
              <button type="button" className="button" onClick={() => onPreview(f.id, f.file_name)}>
                Preview {f.file_name}
              </button>
            </li>
          ))}
        </ul>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Waiting file pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={waiting.loading}
        />
      )}
    </div>
  );
}

/** Every file imported into the run: the current one and those it replaced. */
function ImportHistory({ runId }: { runId: string }) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const imports = useAsyncData(
    () => client.run('list_result_imports', { run_id: runId, page, per_page: 10 }),
    [client, runId, page],
  );
  const data = imports.data;
  if (!data || data.total === 0) return null;
  return (
    <div className="card" data-testid="import-history">
      <h2>Files imported</h2>
      <div className="table-wrap">
        <table className="data-table">
          <caption className="visually-hidden">Files imported into the run</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Imported</th>
              <th scope="col">Values</th>
              <th scope="col">QC</th>
              <th scope="col">Now</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((i) => (
              <tr key={i.id}>
                <td>
                  {i.file_name}
                  <span className="hint"> SHA-256 {i.sha256.slice(0, 12)}…</span>
                </td>
                <td>
                  {new Date(i.imported_at).toLocaleString()} by {i.imported_by}
                </td>
                <td>{i.result_count}</td>
                <td>{verdictLabel(i.qc_verdict, i.qc_rules)}</td>
                <td>
                  {i.superseded_by ? 'Replaced by a corrected file' : 'Current'}
                  {i.reason ? ` (${i.reason})` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data.total_pages > 1 && (
        <Pager
          label="Import pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={imports.loading}
        />
      )}
    </div>
  );
}
