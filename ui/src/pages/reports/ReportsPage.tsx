import { lazy, Suspense, useEffect, useRef, useState, type FormEvent } from 'react';
import type {
  Report,
  ReportFile,
  ReportRequest,
  SavedReportRecord,
  SavedWhat,
  Table,
} from '../../api/types';
import {
  ErrorAlert,
  Field,
  PageHeading,
  SelectField,
  StatusMessage,
  SubmitButton,
} from '../../components/forms';
import { errorMessage } from '../../lib/errors';
import { PICKER_PAGE } from '../../lib/paging';
import { useAsyncData } from '../../lib/useAsyncData';
import { useScanHandler } from '../../scan/ScanContext';
import { useClient, useSession } from '../../session';
import { SaveDialog, SavedPicker, useOpenSavedFromRoute } from '../saved/SaveDialog';
import { reportFormOf } from '../saved/scheduleWords';
import { ScanField } from '../storage/ScanField';
import { saveFile } from './download';
import {
  cellText,
  chartTableNote,
  defaultForm,
  figureText,
  isNumericKind,
  kindInfo,
  moreRowsWords,
  reportKindsFor,
  requestOf,
  routeRequest,
  type ReportForm,
  wordsText,
  type ReportKind,
} from './reportWords';
import './reports.css';

// Chart.js (about 60 kB gzipped) loads with the first report that has a chart, not at start-up.
const ReportChart = lazy(() =>
  import('../../components/Chart').then((m) => ({ default: m.ReportChart })),
);

/** A report made, numbered so a new one starts its view afresh. */
type Made = { request: ReportRequest; report: Report; n: number };

/**
 * Reports: choose one, give what it needs, make it; then read it here (warnings first, its
 * figures, charts with their numbers, tables) or take it away as a PDF or a table as CSV.
 * `#/reports/custody:<code>` (the sample page's "Chain of custody") opens with that sample's
 * chain of custody made.
 */
