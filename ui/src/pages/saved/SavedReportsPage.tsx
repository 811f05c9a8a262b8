import { useState } from 'react';
import type { ReportScheduleRecord, SavedReportRecord } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import {
  ErrorAlert,
  Field,
  PageHeading,
  SelectField,
  StatusMessage,
  SubmitButton,
} from '../../components/forms';
import { Pager } from '../../components/Pager';
import { ReasonDialog } from '../../components/ReasonDialog';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { count } from '../../lib/words';
import { useNavigate } from '../../router';
import { useClient, useSession } from '../../session';
import { zoneGroups, zoneLabel } from '../settingsForm';
import {
  FORMAT_LABELS,
  PERIOD_NOTE,
  WEEKDAYS,
  cadenceWords,
  defaultScheduleForm,
  formatsOf,
  hasPeriod,
  lastOutcomeWords,
  nameProblem,
  runOutcomeWords,
  savedPage,
  savedRouteId,
  savedWhatWords,
  scheduleArgsOf,
  type CadenceKind,
  type ScheduleForm,
} from './scheduleWords';
import './saved.css';

const PER_PAGE = 20;

type Acting =
  | { act: 'change'; saved: SavedReportRecord }
  | { act: 'void'; saved: SavedReportRecord }
  | { act: 'schedule'; saved: SavedReportRecord }
  | { act: 'void_schedule'; schedule: ReportScheduleRecord };

/**
 * Saved & scheduled: the user's saved queries and reports (open, rename, void, schedule) and
 * their schedules on this workstation (when next, how the last run went, its runs, void).
 */
