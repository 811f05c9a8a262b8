import { useState } from 'react';
import type { ControlLotRecord, InstrumentRecord } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ErrorAlert, Field, SubmitButton } from '../../components/forms';
import { Pager } from '../../components/Pager';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { useClient } from '../../session';
import { LeveyJennings } from './LeveyJennings';

const PER_PAGE = 10;

/** An instrument's control lots with their targets, a page at a time; lab managers add lots. */
export function ControlLots({
  instrument,
  editable,
  onNotice,
}: {
  instrument: InstrumentRecord;
  editable: boolean;
  onNotice: (m: string) => void;
}) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const lots = useAsyncData(
    () =>
      client.run('list_control_lots', { instrument_id: instrument.id, page, per_page: PER_PAGE }),
    [client, instrument.id, page],
  );
  const [adding, setAdding] = useState(false);
  const [charted, setCharted] = useState<ControlLotRecord | null>(null);
  const data = lots.data;
  return (
    <div className="control-lots" data-testid="control-lots">
      <h3>Control lots of {instrument.name}</h3>
      <p className="hint">
        Each lot of a control material, with the mean and SD its results should fall around; QC
        judges the control wells of a run by them.
      </p>
      <ErrorAlert message={lots.error} />
      {data && data.total === 0 && <p className="empty-state">No control lot yet.</p>}
      {data && data.total > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Control lots of {instrument.name}</caption>
          <thead>
            <tr>
              <th scope="col">Material</th>
              <th scope="col">Lot</th>
              <th scope="col">Read</th>
              <th scope="col">Target mean</th>
              <th scope="col">Target SD</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((l: ControlLotRecord) => (
              <tr key={l.id} data-lot={`${l.material} ${l.lot} ${l.read}`}>
                <td>{l.material}</td>
                <td>{l.lot}</td>
                <td>{l.read}</td>
                <td>
                  {l.target_mean} {l.unit}
                </td>
                <td>
                  {l.target_sd} {l.unit}
                </td>
                <td className="row-actions">
                  <button
                    type="button"
                    className="button button-secondary button-small"
                    aria-label={`Levey-Jennings chart of ${l.material} ${l.lot}`}
                    onClick={() => setCharted(l)}
                  >
                    Chart
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Control lot pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={lots.loading}
        />
      )}
      {editable && (
        <button
          type="button"
          className="button button-secondary button-small"
          onClick={() => setAdding(true)}
        >
          Add a control lot
        </button>
      )}
      {charted && (
        <Dialog
          title={`Levey-Jennings chart of ${charted.material} ${charted.lot}`}
          onClose={() => setCharted(null)}
          testId="levey-jennings-dialog"
        >
          <LeveyJennings lot={charted} />
          <div className="form-actions">
            <button
              type="button"
              className="button button-secondary"
              onClick={() => setCharted(null)}
            >
              Close
            </button>
          </div>
        </Dialog>
      )}
      {adding && (
        <LotDialog
          instrument={instrument}
          onClose={() => setAdding(false)}
          onDone={(l) => {
            setAdding(false);
            onNotice(`Control lot ${l.lot} of ${l.material} added to ${instrument.name}.`);
            lots.reload();
          }}
        />
      )}
    </div>
  );
}

/** A number typed in a form (a decimal point or comma), or a refusal naming the field. */
function decimal(text: string, what: string): number {
  const n = Number(text.trim().replace(',', '.'));
  if (text.trim() === '' || !Number.isFinite(n)) throw refuse(`${what} must be a number.`);
  return n;
}

function LotDialog({
  instrument,
  onClose,
  onDone,
}: {
  instrument: InstrumentRecord;
  onClose: () => void;
  onDone: (l: ControlLotRecord) => void;
}) {
  const client = useClient();
  const [material, setMaterial] = useState('');
  const [lot, setLot] = useState('');
  const [read, setRead] = useState('');
  const [unit, setUnit] = useState('');
  const [mean, setMean] = useState('');
  const [sd, setSd] = useState('');
  const { busy, error, submit } = useSubmit(
    () =>
      client.run('add_control_lot', {
        instrument_id: instrument.id,
        lot: {
          material,
          lot,
          read,
          unit: unit.trim() || null,
          target_mean: decimal(mean, 'The target mean'),
          target_sd: decimal(sd, 'The target SD'),
        },
      }),
    onDone,
  );
  return (
    <Dialog title={`Add a control lot to ${instrument.name}`} onClose={onClose} testId="lot-dialog">
      <form onSubmit={submit} noValidate>
        <Field
          id="lot-material"
          label="Control material"
          value={material}
          onChange={setMaterial}
          hint="e.g. Level 1 control"
          autoFocus
        />
        <Field id="lot-lot" label="Lot" value={lot} onChange={setLot} />
        <Field
          id="lot-read"
          label="Read or analyte it controls"
          value={read}
          onChange={setRead}
          hint="As the instrument's files name it, e.g. 450 nm or IL-6."
        />
        <Field id="lot-unit" label="Unit (optional)" value={unit} onChange={setUnit} />
        <Field id="lot-mean" label="Target mean" value={mean} onChange={setMean} />
        <Field id="lot-sd" label="Target SD" value={sd} onChange={setSd} />
        <ErrorAlert message={error} testId="lot-error" />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Adding…">
            Add the lot
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