export function ReportsPage({ routeId }: { routeId?: string }) {
  const client = useClient();
  const { can, timeZone } = useSession();
  const kinds = reportKindsFor(can);
  const asked = routeRequest(routeId);
  const firstKind: ReportKind =
    asked && kinds.some((k) => k.value === asked.kind)
      ? asked.kind
      : (kinds[0]?.value ?? 'inventory');
  const [form, setForm] = useState<ReportForm>(() => ({
    ...defaultForm(firstKind, timeZone),
    sampleCode: asked?.sampleCode ?? '',
  }));
  const [made, setMade] = useState<Made | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Only the latest report asked for is shown: one asked before is dropped when it arrives.
  const latest = useRef(0);
  // Saved reports: the one opened (offered to be changed), the dialog, the picker's reload.
  const [openedSaved, setOpenedSaved] = useState<SavedReportRecord | null>(null);
  const [saving, setSaving] = useState<SavedWhat | null>(null);
  const [savedGeneration, setSavedGeneration] = useState(0);
  const [savedNote, setSavedNote] = useState<string | null>(null);
  // Saving and listing saved reports reads samples in the core (an auditor only makes reports).
  const mayKeep = can('read_samples');

  function open(saved: SavedReportRecord) {
    if (saved.what.kind !== 'report') return;
    const request = saved.what.request;
    latest.current++;
    setBusy(false);
    setMade(null);
    setSavedNote(null);
    setOpenedSaved(saved);
    if (!kinds.some((k) => k.value === request.report)) {
      setError(`“${saved.name}” is a report your role does not make.`);
      return;
    }
    setError(null);
    setForm(reportFormOf(request, timeZone));
  }

  function askSave() {
    const checked = requestOf(form, timeZone);
    if (!checked.ok) {
      setError(`Nothing was saved: ${checked.problem}`);
      return;
    }
    setError(null);
    setSavedNote(null);
    setSaving({ kind: 'report', request: checked.value });
  }

  // `#/reports/saved:<id>` (the Saved & scheduled page's "Open") opens that saved report.
  useOpenSavedFromRoute(routeId, 'saved report', open, setError);

  async function make(f: ReportForm) {
    const checked = requestOf(f, timeZone);
    const ask = ++latest.current;
    setError(null);
    if (!checked.ok) {
      setError(checked.problem);
      return;
    }
    setBusy(true);
    try {
      const report = await client.run('make_report', { request: checked.value });
      if (ask === latest.current) setMade({ request: checked.value, report, n: ask });
    } catch (e: unknown) {
      if (ask === latest.current) {
        setMade(null);
        setError(`No report was made: ${errorMessage(e)}`);
      }
    } finally {
      if (ask === latest.current) setBusy(false);
    }
  }

  // A link with a sample's code makes its chain of custody at once.
  const opened = useRef(false);
  useEffect(() => {
    // Once, with the form the link filled (a second run in development changes nothing).
    if (opened.current) return;
    opened.current = true;
    if (asked?.sampleCode && firstKind === 'chain_of_custody') void make(form);
  }, []);

  // A tube scanned while the chain of custody is chosen is the one to report on.
  useScanHandler((scan) => {
    if (form.kind !== 'chain_of_custody' || scan.command) return false;
    const next = { ...form, sampleCode: scan.text };
    setForm(next);
    void make(next);
    return true;
  });

  const set = (change: Partial<ReportForm>) => setForm((f) => ({ ...f, ...change }));
  const info = kindInfo(form.kind);

  function submit(e: FormEvent) {
    e.preventDefault();
    void make(form);
  }

  return (
    <section className="reports-page" data-testid="reports-page">
      <PageHeading>Reports</PageHeading>
      <p className="lead">
        Made from the lab’s records as they are now, with the lab’s name, who made it and when. Save
        one as a PDF to file or send it; save a table as CSV to work on it.
      </p>
      {kinds.length === 0 ? (
        <p className="empty-state">Your role makes no reports. Ask a lab manager for one.</p>
      ) : (
        <form className="card report-form" onSubmit={submit} noValidate data-testid="report-form">
          <h2>Make a report</h2>
          {mayKeep && (
            <SavedPicker
              id="report-saved"
              kind="report"
              chosenId={openedSaved?.id ?? ''}
              generation={savedGeneration}
              onOpen={open}
            />
          )}
          <SelectField
            id="report-kind"
            label="Report"
            value={form.kind}
            onChange={(kind) => {
              setMade(null);
              setError(null);
              latest.current++;
              setBusy(false);
              set({ kind });
            }}
            options={kinds.map((k) => ({ value: k.value, label: k.label }))}
          />
          {info && <p className="hint report-about">{info.about}</p>}
          <ReportParameters form={form} set={set} />
          <ErrorAlert message={error} testId="report-error" />
          <div className="form-actions">
            <SubmitButton busy={busy} busyLabel="Making the report…">
              Make report
            </SubmitButton>
            {mayKeep && (
              <button type="button" className="button button-secondary" onClick={askSave}>
                Save…
              </button>
            )}
          </div>
          <StatusMessage message={savedNote} testId="report-saved-note" />
        </form>
      )}
      {saving && (
        <SaveDialog
          what={saving}
          opened={openedSaved}
          noun="report"
          onClose={() => setSaving(null)}
          onSaved={(saved) => {
            setSaving(null);
            setOpenedSaved(saved);
            setSavedGeneration((g) => g + 1);
            setSavedNote(`Saved as “${saved.name}”. Schedule it on the Saved & scheduled page.`);
          }}
        />
      )}
      {made && <ReportView key={made.n} made={made} />}
    </section>
  );
}

