import { useState } from 'react';
import type {
  InstrumentRecord,
  LayoutWell,
  PlateFormat,
  PlateTemplateRecord,
  RunState,
} from '../../api/types';
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
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { useNavigate } from '../../router';
import { useClient, useSession } from '../../session';
import { PLATE_FORMATS, STATES, stateLabel, verdictLabel } from './runWords';
import './runs.css';

const PER_PAGE = 20;

/**
 * The lab's runs on its instruments, newest first: where each stands and what QC said of it.
 * Technicians and lab managers plan runs here, and the plate templates their controls,
 * standards and blanks come from.
 */
export function RunsPage() {
  const client = useClient();
  const navigate = useNavigate();
  const { can } = useSession();
  const mayRun = can('run_instruments');
  const [search, setSearch] = useState('');
  const [state, setState] = useState<RunState | ''>('');
  const [page, setPage] = useState(1);
  const runs = useAsyncData(
    () =>
      client.run('list_runs', {
        page,
        per_page: PER_PAGE,
        ...(search.trim() ? { search: search.trim() } : {}),
        ...(state ? { state } : {}),
      }),
    [client, page, search, state],
  );
  const [planning, setPlanning] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const data = runs.data;
  return (
    <section className="runs" data-testid="runs">
      <PageHeading>Runs</PageHeading>
      <p className="lead">
        A run is what one instrument reads in one go: its plates, the tubes scanned onto them, the
        result file it wrote and what QC said of its controls.
      </p>
      <div className="toolbar">
        <Field
          id="run-search"
          label="Run name starts with"
          value={search}
          onChange={(v) => {
            setSearch(v);
            setPage(1);
          }}
        />
        <SelectField
          id="run-state-filter"
          label="Stands"
          value={state}
          onChange={(v) => {
            setState(v);
            setPage(1);
          }}
          options={[{ value: '' as const, label: 'Any' }, ...STATES]}
        />
        {mayRun && (
          <button type="button" className="button button-primary" onClick={() => setPlanning(true)}>
            Plan a run
          </button>
        )}
      </div>
      <StatusMessage message={notice} testId="runs-notice" />
      <ErrorAlert message={runs.error} />
      {data && data.total === 0 && (
        <p className="empty-state">
          {search || state ? 'No run matches these filters.' : 'No run yet.'}
        </p>
      )}
      {data && data.total > 0 && (
        <div className="table-wrap">
          <table className="data-table" data-testid="runs-table">
            <caption className="visually-hidden">Runs</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Instrument</th>
                <th scope="col">Stands</th>
                <th scope="col">QC</th>
                <th scope="col">Plates</th>
                <th scope="col">Tubes</th>
                <th scope="col">Planned</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((r) => (
                <tr key={r.id} data-run={r.name} data-state={r.state}>
                  <td>
                    <a
                      href={`#/run/${r.id}`}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate({ page: 'run', id: r.id });
                      }}
                    >
                      {r.name}
                    </a>
                  </td>
                  <td>{r.instrument_name}</td>
                  <td>
                    <span className={`run-state run-state-${r.state}`}>{stateLabel(r.state)}</span>
                  </td>
                  <td>{r.state === 'planned' ? '—' : verdictLabel(r.qc_verdict, r.qc_rules)}</td>
                  <td>{r.plates}</td>
                  <td>{r.samples}</td>
                  <td>{new Date(r.created_at).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Run pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={runs.loading}
        />
      )}
      {planning && (
        <PlanRunDialog
          onClose={() => setPlanning(false)}
          onDone={(id, name) => {
            setPlanning(false);
            setNotice(`Run ${name} planned.`);
            navigate({ page: 'run', id });
          }}
        />
      )}
      <PlateTemplates editable={mayRun} />
    </section>
  );
}

/** Plans a run: the instrument, its name, and its plates with the template they follow. */
function PlanRunDialog({
  onClose,
  onDone,
}: {
  onClose: () => void;
  onDone: (id: string, name: string) => void;
}) {
  const client = useClient();
  const instruments = useAsyncData(
    () => client.run('list_instruments', { status: 'in_service', page: 1, per_page: 100 }),
    [client],
  );
  const [instrumentId, setInstrumentId] = useState('');
  const [name, setName] = useState('');
  const [format, setFormat] = useState<PlateFormat>('96');
  const [plates, setPlates] = useState('1');
  const [templateId, setTemplateId] = useState('');
  const templates = useAsyncData(
    () => client.run('list_plate_templates', { format, page: 1, per_page: 100 }),
    [client, format],
  );
  const { busy, error, submit } = useSubmit(
    async () => {
      if (!instrumentId) throw refuse('Choose the instrument the run goes on.');
      if (!name.trim()) throw refuse('Give the run a name: its plates are labelled with it.');
      const count = Number(plates);
      if (!Number.isInteger(count) || count < 1 || count > 40)
        throw refuse('A run has 1 to 40 plates.');
      return client.run('create_run', {
        instrument_id: instrumentId,
        name: name.trim(),
        plates: Array.from({ length: count }, (_, i) => ({
          name: `${name.trim()}-P${i + 1}`,
          format,
          ...(templateId ? { template_id: templateId } : {}),
        })),
      });
    },
    (run) => onDone(run.id, run.name),
  );
  const options = (instruments.data?.items ?? []).map((i: InstrumentRecord) => ({
    value: i.id,
    label: `${i.name} (${i.model})`,
  }));
  return (
    <Dialog title="Plan a run" onClose={onClose} testId="plan-run-dialog">
      <form onSubmit={submit} noValidate>
        <SelectField
          id="run-instrument"
          label="Instrument (in service)"
          value={instrumentId}
          onChange={setInstrumentId}
          options={[{ value: '', label: 'Choose…' }, ...options]}
        />
        <Field
          id="run-name"
          label="Run name"
          value={name}
          onChange={setName}
          hint="Plates are named after it: ELISA-2026-12-03 gives ELISA-2026-12-03-P1."
          required
        />
        <SelectField
          id="run-plate-format"
          label="Plate"
          value={format}
          onChange={(v) => {
            setFormat(v);
            setTemplateId('');
          }}
          options={PLATE_FORMATS}
        />
        <Field
          id="run-plates"
          label="Number of plates"
          type="number"
          min={1}
          max={40}
          value={plates}
          onChange={setPlates}
        />
        <SelectField
          id="run-template"
          label="Template (controls, standards and blanks)"
          value={templateId}
          onChange={setTemplateId}
          options={[
            { value: '', label: 'None: an empty plate' },
            ...(templates.data?.items ?? []).map((t: PlateTemplateRecord) => ({
              value: t.id,
              label: t.name,
            })),
          ]}
        />
        <ErrorAlert message={error ?? instruments.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <SubmitButton busy={busy} busyLabel="Planning…">
            Plan the run
          </SubmitButton>
        </div>
      </form>
    </Dialog>
  );
}

/** The lab's plate templates: which wells hold controls, standards and blanks. */
function PlateTemplates({ editable }: { editable: boolean }) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const templates = useAsyncData(
    () => client.run('list_plate_templates', { page, per_page: 10 }),
    [client, page],
  );
  const [adding, setAdding] = useState(false);
  const data = templates.data;
  return (
    <div className="card plate-templates" data-testid="plate-templates">
      <h2>Plate templates</h2>
      <p className="hint">
        A run’s plates start from a template: its controls, standards and blanks are placed before
        any tube is scanned.
      </p>
      <ErrorAlert message={templates.error} />
      {data && data.total === 0 && <p className="empty-state">No template yet.</p>}
      {data && data.total > 0 && (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Plate templates</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Plate</th>
                <th scope="col">Wells it fills</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>{t.format} wells</td>
                  <td>{t.layout.map(layoutText).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Template pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={templates.loading}
        />
      )}
      {editable && (
        <button type="button" className="button" onClick={() => setAdding(true)}>
          New template
        </button>
      )}
      {adding && (
        <TemplateDialog
          onClose={() => setAdding(false)}
          onDone={() => {
            setAdding(false);
            templates.reload();
          }}
        />
      )}
    </div>
  );
}

function layoutText(w: LayoutWell): string {
  switch (w.content.role) {
    case 'control':
      return `${w.well} control`;
    case 'standard':
      return `${w.well} ${w.content.name}`;
    case 'blank':
      return `${w.well} blank`;
  }
}

type Row = { well: string; role: 'control' | 'standard' | 'blank'; lot: string; name: string };

/** A new template: a row per well it fills. */
function TemplateDialog({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const client = useClient();
  const [name, setName] = useState('');
  const [format, setFormat] = useState<PlateFormat>('96');
  const [instrumentId, setInstrumentId] = useState('');
  const [rows, setRows] = useState<Row[]>([{ well: 'H12', role: 'control', lot: '', name: '' }]);
  const instruments = useAsyncData(
    () => client.run('list_instruments', { page: 1, per_page: 100 }),
    [client],
  );
  const lots = useAsyncData(
    () =>
      instrumentId
        ? client.run('list_control_lots', { instrument_id: instrumentId, page: 1, per_page: 100 })
        : Promise.resolve(null),
    [client, instrumentId],
  );
  const { busy, error, submit } = useSubmit(async () => {
    if (!name.trim()) throw refuse('Name the template.');
    const layout: LayoutWell[] = rows.map((r) => {
      if (!r.well.trim()) throw refuse('Every row needs its well (A1, H12…).');
      if (r.role === 'control') {
        if (!r.lot) throw refuse(`Choose the control lot for ${r.well}.`);
        return { well: r.well.trim(), content: { role: 'control', control_lot_id: r.lot } };
      }
      if (r.role === 'standard') {
        if (!r.name.trim()) throw refuse(`Name the standard in ${r.well} (S1, S2…).`);
        return { well: r.well.trim(), content: { role: 'standard', name: r.name.trim() } };
      }
      return { well: r.well.trim(), content: { role: 'blank' } };
    });
    return client.run('create_plate_template', { name: name.trim(), format, layout });
  }, onDone);
  const set = (i: number, change: Partial<Row>) =>
    setRows(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  const lotOptions = (lots.data?.items ?? []).map((l) => ({
    value: l.id,
    label: `${l.material} · ${l.lot} (${l.read})`,
  }));
  return (
    <Dialog title="New plate template" onClose={onClose} testId="template-dialog">
      <form onSubmit={submit} noValidate>
        <Field id="template-name" label="Name" value={name} onChange={setName} required />
        <SelectField
          id="template-format"
          label="Plate"
          value={format}
          onChange={setFormat}
          options={PLATE_FORMATS}
        />
        <SelectField
          id="template-instrument"
          label="Instrument whose control lots it uses"
          value={instrumentId}
          onChange={setInstrumentId}
          options={[
            { value: '', label: 'Choose…' },
            ...(instruments.data?.items ?? []).map((i) => ({ value: i.id, label: i.name })),
          ]}
        />
        <fieldset className="template-wells">
          <legend>Wells</legend>
          {rows.map((r, i) => (
            <div className="template-well" key={i}>
              <Field
                id={`template-well-${i}`}
                label="Well"
                value={r.well}
                onChange={(v) => set(i, { well: v })}
              />
              <SelectField
                id={`template-role-${i}`}
                label="Holds"
                value={r.role}
                onChange={(v) => set(i, { role: v })}
                options={[
                  { value: 'control', label: 'Control' },
                  { value: 'standard', label: 'Standard' },
                  { value: 'blank', label: 'Blank' },
                ]}
              />
              {r.role === 'control' && (
                <SelectField
                  id={`template-lot-${i}`}
                  label="Control lot"
                  value={r.lot}
                  onChange={(v) => set(i, { lot: v })}
                  options={[{ value: '', label: 'Choose…' }, ...lotOptions]}
                />
              )}
              {r.role === 'standard' && (
                <Field
                  id={`template-standard-${i}`}
                  label="Standard"
                  value={r.name}
                  onChange={(v) => set(i, { name: v })}
                />
              )}
              <button
                type="button"
                className="button"
                aria-label={`Remove row ${i + 1}`}
                onClick={() => setRows(rows.filter((_, j) => j !== i))}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            className="button"
            onClick={() => setRows([...rows, { well: '', role: 'blank', lot: '', name: '' }])}
          >
            Add a well
          </button>
        </fieldset>
        <ErrorAlert message={error ?? lots.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <SubmitButton busy={busy} busyLabel="Saving…">
            Save the template
          </SubmitButton>
        </div>
      </form>
    </Dialog>
  );
}
