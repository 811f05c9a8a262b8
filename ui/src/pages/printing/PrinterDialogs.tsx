import { useState } from 'react';
import type { PrinterSettings } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ReasonDialog } from '../../components/ReasonDialog';
import { ErrorAlert, Field, SubmitButton } from '../../components/forms';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { useClient } from '../../session';

/** A new name for a printer; its jobs and the label routes that chose it follow it. */
export function RenamePrinterDialog({
  printer,
  existingNames,
  onClose,
  onDone,
}: {
  printer: PrinterSettings;
  existingNames: readonly string[];
  onClose: () => void;
  onDone: (renamed: PrinterSettings) => void;
}) {
  const client = useClient();
  const [name, setName] = useState(printer.name);
  const { busy, error, submit } = useSubmit(async () => {
    const wanted = name.trim();
    if (wanted === '') throw refuse('Give the printer a name people will know it by.');
    if (wanted === printer.name) throw refuse('That is already its name.');
    if (existingNames.includes(wanted)) {
      throw refuse(`This workstation already has a printer called ${wanted}.`);
    }
    return client.run('rename_printer', { name: printer.name, new_name: wanted });
  }, onDone);

  return (
    <Dialog title={`Rename ${printer.name}`} onClose={onClose} testId="rename-printer-dialog">
      <p>
        Jobs waiting for it and the labels routed to it go with the new name: it is the same
        printer.
      </p>
      <form onSubmit={submit} noValidate>
        <Field
          id="rename-printer-name"
          label="New name"
          value={name}
          onChange={setName}
          hint="What people choose it by, e.g. “Desk Zebra (left)”."
          required
          autoFocus
        />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Renaming…">
            Rename
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Keep the name
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Takes a printer off this workstation, with the reason (refused while jobs wait on it). */
export function RemovePrinterDialog({
  printer,
  routes,
  onClose,
  onDone,
}: {
  printer: PrinterSettings;
  /** The labels routed to it ("sample labels"), which will have no printer afterwards. */
  routes: readonly string[];
  onClose: () => void;
  onDone: () => void;
}) {
  const client = useClient();
  return (
    <ReasonDialog
      title={`Remove ${printer.name}?`}
      reasonLabel="Reason for removing it"
      hint="Kept in the audit trail, e.g. “sent back for repair” or “replaced by the new Zebra”."
      missing="Say why the printer is removed; it is recorded in the audit trail."
      action="Remove the printer"
      busyLabel="Removing…"
      id="remove-printer"
      run={(reason) => client.run('remove_printer', { name: printer.name, reason })}
      onClose={onClose}
      onDone={onDone}
    >
      <p>
        This workstation will no longer print on <strong>{printer.name}</strong>. Its past jobs stay
        in the queue’s history.
        {routes.length > 0 &&
          ` ${capitalised(routes.join(' and '))} will have no printer until you choose another.`}
      </p>
    </ReasonDialog>
  );
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