/** What the chosen report needs: a sample code, a period, a freezer or a field event. */
function ReportParameters({
  form,
  set,
}: {
  form: ReportForm;
  set: (change: Partial<ReportForm>) => void;
}) {
  const client = useClient();
  const { timeZone, formatTime } = useSession();
  const picks = useAsyncData(async () => {
    const kind = form.kind;
    if (kind === 'occupancy') {
      const page = await client.run('list_freezers', PICKER_PAGE);
      const options = page.items.map((f) => ({
        value: f.id,
        label: f.location ? `${f.name} · ${f.location}` : f.name,
      }));
      return { kind, options };
    }
    if (kind === 'field_event') {
      const page = await client.run('list_field_events', PICKER_PAGE);
      const options = page.items.map((e) => ({
        value: e.id,
        label: `${e.name} · ${formatTime(e.date)} · ${e.site_code}`,
      }));
      return { kind, options };
    }
    return { kind, options: [] };
  }, [client, form.kind, formatTime]);
  // Another report's list, still shown while this one's loads, is no list of this one's.
  const loaded = picks.data?.kind === form.kind ? picks.data.options : null;
  const options = loaded ?? [];

  switch (form.kind) {
    case 'chain_of_custody':
      return (
        <ScanField
          id="report-sample-code"
          label="Sample code"
          value={form.sampleCode}
          onChange={(sampleCode) => set({ sampleCode })}
          hint="Scan the tube or type its code, then press Enter."
          autoFocus
          testId="report-sample-code"
        />
      );
    case 'compliance':
    case 'discards':
      return (
        <fieldset className="report-period">
          <legend>Period, in the lab’s days ({timeZone})</legend>
          <div className="report-period-days">
            <Field
              id="report-from"
              label="From"
              type="date"
              value={form.from}
              onChange={(from) => set({ from })}
              required
            />
            <Field
              id="report-to"
              label="To (included)"
              type="date"
              value={form.to}
              onChange={(to) => set({ to })}
              required
            />
          </div>
        </fieldset>
      );
    case 'occupancy':
      return (
        <>
          <SelectField
            id="report-freezer"
            label="Freezer"
            value={form.freezerId}
            onChange={(freezerId) => set({ freezerId })}
            options={[{ value: '', label: 'Every freezer' }, ...options]}
            disabled={loaded === null}
          />
          <ErrorAlert message={picks.error} />
        </>
      );
    case 'field_event':
      return (
        <>
          {loaded !== null && loaded.length === 0 ? (
            <p className="empty-state">
              No field event yet: one is planned at the registration desk.
            </p>
          ) : (
            <SelectField
              id="report-event"
              label="Field event"
              value={form.eventId}
              onChange={(eventId) => set({ eventId })}
              options={[{ value: '', label: 'Choose a field event' }, ...options]}
              disabled={loaded === null}
            />
          )}
          <ErrorAlert message={picks.error} />
        </>
      );
    case 'inventory':
      return null;
  }
}

