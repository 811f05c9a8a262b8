import { useState } from 'react';
import type { BoxRecord, Well } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ErrorAlert, Field, SelectField, SubmitButton } from '../../components/forms';
import { useAsyncData } from '../../lib/useAsyncData';
import { useClient } from '../../session';
import { ScanField } from './ScanField';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { PICKER_PAGE } from '../../lib/paging';

function Actions({
  busy,
  busyLabel,
  label,
  onClose,
}: {
  busy: boolean;
  busyLabel: string;
  label: string;
  onClose: () => void;
}) {
  return (
    <div className="form-actions">
      <SubmitButton busy={busy} busyLabel={busyLabel}>
        {label}
      </SubmitButton>
      <button type="button" className="button button-secondary" onClick={onClose}>
        Cancel
      </button>
    </div>
  );
}

/** Moves one tube into another box: scan or type the box barcode, optionally a position. */
export function MoveTubeDialog({
  well,
  fromBox,
  onClose,
  onDone,
}: {
  well: Well;
  fromBox: BoxRecord;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const client = useClient();
  const [barcode, setBarcode] = useState('');
  const [position, setPosition] = useState('');

  const { busy, error, submit } = useSubmit(async () => {
    const found = await client.run('lookup_scan', { code: barcode.trim() });
    if (found.kind !== 'box') {
      throw refuse(
        `${barcode.trim()} is not a box barcode. Scan the label on the box the tube goes to.`,
      );
    }
    const target = found.storage_box;
    if (target.id === fromBox.id && !position.trim()) {
      throw refuse(
        `${well.code} is already in ${target.name}. Give a position to move it within this box.`,
      );
    }
    const map = await client.run('place_samples', {
      box_id: target.id,
      tubes: [{ sample_id: well.sample_id, position: position.trim() || null }],
      source: 'manual',
      receive: false,
    });
    const at = map.wells.find((w) => w.sample_id === well.sample_id)?.position;
    return `${well.code} moved to box ${target.name}${at ? ` at ${at}` : ''}.`;
  }, onDone);

  return (
    <Dialog title={`Move ${well.code}`} onClose={onClose} testId="move-tube-dialog">
      <form onSubmit={submit}>
        <p>
          Now in {fromBox.name}
          {well.position ? ` at ${well.position}` : ''}.
        </p>
        <ErrorAlert message={error} />
        <ScanField
          id="move-target-box"
          label="Box it goes to (barcode)"
          value={barcode}
          onChange={setBarcode}
          hint="Scan the box label, or type its barcode."
          required
          autoFocus
          onEnter={() => false}
        />
        <Field
          id="move-target-position"
          label="Position (optional)"
          value={position}
          onChange={setPosition}
          hint="For example B4. Leave empty for the lab's automatic position."
        />
        <Actions busy={busy} busyLabel="Moving…" label="Move tube" onClose={onClose} />
      </form>
    </Dialog>
  );
}

export function CheckOutDialog({
  well,
  onClose,
  onDone,
}: {
  well: Well;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const client = useClient();
  const [reason, setReason] = useState('');

  const { busy, error, submit } = useSubmit(async () => {
    await client.run('check_out_samples', { sample_ids: [well.sample_id], reason });
    return `${well.code} checked out. Its time out of the freezer is counted until it is checked in.`;
  }, onDone);

  return (
    <Dialog title={`Check out ${well.code}`} onClose={onClose} testId="check-out-dialog">
      <form onSubmit={submit}>
        <p>
          The tube keeps its position{well.position ? ` (${well.position})` : ''} while it is out.
        </p>
        <ErrorAlert message={error} />
        <Field
          id="check-out-reason"
          label="Reason"
          value={reason}
          onChange={setReason}
          hint="For example: assay run, shipment to partner lab."
          required
          autoFocus
          spellCheck
        />
        <Actions busy={busy} busyLabel="Checking out…" label="Check out" onClose={onClose} />
      </form>
    </Dialog>
  );
}

/** Moves a whole box to another rack. */
export function MoveBoxDialog({
  box,
  onClose,
  onDone,
}: {
  box: BoxRecord;
  onClose: () => void;
  onDone: (moved: BoxRecord) => void;
}) {
  const client = useClient();
  const freezers = useAsyncData(
    () => client.run('list_freezers', PICKER_PAGE).then((p) => p.items),
    [client],
  );
  const [freezerId, setFreezerId] = useState(box.freezer_id);
  const racks = useAsyncData(
    () => client.run('list_racks', { freezer_id: freezerId, ...PICKER_PAGE }).then((p) => p.items),
    [client, freezerId],
  );
  const [rackId, setRackId] = useState('');
  const [reason, setReason] = useState('');

  // The racks answered for the freezer chosen before this one must not be offered.
  const rackOptions = racks.data?.[0]?.freezer_id === freezerId ? racks.data : [];
  const chosenRack = rackOptions.find((r) => r.id === rackId) ? rackId : '';

  const { busy, error, submit } = useSubmit(async () => {
    if (!chosenRack) {
      throw refuse('Choose the rack the box goes to.');
    }
    return await client.run('move_box', { box_id: box.id, rack_id: chosenRack, reason });
  }, onDone);

  return (
    <Dialog title={`Move box ${box.name}`} onClose={onClose} testId="move-box-dialog">
      <form onSubmit={submit}>
        <p>
          Now in {box.freezer} › {box.rack}.
        </p>
        <ErrorAlert message={error ?? freezers.error ?? racks.error} />
        <SelectField
          id="move-box-freezer"
          label="Freezer"
          value={freezerId}
          onChange={(v) => {
            setFreezerId(v);
            setRackId('');
          }}
          options={(freezers.data ?? [{ id: box.freezer_id, name: box.freezer }]).map((f) => ({
            value: f.id,
            label: f.name,
          }))}
        />
        <SelectField
          id="move-box-rack"
          label="Rack"
          value={chosenRack}
          onChange={setRackId}
          disabled={racks.loading}
          options={[
            { value: '', label: racks.loading ? 'Loading racks…' : 'Choose a rack' },
            ...rackOptions.map((r) => ({
              value: r.id,
              label: r.id === box.rack_id ? `${r.name} (where it is now)` : r.name,
            })),
          ]}
        />
        <Field
          id="move-box-reason"
          label="Reason"
          value={reason}
          onChange={setReason}
          hint="Kept in the audit trail, for example: freezer defrost."
          required
          spellCheck
        />
        <Actions busy={busy} busyLabel="Moving…" label="Move box" onClose={onClose} />
      </form>
    </Dialog>
  );
}
