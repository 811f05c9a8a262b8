import { useState, type ReactNode } from 'react';
import { refuse, useSubmit } from '../lib/useSubmit';
import { Dialog } from './Dialog';
import { ErrorAlert, Field, SubmitButton } from './forms';

type ReasonDialogProps<T> = {
  /** A question: "Void site SPARE?" */
  title: string;
  /** What happens, in a sentence or two, above the reason. */
  children: ReactNode;
  /** The field's label: "Reason for voiding the site". */
  reasonLabel: string;
  /** Examples of a good reason. */
  hint: string;
  /** Said when the reason is left empty: "Say why the site is voided; …". */
  missing: string;
  /** The button: "Void the site". */
  action: string;
  busyLabel: string;
  /** Prefix of the field's id and the dialog's and error's test ids. */
  id: string;
  /** The command, given the trimmed reason. */
  run: (reason: string) => Promise<T>;
  onClose: () => void;
  onDone: (result: T) => void;
};

/**
 * The one dialog for an act that needs a reason (void, retire, remove, cancel): what it does,
 * the reason with examples, the act and "Keep it". An empty reason is refused here, before the
 * core would refuse it; the reason goes into the audit trail with the command.
 */
export function ReasonDialog<T>({
  title,
  children,
  reasonLabel,
  hint,
  missing,
  action,
  busyLabel,
  id,
  run,
  onClose,
  onDone,
}: ReasonDialogProps<T>) {
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    if (reason.trim() === '') throw refuse(missing);
    return run(reason.trim());
  }, onDone);
  return (
    <Dialog title={title} onClose={onClose} testId={`${id}-dialog`}>
      {children}
      <form onSubmit={submit} noValidate>
        <Field
          id={`${id}-reason`}
          label={reasonLabel}
          value={reason}
          onChange={setReason}
          hint={hint}
          required
          autoFocus
          spellCheck
        />
        <ErrorAlert message={error} testId={`${id}-error`} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel={busyLabel} variant="danger">
            {action}
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Keep it
          </button>
        </div>
      </form>
    </Dialog>
  );
}