/** A made report: what it is, warnings, figures, charts and tables, and its files. */
function ReportView({ made }: { made: Made }) {
  const client = useClient();
  const { formatTime } = useSession();
  const { request, report } = made;
  const [bom, setBom] = useState(false);
  const [saving, setSaving] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function save(what: string, file: () => Promise<ReportFile>) {
    setSaving(what);
    setError(null);
    try {
      saveFile(await file());
    } catch (e: unknown) {
      setError(`The file was not made: ${errorMessage(e)}`);
    } finally {
      setSaving(null);
    }
  }

  // A new report is where the reader goes next: its title takes the focus, in view.
  const titleRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    titleRef.current?.focus({ preventScroll: true });
    titleRef.current?.scrollIntoView({ block: 'start' });
  }, []);

  const figures = report.figures;
  return (
    <article className="report" data-testid="report" aria-labelledby="report-title">
      <header className="card report-head">
        <h2 id="report-title" data-testid="report-title" ref={titleRef} tabIndex={-1}>
          {report.title}
        </h2>
        <p className="report-made" data-testid="report-made">
          {report.lab_name} · Made {formatTime(report.made_at)} by {report.made_by}
        </p>
        {report.warnings.length > 0 && (
          <div className="alert alert-warning report-warnings" data-testid="report-warnings">
            <strong>
              {report.warnings.length === 1
                ? 'Read this before relying on the report:'
                : `Read these ${report.warnings.length} points before relying on the report:`}
            </strong>
            <ul>
              {report.warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          </div>
        )}
        {report.parameters.length > 0 && (
          <dl className="facts report-parameters" data-testid="report-parameters">
            {report.parameters.map((p, i) => (
              <div key={i} className="report-parameter">
                <dt>{p.name}</dt>
                <dd>{wordsText(p.value, formatTime)}</dd>
              </div>
            ))}
          </dl>
        )}
        <div className="form-actions">
          <button
            type="button"
            className="button button-primary"
            disabled={saving !== null}
            aria-busy={saving === 'pdf'}
            onClick={() => void save('pdf', () => client.run('report_pdf', { request }))}
          >
            {saving === 'pdf' ? 'Making the PDF…' : 'Download PDF'}
          </button>
          {report.tables.length > 0 && (
            <label className="report-bom">
              <input
                type="checkbox"
                checked={bom}
                onChange={(e) => setBom(e.target.checked)}
                aria-describedby="report-bom-hint"
              />
              CSV for Excel
            </label>
          )}
        </div>
        {report.tables.length > 0 && (
          <p className="hint" id="report-bom-hint">
            “CSV for Excel” starts each CSV file with a byte-order mark, so Excel reads accents and
            µ correctly; leave it off for other programs.
          </p>
        )}
        <ErrorAlert message={error} testId="report-file-error" />
      </header>

      {figures.length > 0 && (
        <dl className="report-figures" data-testid="report-figures">
          {figures.map((f, i) => (
            <div
              key={i}
              className={
                typeof f.value === 'number' ? 'report-figure' : 'report-figure report-figure-text'
              }
            >
              <dt>{f.label}</dt>
              <dd>{figureText(f.value, formatTime)}</dd>
            </div>
          ))}
        </dl>
      )}

      {report.charts.length > 0 && (
        <section className="card report-charts" aria-label="Charts">
          <Suspense fallback={<p className="loading">Drawing the charts…</p>}>
            {report.charts.map((chart, i) => (
              <ReportChart
                key={i}
                chart={chart}
                labelHeading={report.tables[chart.table]?.columns[0]?.label}
                tableNote={chartTableNote(report.tables, chart.table) ?? undefined}
              />
            ))}
          </Suspense>
        </section>
      )}

      {report.tables.map((table, i) => (
        <ReportTable
          key={i}
          table={table}
          busy={saving === `csv-${i}`}
          disabled={saving !== null}
          onCsv={() =>
            void save(`csv-${i}`, () => client.run('report_csv', { request, table: i, bom }))
          }
        />
      ))}
    </article>
  );
}

function ReportTable({
  table,
  busy,
  disabled,
  onCsv,
}: {
  table: Table;
  busy: boolean;
  disabled: boolean;
  onCsv: () => void;
}) {
  const { formatTime } = useSession();
  const more = moreRowsWords(table.rows_left_out);
  return (
    <section className="card report-table" data-testid="report-table" data-table={table.title}>
      <div className="report-table-head">
        <h3>{table.title}</h3>
        <button
          type="button"
          className="button button-secondary button-small"
          disabled={disabled}
          aria-busy={busy}
          aria-label={`Download “${table.title}” as CSV`}
          onClick={onCsv}
        >
          {busy ? 'Making the CSV…' : 'CSV'}
        </button>
      </div>
      {table.rows.length === 0 ? (
        <p className="empty-state">Nothing to list.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">{table.title}</caption>
            <thead>
              <tr>
                {table.columns.map((c) => (
                  <th key={c.key} scope="col" className={isNumericKind(c.kind) ? 'numeric' : ''}>
                    {c.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((row, r) => (
                <tr key={r}>
                  {table.columns.map((c, j) => (
                    <td
                      key={c.key}
                      className={
                        isNumericKind(c.kind) ? 'numeric' : c.kind === 'time' ? 'when' : undefined
                      }
                    >
                      {cellText(row[j], c.kind, formatTime)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more && (
        <p className="hint report-more" data-testid="report-more">
          {more}
        </p>
      )}
    </section>
  );
}
