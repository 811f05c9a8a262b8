import { useState } from 'react';
import type {
  FolderState,
  InstrumentRecord,
  WatchedFileState,
  WatchFolderView,
} from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ErrorAlert, Field, SelectField, SubmitButton } from '../../components/forms';
import { Pager } from '../../components/Pager';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { useClient, useSession } from '../../session';

const PER_PAGE = 10;

export function folderStateWords(state: FolderState): string {
  switch (state.state) {
    case 'starting':
      return 'starting to watch';
    case 'watching':
      return 'watching';
    case 'polling':
      return `watching by looking every few seconds (${state.why})`;
    case 'missing':
      return 'the folder is not there (a share offline?); watching for it to come back';
    case 'unreadable':
      return `the folder cannot be read: ${state.reason}`;
  }
}

export function fileStateWords(state: WatchedFileState): string {
  switch (state) {
    case 'waiting':
      return 'waiting to be imported';
    case 'imported':
      return 'imported';
    case 'already_imported':
      return 'the same file was imported before: nothing changed';
    case 'failed':
      return 'not imported';
  }
}

/**
 * The instrument's watch folder on this PC: where its software writes result files, how it is
 * doing, and every file taken from it with what became of it. Files are never moved or
 * deleted; one that fails is listed with its reason and the next still imports.
 */
export function WatchFolder({ instrument }: { instrument: InstrumentRecord }) {
  const client = useClient();
  const { can } = useSession();
  const folders = useAsyncData(
    () => client.run('list_watch_folders', { page: 1, per_page: 100 }),
    [client],
  );
  const [state, setState] = useState<WatchedFileState | ''>('');
  const [page, setPage] = useState(1);
  const files = useAsyncData(
    () =>
      client.run('list_watched_files', {
        instrument_id: instrument.id,
        page,
        per_page: PER_PAGE,
        ...(state ? { state } : {}),
      }),
    [client, instrument.id, page, state],
  );
  const [editing, setEditing] = useState(false);
  const mine: WatchFolderView | undefined = folders.data?.items.find(
    (f) => f.folder.instrument_id === instrument.id,
  );
  return (
    <div className="watch-folder" data-testid="watch-folder">
      <h3>Watch folder on this PC</h3>
      <ErrorAlert message={folders.error ?? files.error} />
      {mine ? (
        <p data-testid="watch-folder-status">
          <code>{mine.folder.folder}</code>: {folderStateWords(mine.status)}.{' '}
          {mine.folder.auto_import
            ? 'Files are imported into the one planned run as soon as they are complete.'
            : 'Files wait for a technician to preview and import them on their run’s page.'}
        </p>
      ) : (
        <p className="hint">
          No folder is watched for {instrument.name} on this PC: import its files by choosing them
          on the run’s page.
        </p>
      )}
      {can('configure_devices') && (
        <button type="button" className="button" onClick={() => setEditing(true)}>
          {mine ? 'Change the watch folder' : 'Watch a folder'}
        </button>
      )}
      <div className="toolbar">
        <SelectField
          id={`watched-state-${instrument.id}`}
          label="Files"
          value={state}
          onChange={(v) => {
            setState(v);
            setPage(1);
          }}
          options={[
            { value: '' as const, label: 'All' },
            { value: 'waiting' as const, label: 'Waiting' },
            { value: 'imported' as const, label: 'Imported' },
            { value: 'already_imported' as const, label: 'Same file again' },
            { value: 'failed' as const, label: 'Not imported' },
          ]}
        />
        <button type="button" className="button" onClick={() => files.reload()}>
          Refresh
        </button>
      </div>
      {files.data && files.data.total === 0 && <p className="empty-state">No file taken yet.</p>}
      {files.data && files.data.total > 0 && (
        <div className="table-wrap">
          <table className="data-table" data-testid="watched-files">
            <caption className="visually-hidden">Files taken from the watch folder</caption>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Taken</th>
                <th scope="col">What became of it</th>
              </tr>
            </thead>
            <tbody>
              {files.data.items.map((f) => (
                <tr key={f.id} data-file={f.file_name} data-state={f.state}>
                  <td>
                    {f.file_name}
                    {f.sha256 && <span className="hint"> SHA-256 {f.sha256.slice(0, 12)}…</span>}
                  </td>
                  <td>{new Date(f.seen_at).toLocaleString()}</td>
                  <td>
                    {fileStateWords(f.state)}
                    {f.reason ? `: ${f.reason}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {files.data && files.data.total_pages > 1 && (
        <Pager
          label="Watched file pages"
          page={page}
          totalPages={files.data.total_pages}
          total={files.data.total}
          onPage={setPage}
          disabled={files.loading}
        />
      )}
      {editing && (
        <WatchFolderDialog
          instrument={instrument}
          current={mine}
          onClose={() => setEditing(false)}
          onDone={() => {
            setEditing(false);
            folders.reload();
          }}
        />
      )}
    </div>
  );
}

function WatchFolderDialog({
  instrument,
  current,
  onClose,
  onDone,
}: {
  instrument: InstrumentRecord;
  current: WatchFolderView | undefined;
  onClose: () => void;
  onDone: () => void;
}) {
  const client = useClient();
  const [folder, setFolder] = useState(current?.folder.folder ?? '');
  const [auto, setAuto] = useState(current?.folder.auto_import ?? false);
  const [reason, setReason] = useState('');
  const [stopping, setStopping] = useState(false);
  const { busy, error, submit } = useSubmit(async () => {
    if (!stopping && !folder.trim())
      throw refuse('Give the folder’s full path, as this PC writes it.');
    if (!reason.trim()) throw refuse('Say why: the change is kept in the audit trail.');
    return client.run('set_watch_folder', {
      instrument_id: instrument.id,
      ...(stopping ? {} : { folder: folder.trim() }),
      auto_import: auto,
      reason: reason.trim(),
    });
  }, onDone);
  return (
    <Dialog title={`Watch folder of ${instrument.name}`} onClose={onClose} testId="watch-dialog">
      <form onSubmit={submit} noValidate>
        <Field
          id="watch-folder-path"
          label="Folder (full path on this PC)"
          value={folder}
          onChange={setFolder}
          disabled={stopping}
          hint="Where the instrument’s software saves its result files, e.g. C:\Gen5\Export."
        />
        <div className="field field-checkbox">
          <input
            id="watch-auto-import"
            type="checkbox"
            checked={auto}
            disabled={stopping}
            onChange={(e) => setAuto(e.target.checked)}
          />
          <label htmlFor="watch-auto-import">
            Import each complete file into the instrument’s one planned run without asking
          </label>
        </div>
        {current && (
          <div className="field field-checkbox">
            <input
              id="watch-stop"
              type="checkbox"
              checked={stopping}
              onChange={(e) => setStopping(e.target.checked)}
            />
            <label htmlFor="watch-stop">Stop watching this folder</label>
          </div>
        )}
        <Field
          id="watch-reason"
          label="Reason"
          value={reason}
          onChange={setReason}
          hint="New bench PC, the software saves elsewhere now…"
        />
        <ErrorAlert message={error} testId="watch-error" />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <SubmitButton busy={busy} busyLabel="Saving…">
            Save
          </SubmitButton>
        </div>
      </form>
    </Dialog>
  );
}