export function SavedReportsPage() {
  const client = useClient();
  const navigate = useNavigate();
  const { formatTime } = useSession();
  const [savedPageNo, setSavedPageNo] = useState(1);
  const [schedulePageNo, setSchedulePageNo] = useState(1);
  const [acting, setActing] = useState<Acting | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [runsOf, setRunsOf] = useState<string | null>(null);
  const saved = useAsyncData(
    () => client.run('list_saved_reports', { page: savedPageNo, per_page: PER_PAGE }),
    [client, savedPageNo],
  );
  const schedules = useAsyncData(
    () => client.run('list_report_schedules', { page: schedulePageNo, per_page: PER_PAGE }),
    [client, schedulePageNo],
  );
  const done = (message: string) => {
    setActing(null);
    setNote(message);
    saved.reload();
    schedules.reload();
  };

  return (
    <section className="saved-page" data-testid="saved-page">
      <PageHeading>Saved &amp; scheduled</PageHeading>
      <p className="lead">
        Your saved queries and reports, and the schedules that write them to a folder on this PC.
        Save a query on the Query builder page or a report on the Reports page.
      </p>
      <StatusMessage message={note} testId="saved-note" />

      <div className="card" data-testid="saved-list">
        <h2>Saved</h2>
        <ErrorAlert message={saved.error} />
        {saved.data && saved.data.total === 0 && (
          <p className="empty-state">
            Nothing saved yet. Build a query or choose a report, then press “Save…”.
          </p>
        )}
        {saved.data && saved.data.items.length > 0 && (
          <div className="table-wrap">
            <table className="data-table" aria-busy={saved.loading}>
              <caption className="visually-hidden">Your saved queries and reports</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">What</th>
                  <th scope="col">Last changed</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {saved.data.items.map((s) => (
                  <tr key={s.id} data-testid="saved-row" data-name={s.name}>
                    <td>{s.name}</td>
                    <td>{savedWhatWords(s.what)}</td>
                    <td className="when">{formatTime(s.updated_at)}</td>
                    <td className="saved-actions">
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        aria-label={`Open “${s.name}”`}
                        onClick={() =>
                          navigate({ page: savedPage(s.what), id: savedRouteId(s.id) })
                        }
                      >
                        Open
                      </button>
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        aria-label={`Schedule “${s.name}”`}
                        onClick={() => setActing({ act: 'schedule', saved: s })}
                      >
                        Schedule…
                      </button>
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        aria-label={`Rename “${s.name}”`}
                        onClick={() => setActing({ act: 'change', saved: s })}
                      >
                        Rename…
                      </button>
                      <button
                        type="button"
                        className="button button-quiet button-small"
                        aria-label={`Void “${s.name}”`}
                        onClick={() => setActing({ act: 'void', saved: s })}
                      >
                        Void…
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {saved.data && saved.data.total_pages > 1 && (
          <Pager
            label="Saved pages"
            page={savedPageNo}
            totalPages={saved.data.total_pages}
            total={saved.data.total}
            onPage={setSavedPageNo}
            disabled={saved.loading}
          />
        )}
      </div>

      <div className="card" data-testid="schedule-list">
        <h2>Schedules on this PC</h2>
        <p className="hint">
          A schedule runs while Aliquot is running on this PC; a run missed while it was not runs
          once when it starts again, and says so. Next runs are shown in the lab’s time.
        </p>
        <ErrorAlert message={schedules.error} />
        {schedules.data && schedules.data.total === 0 && (
          <p className="empty-state">No schedules. “Schedule…” a saved one above.</p>
        )}
        {schedules.data && schedules.data.items.length > 0 && (
          <div className="table-wrap">
            <table className="data-table" aria-busy={schedules.loading}>
              <caption className="visually-hidden">Your schedules on this PC</caption>
              <thead>
                <tr>
                  <th scope="col">Saved report</th>
                  <th scope="col">When</th>
                  <th scope="col">Next run</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Written to</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {schedules.data.items.map((s) => {
                  const name = s.saved_name ?? 'A saved report not on this PC';
                  return (
                    <tr key={s.id} data-testid="schedule-row" data-name={s.saved_name ?? ''}>
                      <td>{name}</td>
                      <td>{cadenceWords(s.schedule)}</td>
                      <td className="when" data-testid="schedule-next">
                        {formatTime(s.next_due)}
                        {Date.parse(s.next_due) <= Date.now() && ' (due now)'}
                      </td>
                      <td
                        className={s.last_outcome === 'failed' ? 'saved-failed' : undefined}
                        data-testid="schedule-last"
                      >
                        {lastOutcomeWords(s.last_outcome)}
                      </td>
                      <td>
                        <span className="saved-folder">{s.folder}</span> · {FORMAT_LABELS[s.format]}
                        {s.format === 'csv' && s.bom ? ' for Excel' : ''}
                      </td>
                      <td className="saved-actions">
                        <button
                          type="button"
                          className="button button-secondary button-small"
                          aria-expanded={runsOf === s.id}
                          aria-label={`Runs of “${name}”`}
                          onClick={() => setRunsOf(runsOf === s.id ? null : s.id)}
                        >
                          Runs
                        </button>
                        <button
                          type="button"
                          className="button button-quiet button-small"
                          aria-label={`Void the schedule of “${name}”`}
                          onClick={() => setActing({ act: 'void_schedule', schedule: s })}
                        >
                          Void…
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        {schedules.data && schedules.data.total_pages > 1 && (
          <Pager
            label="Schedule pages"
            page={schedulePageNo}
            totalPages={schedules.data.total_pages}
            total={schedules.data.total}
            onPage={setSchedulePageNo}
            disabled={schedules.loading}
          />
        )}
        {runsOf && schedules.data?.items.some((s) => s.id === runsOf) && (
          <Runs
            key={runsOf}
            schedule={schedules.data.items.find((s) => s.id === runsOf)!}
            onClose={() => setRunsOf(null)}
          />
        )}
      </div>

      {acting?.act === 'change' && (
        <RenameDialog
          saved={acting.saved}
          onClose={() => setActing(null)}
          onDone={(s) => done(`Renamed “${s.name}”.`)}
        />
      )}
      {acting?.act === 'void' && (
        <ReasonDialog
          id="void-saved"
          title={`Void “${acting.saved.name}”?`}
          reasonLabel="Reason for voiding it"
          hint="Such as “no longer needed” or “replaced by the monthly one”."
          missing="Say why it is voided; the reason goes into the audit trail."
          action="Void it"
          busyLabel="Voiding…"
          run={(reason) => client.run('void_saved_report', { saved_id: acting.saved.id, reason })}
          onClose={() => setActing(null)}
          onDone={(r) =>
            done(
              r.schedules_voided > 0
                ? `Voided “${r.saved_report.name}” and its ${count(r.schedules_voided, 'schedule')} on this PC.`
                : `Voided “${r.saved_report.name}”.`,
            )
          }
        >
          <p>
            It leaves your saved list and stays on record. Your schedules of it on this PC are
            voided with it, with the same reason.
          </p>
        </ReasonDialog>
      )}
      {acting?.act === 'schedule' && (
        <ScheduleDialog
          saved={acting.saved}
          onClose={() => setActing(null)}
          onDone={(s) =>
            done(`Scheduled “${s.saved_name ?? acting.saved.name}”: ${cadenceWords(s.schedule)}.`)
          }
        />
      )}
      {acting?.act === 'void_schedule' && (
        <ReasonDialog
          id="void-schedule"
          title={`Void the schedule of “${acting.schedule.saved_name ?? 'this report'}”?`}
          reasonLabel="Reason for voiding the schedule"
          hint="Such as “the folder moved” or “no longer needed weekly”."
          missing="Say why the schedule is voided; the reason goes into the audit trail."
          action="Void the schedule"
          busyLabel="Voiding…"
          run={(reason) => client.run('void_schedule', { schedule_id: acting.schedule.id, reason })}
          onClose={() => setActing(null)}
          onDone={() => {
            if (runsOf === acting.schedule.id) setRunsOf(null);
            done('The schedule is voided: nothing more is written by it.');
          }}
        >
          <p>
            {cadenceWords(acting.schedule.schedule)}, to {acting.schedule.folder}. The files already
            written stay where they are; the saved report stays saved.
          </p>
        </ReasonDialog>
      )}
    </section>
  );
}

function RenameDialog({
  saved,
  onClose,
  onDone,
}: {
  saved: SavedReportRecord;
  onClose: () => void;
  onDone: (s: SavedReportRecord) => void;
}) {
  const client = useClient();
  const [name, setName] = useState(saved.name);
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    const problem = nameProblem(name);
    if (problem) throw refuse(problem);
    if (reason.trim() === '') throw refuse('Say why it is renamed; it goes into the audit trail.');
    return client.run('change_saved_report', {
      saved_id: saved.id,
      name: name.trim(),
      what: saved.what,
      reason: reason.trim(),
    });
  }, onDone);
  return (
    <Dialog title={`Rename “${saved.name}”`} onClose={onClose} testId="rename-saved-dialog">
      <p className="hint">
        To change what it shows, open it, change the form and save it as a change to it.
      </p>
      <form onSubmit={submit} noValidate>
        <Field
          id="rename-saved-name"
          label="Name"
          value={name}
          onChange={setName}
          required
          autoFocus
          spellCheck
        />
        <Field
          id="rename-saved-reason"
          label="Reason for the change"
          value={reason}
          onChange={setReason}
          hint="Such as “clearer name”."
          required
          spellCheck
        />
        <ErrorAlert message={error} testId="rename-saved-error" />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Saving…">
            Rename
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

const CADENCES: readonly { value: CadenceKind; label: string }[] = [
  { value: 'daily', label: 'Every day' },
  { value: 'weekly', label: 'Every week' },
  { value: 'monthly', label: 'Every month' },
];

function ScheduleDialog({
  saved,
  onClose,
  onDone,
}: {
  saved: SavedReportRecord;
  onClose: () => void;
  onDone: (s: ReportScheduleRecord) => void;
}) {
  const client = useClient();
  const { timeZone } = useSession();
  const zones = useAsyncData(() => client.run('setting_choices', {}), [client]);
  const [form, setForm] = useState<ScheduleForm>(() => defaultScheduleForm(saved.what, timeZone));
  const set = (change: Partial<ScheduleForm>) => setForm((f) => ({ ...f, ...change }));
  const formats = formatsOf(saved.what);
  const { busy, error, submit } = useSubmit(async () => {
    const args = scheduleArgsOf(form, saved.id, saved.what);
    if (!args.ok) throw refuse(args.problem);
    return client.run('schedule_report', args.value);
  }, onDone);
  const zoneList = zones.data?.time_zones ?? [];
  return (
    <Dialog title={`Schedule “${saved.name}”`} onClose={onClose} testId="schedule-dialog">
      <p>
        Aliquot on this PC writes it to the folder when it is due, as you (with your role as it is
        then). A file never replaces another: a second one gets “-2”.
      </p>
      {hasPeriod(saved.what) && (
        <p className="alert alert-warning" data-testid="schedule-period-note">
          {PERIOD_NOTE}
        </p>
      )}
      <form onSubmit={submit} noValidate className="schedule-form">
        <SelectField
          id="schedule-cadence"
          label="How often"
          value={form.cadence}
          onChange={(cadence) => set({ cadence })}
          options={CADENCES}
        />
        {form.cadence === 'weekly' && (
          <SelectField
            id="schedule-weekday"
            label="On"
            value={form.weekday}
            onChange={(weekday) => set({ weekday })}
            options={WEEKDAYS}
          />
        )}
        {form.cadence === 'monthly' && (
          <Field
            id="schedule-day"
            label="Day of the month"
            type="number"
            min={1}
            max={31}
            value={form.day}
            onChange={(day) => set({ day })}
            hint="1 to 31; a month without that day runs on its last day."
          />
        )}
        <Field
          id="schedule-time"
          label="At (HH:MM, 24-hour)"
          type="time"
          value={form.localTime}
          onChange={(localTime) => set({ localTime })}
          required
        />
        <div className="field">
          <label htmlFor="schedule-zone">Time zone</label>
          <select
            id="schedule-zone"
            value={form.timeZone}
            onChange={(e) => set({ timeZone: e.target.value })}
            aria-describedby="schedule-zone-hint"
          >
            {!zoneList.includes(form.timeZone) && (
              <option value={form.timeZone}>{zoneLabel(form.timeZone)}</option>
            )}
            {zoneGroups(zoneList).map((g) => (
              <optgroup key={g.region} label={g.region}>
                {g.zones.map((zone) => (
                  <option key={zone} value={zone}>
                    {zoneLabel(zone)}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
          <p className="hint" id="schedule-zone-hint">
            The lab’s zone ({timeZone}) unless you choose another.
          </p>
          <ErrorAlert message={zones.error} />
        </div>
        <Field
          id="schedule-folder"
          label="Folder on this PC"
          value={form.folder}
          onChange={(folder) => set({ folder })}
          hint="Its full path, such as C:\Reports or /data/reports; it must be there already."
          required
        />
        <SelectField
          id="schedule-format"
          label="Format"
          value={form.format}
          onChange={(format) => set({ format })}
          options={formats.map((f) => ({ value: f, label: FORMAT_LABELS[f] }))}
          disabled={formats.length === 1}
        />
        {saved.what.kind === 'query' && <p className="hint">A query is written as CSV only.</p>}
        {form.format === 'csv' && (
          <label className="schedule-bom">
            <input
              type="checkbox"
              checked={form.bom}
              onChange={(e) => set({ bom: e.target.checked })}
            />
            CSV for Excel (starts with a byte-order mark)
          </label>
        )}
        <ErrorAlert message={error} testId="schedule-error" />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Scheduling…">
            Schedule
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** One schedule's runs, newest first: late and missed said plainly, a failure's message. */
function Runs({ schedule, onClose }: { schedule: ReportScheduleRecord; onClose: () => void }) {
  const client = useClient();
  const { formatTime } = useSession();
  const [page, setPage] = useState(1);
  const runs = useAsyncData(
    () => client.run('list_report_runs', { schedule_id: schedule.id, page, per_page: PER_PAGE }),
    [client, schedule.id, page],
  );
  return (
    <section className="saved-runs" data-testid="schedule-runs" aria-label="Runs">
      <div className="saved-runs-head">
        <h3>Runs of “{schedule.saved_name ?? 'this report'}”</h3>
        <button type="button" className="button button-quiet button-small" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorAlert message={runs.error} />
      {runs.data && runs.data.total === 0 && (
        <p className="empty-state">No run yet: the first is due {formatTime(schedule.next_due)}.</p>
      )}
      {runs.data && runs.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="data-table" aria-busy={runs.loading}>
            <caption className="visually-hidden">Runs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Due</th>
                <th scope="col">Ran</th>
                <th scope="col">Outcome</th>
                <th scope="col">File</th>
                <th scope="col" className="numeric">
                  Rows
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.data.items.map((r) => (
                <tr key={r.id} data-testid="run-row">
                  <td className="when">{formatTime(r.due_at)}</td>
                  <td className="when">{formatTime(r.ran_at)}</td>
                  <td className={r.outcome === 'failed' ? 'saved-failed' : undefined}>
                    {runOutcomeWords(r)}
                    {r.message && <div className="saved-message">{r.message}</div>}
                  </td>
                  <td className="saved-folder">{r.file ?? '—'}</td>
                  <td className="numeric">{r.rows ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {runs.data && runs.data.total_pages > 1 && (
        <Pager
          label="Run pages"
          page={page}
          totalPages={runs.data.total_pages}
          total={runs.data.total}
          onPage={setPage}
          disabled={runs.loading}
        />
      )}
    </section>
  );
}
