import { useState } from 'react';
import type { FreezerRecord, RacksAndBoxesArgs, RacksAndBoxesPlan } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ErrorAlert, Field, SubmitButton } from '../../components/forms';
import { errorMessage } from '../../lib/errors';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { count } from '../../lib/words';
import { useClient } from '../../session';

/** What the dialog reports once the racks and boxes exist (and their labels' fate). */
export type RacksAndBoxesOutcome = {
  racks: number;
  boxes: number;
  /** The printer the box labels went to as one job, or why they did not print. */
  labels: { printer: string } | { problem: string } | null;
};

/** Whole number from a form field, or null when it is not one. */
function wholeNumber(text: string): number | null {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isInteger(n) && n >= 0 ? n : null;
}

/**
 * A freezer filled in one go: N racks of M boxes of one grid, named and barcoded by
 * patterns, previewed by the core as it will make them, made in one command, and the boxes'
 * labels printed as one job.
 */
export function RacksAndBoxesDialog({
  freezer,
  onClose,
  onAdded,
}: {
  freezer: FreezerRecord;
  onClose: () => void;
  onAdded: (outcome: RacksAndBoxesOutcome) => void;
}) {
  const client = useClient();
  const [racks, setRacks] = useState('2');
  const [firstRack, setFirstRack] = useState(String(freezer.racks + 1));
  const [boxesPerRack, setBoxesPerRack] = useState('5');
  const [rackName, setRackName] = useState('Rack {rack}');
  const [boxName, setBoxName] = useState('Box {rack}-{box}');
  const [barcode, setBarcode] = useState(
    `${freezer.name.replace(/[^A-Za-z0-9]/g, '').toUpperCase() || 'F'}-R{rack:2}-B{box:2}`,
  );
  const [boxType, setBoxType] = useState('81-tube cryobox');
  const [rows, setRows] = useState('9');
  const [columns, setColumns] = useState('9');
  const [printLabels, setPrintLabels] = useState(true);

  function args(): RacksAndBoxesArgs {
    const numbers = [racks, firstRack, boxesPerRack, rows, columns].map(wholeNumber);
    if (numbers.some((n) => n === null)) {
      throw refuse('Give the counts, the first rack number, rows and columns as whole numbers.');
    }
    const [r, first, perRack, gridRows, gridColumns] = numbers as number[];
    return {
      freezer_id: freezer.id,
      pattern: {
        racks: r!,
        first_rack: first!,
        boxes_per_rack: perRack!,
        rack_name: rackName,
        box_name: boxName,
        box_barcode: barcode,
      },
      box_type: boxType,
      layout: { kind: 'grid', rows: gridRows!, columns: gridColumns! },
    };
  }

  const plan = useAsyncData(
    () => client.run('plan_racks_and_boxes', args()),
    [client, racks, firstRack, boxesPerRack, rackName, boxName, barcode, boxType, rows, columns],
  );

  const { busy, error, submit } = useSubmit(async (): Promise<RacksAndBoxesOutcome> => {
    const added = await client.run('add_racks_and_boxes', args());
    let labels: RacksAndBoxesOutcome['labels'] = null;
    if (printLabels) {
      // The boxes exist whatever happens here: a printer problem is reported, not thrown.
      try {
        const job = await client.run('print_labels', {
          labels: { group: 'boxes', box_ids: added.box_ids },
        });
        labels = { printer: job.printer };
      } catch (e: unknown) {
        labels = { problem: errorMessage(e) };
      }
    }
    return { racks: added.rack_ids.length, boxes: added.box_ids.length, labels };
  }, onAdded);

  const shown: RacksAndBoxesPlan | null = plan.error ? null : plan.data;
  const taken = shown?.taken_barcodes ?? [];

  return (
    <Dialog
      title={`Add racks and boxes to ${freezer.name}`}
      onClose={onClose}
      testId="racks-and-boxes-dialog"
    >
      <form onSubmit={submit} className="bulk-storage">
        <ErrorAlert message={error} />
        <p className="hint">
          In a pattern, <code>{'{rack}'}</code> is the rack’s number and <code>{'{box}'}</code> the
          box’s number in its rack; <code>{'{box:2}'}</code> pads it to two digits (01, 02…).
        </p>
        <div className="form-pair">
          <Field
            id="bulk-racks"
            label="Racks"
            type="number"
            min={1}
            max={50}
            value={racks}
            onChange={setRacks}
            required
            autoFocus
          />
          <Field
            id="bulk-first-rack"
            label="First rack number"
            type="number"
            min={0}
            value={firstRack}
            onChange={setFirstRack}
            required
          />
          <Field
            id="bulk-boxes"
            label="Boxes in each rack"
            type="number"
            min={1}
            max={500}
            value={boxesPerRack}
            onChange={setBoxesPerRack}
            required
          />
        </div>
        <div className="form-pair">
          <Field
            id="bulk-rack-name"
            label="Rack name pattern"
            value={rackName}
            onChange={setRackName}
            required
          />
          <Field
            id="bulk-box-name"
            label="Box name pattern"
            value={boxName}
            onChange={setBoxName}
            required
          />
          <Field
            id="bulk-barcode"
            label="Box barcode pattern"
            value={barcode}
            onChange={setBarcode}
            required
          />
        </div>
        <div className="form-pair">
          <Field id="bulk-box-type" label="Box type" value={boxType} onChange={setBoxType} />
          <Field
            id="bulk-rows"
            label="Rows"
            type="number"
            min={1}
            max={26}
            value={rows}
            onChange={setRows}
            required
          />
          <Field
            id="bulk-columns"
            label="Columns"
            type="number"
            min={1}
            max={48}
            value={columns}
            onChange={setColumns}
            required
          />
        </div>
        <div className="bulk-preview" data-testid="bulk-preview" aria-live="polite">
          {plan.error && <p className="field-error">{plan.error}</p>}
          {shown && shown.racks.length > 0 && (
            <>
              <p>
                {count(shown.racks.length, 'rack')} with {count(shown.box_count, 'box', 'boxes')}:
              </p>
              <ul>
                {[shown.racks[0]!, ...(shown.racks.length > 1 ? [shown.racks.at(-1)!] : [])].map(
                  (rack) => (
                    <li key={rack.name}>
                      {rack.name}: {rack.boxes[0]?.name} ({rack.boxes[0]?.barcode})
                      {rack.boxes.length > 1 &&
                        ` … ${rack.boxes.at(-1)?.name} (${rack.boxes.at(-1)?.barcode})`}
                    </li>
                  ),
                )}
              </ul>
            </>
          )}
          {taken.length > 0 && (
            <p className="field-error" role="alert">
              Already on other boxes: {taken.join(', ')}. Change the barcode pattern.
            </p>
          )}
        </div>
        <div className="field field-checkbox">
          <input
            id="bulk-print"
            type="checkbox"
            checked={printLabels}
            onChange={(e) => setPrintLabels(e.target.checked)}
          />
          <label htmlFor="bulk-print">Print the boxes’ labels (one job)</label>
        </div>
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Adding…">
            {shown
              ? `Add ${count(shown.racks.length, 'rack')} and ${count(shown.box_count, 'box', 'boxes')}`
              : 'Add racks and boxes'}
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The notice once racks and boxes are made. */
export function racksAndBoxesNotice(freezer: string, o: RacksAndBoxesOutcome): string {
  const made = `Added ${count(o.racks, 'rack')} and ${count(o.boxes, 'box', 'boxes')} to ${freezer}.`;
  if (!o.labels) return made;
  if ('printer' in o.labels) return `${made} Their labels went to ${o.labels.printer} as one job.`;
  return `${made} Their labels were not printed: ${o.labels.problem}`;
}
