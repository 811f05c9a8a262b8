import { useState } from 'react';
import type { BoxRecord, StorageTarget } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ReasonDialog } from '../../components/ReasonDialog';
import { ErrorAlert, Field, SubmitButton } from '../../components/forms';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { useClient } from '../../session';

/** The reason a change to storage needs (the audit trail keeps it). */
export function ReasonField({
  id,
  value,
  onChange,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field
      id={id}
      label="Reason for the change"
      value={value}
      onChange={onChange}
      hint="Kept in the audit trail, e.g. “moved to room 2” or “box relabelled”."
      required
      spellCheck
    />
  );
}

/** Corrects a box's name, barcode and type; its grid, place and tubes stay. */
export function EditBoxDialog({
  storageBox,
  onClose,
  onDone,
}: {
  storageBox: BoxRecord;
  onClose: () => void;
  onDone: (edited: BoxRecord) => void;
}) {
  const client = useClient();
  const [name, setName] = useState(storageBox.name);
  const [barcode, setBarcode] = useState(storageBox.barcode);
  const [boxType, setBoxType] = useState(storageBox.box_type);
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    if (reason.trim() === '') throw refuse('Say why it changes; the audit trail keeps the reason.');
    await client.run('edit_storage', {
      edit: { kind: 'box', box_id: storageBox.id, name, barcode, box_type: boxType },
      reason: reason.trim(),
    });
    const map = await client.run('get_box', { id: storageBox.id });
    return map.storage_box;
  }, onDone);

  return (
    <Dialog title={`Edit ${storageBox.name}`} onClose={onClose} testId="edit-box-dialog">
      <form onSubmit={submit}>
        <ErrorAlert message={error} />
        <Field
          id="edit-box-name"
          label="Box name"
          value={name}
          onChange={setName}
          required
          autoFocus
        />
        <Field
          id="edit-box-barcode"
          label="Barcode"
          value={barcode}
          onChange={setBarcode}
          hint="A new barcode means a new label on the box: the old one will no longer find it."
          required
        />
        <Field id="edit-box-type" label="Box type" value={boxType} onChange={setBoxType} required />
        <ReasonField id="edit-box-reason" value={reason} onChange={setReason} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Saving…">
            Save box
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

const WHAT: Record<StorageTarget['kind'], string> = {
  freezer: 'freezer',
  rack: 'rack',
  box: 'box',
};

/**
 * Voids a freezer, rack or box: it leaves the lists and takes nothing new, and its record
 * stays. The core refuses while it holds tubes or (a freezer, a rack) things in use.
 */
export function VoidStorageDialog({
  target,
  name,
  onClose,
  onDone,
}: {
  target: StorageTarget;
  name: string;
  onClose: () => void;
  onDone: () => void;
}) {
  const client = useClient();
  const what = WHAT[target.kind];
  return (
    <ReasonDialog
      title={`Void ${name}?`}
      reasonLabel={`Reason for voiding the ${what}`}
      hint="Kept in the audit trail, e.g. “freezer decommissioned” or “box cracked”."
      missing={`Say why the ${what} is voided; the audit trail keeps it.`}
      action={`Void the ${what}`}
      busyLabel="Voiding…"
      id="void-storage"
      run={(reason) => client.run('void_storage', { target, reason })}
      onClose={onClose}
      onDone={onDone}
    >
      <p>
        The {what} leaves the storage lists and takes nothing new. Its record and its history stay.
      </p>
    </ReasonDialog>
  );
}
