import { useState, type ChangeEvent } from 'react';
import type { BoxMap, BoxRecord, RackScanDiff } from '../../api/types';
import { Working } from '../../components/Working';
import { ErrorAlert } from '../../components/forms';
import { errorMessage } from '../../lib/errors';
import { whoCan } from '../../lib/roles';
import { useClient } from '../../session';

type Props = {
  box: BoxRecord;
  canImport: boolean;
  diff: RackScanDiff | null;
  onDiff: (diff: RackScanDiff | null) => void;
  onImported: (map: BoxMap, placed: number) => void;
};

/** Paste or choose a rack-scanner file, see it against the box on the map, import it. */
export function RackScanPanel({ box, canImport, diff, onDiff, onImported }: Props) {
  const client = useClient();
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'preview' | 'import' | null>(null);

  async function chooseFile(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    if (!file) return;
    if (file.size > 1024 * 1024) {
      setError(
        'This file is too large to be a rack scan (over 1 MiB). Choose the file the rack scanner wrote.',
      );
      return;
    }
    setText(await file.text());
    setFileName(file.name);
    setError(null);
    onDiff(null);
  }

  async function preview() {
    if (!text.trim()) {
      setError('Paste the rack scanner’s file, or choose it, first.');
      return;
    }
    setBusy('preview');
    setError(null);
    try {
      onDiff(await client.run('preview_rack_scan', { box_id: box.id, file_text: text }));
    } catch (e: unknown) {
      onDiff(null);
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  async function runImport() {
    setBusy('import');
    setError(null);
    try {
      const result = await client.run('import_rack_scan', { box_id: box.id, file_text: text });
      onImported(result.box_map, result.placed);
      setText('');
      setFileName(null);
    } catch (e: unknown) {
      setError(`Nothing was imported: ${errorMessage(e)}`);
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="card rack-scan" data-testid="rack-scan">
      <h2>Rack-scan import</h2>
      <p className="lead">
        Compare a rack scanner’s file with this box. The map shows what matches, what moved and what
        is missing; importing then records every move and arrival together, or nothing.
      </p>
      <div className="field">
        <label htmlFor="rack-scan-file">Rack-scanner file (CSV or TXT)</label>
        <input
          id="rack-scan-file"
          type="file"
          accept=".csv,.txt,text/csv,text/plain"
          onChange={(e) => void chooseFile(e)}
        />
        {fileName && <p className="hint">Read {fileName}.</p>}
      </div>
      <div className="field">
        <label htmlFor="rack-scan-text">…or paste its text</label>
        <textarea
          id="rack-scan-text"
          className="rack-scan-text"
          rows={6}
          value={text}
          spellCheck={false}
          onChange={(e) => {
            setText(e.target.value);
            onDiff(null);
          }}
          placeholder={'A1,AQ000001X\nA2,AQ000002K\nA3,NO TUBE'}
        />
      </div>
      <ErrorAlert message={error} testId="rack-scan-error" />
      <Working
        busy={busy !== null}
        label={
          busy === 'import'
            ? 'Recording every placement of the rack scan together…'
            : 'Comparing the rack scan with the box…'
        }
      />
      <div className="form-actions">
        <button
          type="button"
          className="button button-primary"
          disabled={busy !== null}
          aria-busy={busy === 'preview'}
          onClick={() => void preview()}
        >
          {busy === 'preview' ? 'Comparing…' : 'Compare with this box'}
        </button>
        {diff && (
          <button type="button" className="button button-secondary" onClick={() => onDiff(null)}>
            Clear the comparison
          </button>
        )}
      </div>
      {diff && (
        <DiffSummary
          diff={diff}
          canImport={canImport}
          busy={busy === 'import'}
          disabled={busy !== null}
          onImport={() => void runImport()}
        />
      )}
    </div>
  );
}

function DiffSummary({
  diff,
  canImport,
  busy,
  disabled,
  onImport,
}: {
  diff: RackScanDiff;
  canImport: boolean;
  busy: boolean;
  disabled: boolean;
  onImport: () => void;
}) {
  const counts: [string, number, string][] = [
    ['Match', diff.matched.length, 'diff-match'],
    ['Moved within the box', diff.misplaced.length, 'diff-move_in'],
    ['Arriving from elsewhere', diff.extra.length, 'diff-arrival'],
    ['Missing (kept where recorded)', diff.missing.length, 'diff-missing'],
    ['Unknown codes (not placed)', diff.unknown.length, 'diff-unknown'],
    ['Unreadable wells', diff.unreadable.length, 'diff-unreadable'],
    ['Conflicts (not imported)', diff.conflicts.length, 'diff-conflict'],
  ];
  const n = diff.placements.length;
  return (
    <div className="diff-summary" data-testid="rack-scan-diff">
      <h3>The scan{diff.rack_barcode ? ` of rack ${diff.rack_barcode}` : ''} beside the box</h3>
      <ul className="diff-counts">
        {counts.map(([label, count, cls]) => (
          <li key={label} data-count={count}>
            <span className={`legend-swatch well ${cls}`} aria-hidden="true" />
            <strong>{count}</strong> {label}
          </li>
        ))}
      </ul>
      {(diff.misplaced.length > 0 ||
        diff.extra.length > 0 ||
        diff.conflicts.length > 0 ||
        diff.unknown.length > 0 ||
        diff.missing.length > 0) && (
        <ul className="diff-lines">
          {diff.misplaced.map((m) => (
            <li key={`m${m.sample_id}`}>
              {m.code}: recorded at {m.from}, found at {m.to}
            </li>
          ))}
          {diff.extra.map((a) => (
            <li key={`a${a.sample_id}`}>
              {a.code}: found at {a.position}; recorded{' '}
              {a.from_box
                ? `in box ${a.from_box}${a.from_position ? ` at ${a.from_position}` : ''}`
                : 'in no box'}
            </li>
          ))}
          {diff.missing.map((m) => (
            <li key={`x${m.sample_id}`}>
              {m.code}: recorded at {m.position}, not found by the scan (stays recorded there)
            </li>
          ))}
          {diff.unknown.map((u) => (
            <li key={`u${u.position}`}>
              {u.code} at {u.position}: not known to the lab (register it, then place it)
            </li>
          ))}
          {diff.conflicts.map((c) => (
            <li key={`c${c.sample_id}`}>
              {c.code} at {c.position}: {c.occupant_code} stays recorded in that well; move it first
            </li>
          ))}
        </ul>
      )}
      {canImport ? (
        <div className="form-actions">
          <button
            type="button"
            className="button button-primary"
            disabled={disabled || n === 0}
            aria-busy={busy}
            onClick={onImport}
          >
            {busy
              ? 'Importing…'
              : n === 0
                ? 'Nothing to import'
                : `Import ${n} ${n === 1 ? 'change' : 'changes'}`}
          </button>
          <span className="muted">All or nothing: if one change is refused, none is made.</span>
        </div>
      ) : (
        <p className="muted">Importing a rack scan is for {whoCan('place_samples')}.</p>
      )}
    </div>
  );
}
