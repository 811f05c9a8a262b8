import { useEffect, useState, type ChangeEvent } from 'react';
import type { SavedReportRecord, SavedWhat } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ErrorAlert, Field, SubmitButton } from '../../components/forms';
import { errorCode, errorMessage } from '../../lib/errors';
import { PICKER_PAGE } from '../../lib/paging';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { useClient } from '../../session';
import { nameProblem, savedIdOf } from './scheduleWords';

/**
 * Saves what a page shows under a name: as a new saved report, or (when one was opened) in
 * place of the opened one, with the reason for the change.
 */
export function SaveDialog({
  what,
  opened,
  noun,
  onClose,
  onSaved,
}: {
  what: SavedWhat;
  /** The saved report the page opened, offered to be changed. */
  opened: SavedReportRecord | null;
  /** "query" or "report". */
  noun: string;
  onClose: () => void;
  onSaved: (saved: SavedReportRecord) => void;
}) {
  const client = useClient();
  const [replace, setReplace] = useState(false);
  const [name, setName] = useState(opened?.name ?? '');
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    const problem = nameProblem(name);
    if (problem) throw refuse(problem);
    if (replace && opened) {
      if (reason.trim() === '') {
        throw refuse('Say why it changes, such as “add the plasma tubes”.');
      }
      return client.run('change_saved_report', {
        saved_id: opened.id,
        name: name.trim(),
        what,
        reason: reason.trim(),
      });
    }
    return client.run('save_report', { name: name.trim(), what });
  }, onSaved);
  return (
    <Dialog title={`Save this ${noun}`} onClose={onClose} testId="save-report-dialog">
      <p>
        Saved, it is on the <strong>Saved &amp; scheduled</strong> page and in this page’s “Saved”
        list, and can be written to a folder on a schedule.
      </p>
      <form onSubmit={submit} noValidate>
        {opened && (
          <fieldset className="saved-choice">
            <legend>Save as</legend>
            <label>
              <input
                type="radio"
                name="save-as"
                checked={!replace}
                onChange={() => setReplace(false)}
              />
              A new saved {noun}
            </label>
            <label>
              <input
                type="radio"
                name="save-as"
                checked={replace}
                onChange={() => setReplace(true)}
              />
              A change to “{opened.name}” (its schedules run the new version)
            </label>
          </fieldset>
        )}
        <Field
          id="save-report-name"
          label="Name"
          value={name}
          onChange={setName}
          hint="At most 100 characters, such as “Stored plasma, by box”."
          required
          autoFocus
          spellCheck
        />
        {replace && opened && (
          <Field
            id="save-report-reason"
            label="Reason for the change"
            value={reason}
            onChange={setReason}
            hint="It goes into the audit trail, such as “add the plasma tubes”."
            required
            spellCheck
          />
        )}
        <ErrorAlert message={error} testId="save-report-error" />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Saving…">
            Save
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * The user's saved reports of one kind, to open one into the page's form. `generation` reads
 * them again (after a save).
 */
export function SavedPicker({
  kind,
  chosenId,
  generation,
  onOpen,
  id,
}: {
  kind: SavedWhat['kind'];
  chosenId: string;
  generation: number;
  onOpen: (saved: SavedReportRecord) => void;
  id: string;
}) {
  const client = useClient();
  const list = useAsyncData(
    () => client.run('list_saved_reports', PICKER_PAGE),
    [client, generation],
  );
  const mine = (list.data?.items ?? []).filter((s) => s.what.kind === kind);
  return (
    <div className="field saved-picker">
      <label htmlFor={id}>Saved</label>
      <select
        id={id}
        value={chosenId}
        disabled={list.data === null}
        onChange={(e: ChangeEvent<HTMLSelectElement>) => {
          const chosen = mine.find((s) => s.id === e.target.value);
          if (chosen) onOpen(chosen);
        }}
      >
        <option value="">
          {list.data === null
            ? 'Loading…'
            : mine.length === 0
              ? `None saved yet`
              : `Open a saved ${kind} (${mine.length})`}
        </option>
        {mine.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      <ErrorAlert message={list.error} />
    </div>
  );
}

/**
 * Opens the saved report a route names (`#/reports/saved:<id>`, `#/query/saved:<id>`: the
 * Saved & scheduled page's "Open"): reads that one record and hands it to `open`, or says
 * why it cannot be opened (`noun`: "saved report", "saved query").
 */
export function useOpenSavedFromRoute(
  routeId: string | undefined,
  noun: string,
  open: (saved: SavedReportRecord) => void,
  onProblem: (problem: string) => void,
): void {
  const client = useClient();
  const savedId = savedIdOf(routeId);
  useEffect(() => {
    if (!savedId) return;
    let current = true;
    client.run('get_saved_report', { id: savedId }).then(
      (saved) => {
        if (current) open(saved);
      },
      (e: unknown) => {
        if (!current) return;
        onProblem(
          errorCode(e) === 'not_found'
            ? `That ${noun} is not among yours any more (voided, or not yours).`
            : `The ${noun} could not be opened: ${errorMessage(e)}`,
        );
      },
    );
    return () => {
      current = false;
    };
  }, [savedId]);
}
