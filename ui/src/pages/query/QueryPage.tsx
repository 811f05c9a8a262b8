import { useEffect, useState, type ChangeEvent, type ReactNode } from 'react';
import type {
  Column,
  ExportStatus,
  Field,
  Join,
  Query,
  QueryCatalogue,
  QueryEntity,
  SavedReportRecord,
  SavedWhat,
} from '../../api/types';
import { ErrorAlert, PageHeading, StatusMessage } from '../../components/forms';
import { Pager } from '../../components/Pager';
import { errorMessage } from '../../lib/errors';
import { useAsyncData } from '../../lib/useAsyncData';
import { useClient, useSession } from '../../session';
import { cellText, isNumericKind } from '../reports/reportWords';
import { SaveDialog, SavedPicker, useOpenSavedFromRoute } from '../saved/SaveDialog';
import { draftOfQuery } from '../saved/scheduleWords';
import {
  MAX_SORT_KEYS,
  addCondition,
  addGroup,
  buildQuery,
  capitalised,
  conditionNames,
  emptyDraft,
  entityCount,
  fieldOf,
  fieldsOf,
  operatorsOf,
  progressWords,
  removeItem,
  sameQuery,
  setConditionField,
  setConditionOperator,
  setConditionValue,
  setGroupJoin,
  setSortKey,
  shapeOf,
  toggleColumn,
  type Draft,
  type DraftCondition,
} from './queryModel';
import './query.css';

const PER_PAGE = 25;

/** Lines of a finished export shown back. */
const HEAD_LINES = 10;

/** How often a running export is asked where it stands (its events are hints). */
const POLL_MS = 500;

/**
 * The query builder: what to list (samples, participants, boxes, results), which of them
 * (conditions joined by all or any, one level of groups), which columns, in what order; a
 * preview a page at a time, and the whole list exported as CSV on this workstation.
 */
export function QueryPage({ routeId }: { routeId?: string }) {
  const client = useClient();
  const catalogue = useAsyncData(() => client.run('query_catalogue', {}), [client]);
  return (
    <section className="query-page" data-testid="query-page">
      <PageHeading>Query builder</PageHeading>
      <p className="lead">
        Find records by what they hold, look at them a page at a time, and export them all as a CSV
        file on this workstation. Times are the lab’s ({useSession().timeZone}).
      </p>
      <ErrorAlert message={catalogue.error} />
      {!catalogue.data && catalogue.loading && <p className="loading">Loading the fields…</p>}
      {catalogue.data && <Builder catalogue={catalogue.data} routeId={routeId} />}
    </section>
  );
}

/** What a preview was made of: the query, its columns as the core heads them, its total. */
type Shown = { query: Query; columns: Column[]; total: number };

function Builder({ catalogue, routeId }: { catalogue: QueryCatalogue; routeId?: string }) {
  const client = useClient();
  const { timeZone, formatTime } = useSession();
  const firstEntity = catalogue.entities[0]?.entity ?? 'samples';
  const [draft, setDraft] = useState<Draft>(() => emptyDraft(catalogue, firstEntity));
  const [problem, setProblem] = useState<string | null>(null);
  const [shown, setShown] = useState<Shown | null>(null);
  const [page, setPage] = useState(1);
  const [previewing, setPreviewing] = useState(false);
  const fields = fieldsOf(catalogue, draft.entity);
  const names = conditionNames(draft);
  // Saved queries: the one opened (offered to be changed), the dialog, the picker's reload.
  const [opened, setOpened] = useState<SavedReportRecord | null>(null);
  const [saving, setSaving] = useState<SavedWhat | null>(null);
  const [savedGeneration, setSavedGeneration] = useState(0);
  const [savedNote, setSavedNote] = useState<string | null>(null);

  function open(saved: SavedReportRecord) {
    if (saved.what.kind !== 'query') return;
    setSavedNote(null);
    setOpened(saved);
    const loaded = draftOfQuery(catalogue, saved.what.query, timeZone);
    if (!loaded) {
      setProblem(`“${saved.name}” lists records this builder does not offer you.`);
      return;
    }
    setDraft(loaded);
    setShown(null);
    setProblem(null);
  }

  function askSave() {
    const query = built();
    if (!query) return;
    setSavedNote(null);
    setSaving({ kind: 'query', query });
  }

  // `#/query/saved:<id>` (the Saved & scheduled page's "Open") opens that saved query.
  useOpenSavedFromRoute(routeId, 'saved query', open, setProblem);

  const rows = useAsyncData(
    () =>
      shown
        ? client.run('preview_query', { query: shown.query, page, per_page: PER_PAGE })
        : Promise.resolve(null),
    [client, shown, page],
  );

  /** The query the form makes now, or null with the problem shown. */
  function built(): Query | null {
    const b = buildQuery(catalogue, draft, timeZone);
    if (!b.ok) {
      setProblem(b.problem);
      return null;
    }
    setProblem(null);
    return b.value;
  }

  async function preview() {
    const query = built();
    if (!query) return;
    setPreviewing(true);
    try {
      const columns = await client.run('query_columns', { query });
      setShown({ query, columns: columns.columns, total: columns.total });
      setPage(1);
    } catch (e: unknown) {
      setProblem(errorMessage(e));
    } finally {
      setPreviewing(false);
    }
  }

  const current = buildQuery(catalogue, draft, timeZone);
  const stale = shown !== null && !(current.ok && sameQuery(current.value, shown.query));
  const data = rows.data;
  const total = data?.total ?? shown?.total ?? 0;

  return (
    <>
      <div className="card query-form" data-testid="query-form">
        <SavedPicker
          id="query-saved"
          kind="query"
          chosenId={opened?.id ?? ''}
          generation={savedGeneration}
          onOpen={open}
        />
        <div className="field query-entity">
          <label htmlFor="query-entity">List</label>
          <select
            id="query-entity"
            value={draft.entity}
            onChange={(e: ChangeEvent<HTMLSelectElement>) => {
              const entity = e.target.value as QueryEntity;
              setDraft(emptyDraft(catalogue, entity));
              setShown(null);
              setProblem(null);
            }}
          >
            {catalogue.entities.map((e) => (
              <option key={e.entity} value={e.entity}>
                {capitalised(e.label)}
              </option>
            ))}
          </select>
        </div>

        <fieldset className="query-section" data-testid="query-conditions">
          <legend>Which of them</legend>
          {draft.items.length === 0 ? (
            <p className="hint">Every one, until you add a condition.</p>
          ) : (
            <JoinSelect
              id="query-join"
              label="Rows must match"
              value={draft.join}
              onChange={(join) => setDraft({ ...draft, join })}
            />
          )}
          {draft.items.map((item) =>
            item.kind === 'condition' ? (
              <ConditionRow
                key={item.id}
                catalogue={catalogue}
                draft={draft}
                condition={item}
                name={names.get(item.id) ?? ''}
                setDraft={setDraft}
              />
            ) : (
              <fieldset key={item.id} className="query-group" data-testid="query-group">
                <legend>{names.get(item.id)}</legend>
                <JoinSelect
                  id={`query-group-${item.id}-join`}
                  label={`${names.get(item.id)}: rows must match`}
                  value={item.join}
                  onChange={(join) => setDraft(setGroupJoin(draft, item.id, join))}
                />
                {item.items.map((c) => (
                  <ConditionRow
                    key={c.id}
                    catalogue={catalogue}
                    draft={draft}
                    condition={c}
                    name={names.get(c.id) ?? ''}
                    setDraft={setDraft}
                  />
                ))}
                <div className="form-actions">
                  <button
                    type="button"
                    className="button button-secondary"
                    onClick={() => setDraft(addCondition(catalogue, draft, item.id))}
                  >
                    Add a condition to {names.get(item.id)?.toLowerCase()}
                  </button>
                  <button
                    type="button"
                    className="button button-quiet"
                    onClick={() => setDraft(removeItem(draft, item.id))}
                  >
                    Remove {names.get(item.id)?.toLowerCase()}
                  </button>
                </div>
              </fieldset>
            ),
          )}
          <div className="form-actions">
            <button
              type="button"
              className="button button-secondary"
              onClick={() => setDraft(addCondition(catalogue, draft))}
            >
              Add condition
            </button>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => setDraft(addGroup(catalogue, draft))}
            >
              Add group
            </button>
          </div>
        </fieldset>

        <fieldset className="query-section" data-testid="query-columns">
          <legend>Columns</legend>
          <div className="query-columns">
            {fields.map((f) => (
              <label key={f.key}>
                <input
                  type="checkbox"
                  checked={draft.columns.includes(f.key)}
                  onChange={(e) =>
                    setDraft(toggleColumn(catalogue, draft, f.key, e.target.checked))
                  }
                />
                {f.label}
              </label>
            ))}
          </div>
        </fieldset>

        <fieldset className="query-section" data-testid="query-sort">
          <legend>Order</legend>
          <SortKeys fields={fields} draft={draft} setDraft={setDraft} />
        </fieldset>

        <ErrorAlert message={problem} testId="query-problem" />
        <div className="form-actions">
          <button
            type="button"
            className="button button-primary"
            disabled={previewing}
            aria-busy={previewing}
            onClick={() => void preview()}
          >
            {previewing ? 'Previewing…' : 'Preview'}
          </button>
          <button type="button" className="button button-secondary" onClick={askSave}>
            Save…
          </button>
        </div>
        <StatusMessage message={savedNote} testId="query-saved-note" />
      </div>
      {saving && (
        <SaveDialog
          what={saving}
          opened={opened}
          noun="query"
          onClose={() => setSaving(null)}
          onSaved={(saved) => {
            setSaving(null);
            setOpened(saved);
            setSavedGeneration((g) => g + 1);
            setSavedNote(`Saved as “${saved.name}”. Schedule it on the Saved & scheduled page.`);
          }}
        />
      )}

      {shown && (
        <div className="card query-preview" data-testid="query-preview">
          <h2>Preview</h2>
          <p className="query-total" data-testid="query-total" aria-live="polite">
            {entityCount(shown.query.entity, total)} found
          </p>
          {stale && (
            <p className="alert alert-warning" data-testid="query-stale">
              The query has changed since this preview: press Preview again to see what it finds
              now.
            </p>
          )}
          <ErrorAlert message={rows.error} />
          {data && data.total === 0 && (
            <p className="empty-state">Nothing matches. Loosen a condition and preview again.</p>
          )}
          {data && data.total > 0 && (
            <div className="table-wrap">
              <table
                className="data-table"
                data-testid="query-preview-table"
                aria-busy={rows.loading}
              >
                <caption className="visually-hidden">
                  Preview of the query, page {data.page}
                </caption>
                <thead>
                  <tr>
                    {shown.columns.map((c) => (
                      <th
                        key={c.key}
                        scope="col"
                        className={isNumericKind(c.kind) ? 'numeric' : undefined}
                      >
                        {c.label}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((row, r) => (
                    <tr key={r}>
                      {shown.columns.map((c, i) => (
                        <td key={c.key} className={isNumericKind(c.kind) ? 'numeric' : undefined}>
                          {cellText(row.cells[i], c.kind, formatTime)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {data && data.total_pages > 1 && (
            <Pager
              label="Preview pages"
              page={page}
              totalPages={data.total_pages}
              total={data.total}
              onPage={setPage}
              disabled={rows.loading}
            />
          )}
        </div>
      )}

      <ExportPanel build={built} />
    </>
  );
}

function JoinSelect({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: Join;
  onChange: (join: Join) => void;
}) {
  return (
    <div className="field query-join">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(e: ChangeEvent<HTMLSelectElement>) => onChange(e.target.value as Join)}
      >
        <option value="all">all of these (AND)</option>
        <option value="any">any of these (OR)</option>
      </select>
    </div>
  );
}

/** A label whose visible words are short ("Field"), named in full for assistive technology. */
function Label({
  htmlFor,
  name,
  children,
}: {
  htmlFor: string;
  name: string;
  children: ReactNode;
}) {
  return (
    <label htmlFor={htmlFor}>
      <span className="visually-hidden">{name}: </span>
      {children}
    </label>
  );
}

/** One condition: field, comparison, and the inputs its values need. */
function ConditionRow({
  catalogue,
  draft,
  condition: c,
  name,
  setDraft,
}: {
  catalogue: QueryCatalogue;
  draft: Draft;
  condition: DraftCondition;
  name: string;
  setDraft: (d: Draft) => void;
}) {
  const { timeZone } = useSession();
  const field = fieldOf(catalogue, draft.entity, c.field);
  const operators = field ? operatorsOf(catalogue, field.field_type) : [];
  const shape = shapeOf(catalogue, draft.entity, c);
  const id = `query-condition-${c.id}`;
  const setValue = (i: number) => (v: string) => setDraft(setConditionValue(draft, c.id, i, v));
  return (
    <div className="query-condition" role="group" aria-label={name} data-testid="query-condition">
      <span className="query-condition-name" aria-hidden="true">
        {name}
      </span>
      <div className="field">
        <Label htmlFor={`${id}-field`} name={name}>
          Field
        </Label>
        <select
          id={`${id}-field`}
          value={c.field}
          onChange={(e) => setDraft(setConditionField(catalogue, draft, c.id, e.target.value))}
        >
          {fieldsOf(catalogue, draft.entity).map((f) => (
            <option key={f.key} value={f.key}>
              {f.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <Label htmlFor={`${id}-operator`} name={name}>
          Comparison
        </Label>
        <select
          id={`${id}-operator`}
          value={c.operator}
          onChange={(e) =>
            setDraft(
              setConditionOperator(
                catalogue,
                draft,
                c.id,
                e.target.value as DraftCondition['operator'],
              ),
            )
          }
        >
          {operators.map((o) => (
            <option key={o.operator} value={o.operator}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      {field && shape === 'one' && (
        <ValueInput
          id={`${id}-value`}
          name={name}
          label={field.field_type === 'time' ? `Value (${timeZone})` : 'Value'}
          field={field}
          value={c.values[0] ?? ''}
          onChange={setValue(0)}
        />
      )}
      {field && shape === 'two' && (
        <>
          <ValueInput
            id={`${id}-low`}
            name={name}
            label="From"
            field={field}
            value={c.values[0] ?? ''}
            onChange={setValue(0)}
          />
          <ValueInput
            id={`${id}-high`}
            name={name}
            label="To (included)"
            field={field}
            value={c.values[1] ?? ''}
            onChange={setValue(1)}
          />
        </>
      )}
      {field && shape === 'lines' && (
        <LinesInput
          id={`${id}-lines`}
          name={name}
          field={field}
          value={c.values[0] ?? ''}
          onChange={setValue(0)}
        />
      )}
      <button
        type="button"
        className="button button-quiet query-remove"
        aria-label={`Remove ${name.toLowerCase()}`}
        onClick={() => setDraft(removeItem(draft, c.id))}
      >
        Remove
      </button>
    </div>
  );
}

/** One value, in the input its field's type needs. */
function ValueInput({
  id,
  name,
  label,
  field,
  value,
  onChange,
}: {
  id: string;
  name: string;
  label: string;
  field: Field;
  value: string;
  onChange: (v: string) => void;
}) {
  const labelled = (
    <Label htmlFor={id} name={name}>
      {label}
    </Label>
  );
  const change = (e: ChangeEvent<HTMLInputElement | HTMLSelectElement>) => onChange(e.target.value);
  switch (field.field_type) {
    case 'choice':
      return (
        <div className="field">
          {labelled}
          <select id={id} value={value} onChange={change}>
            {field.choices.map((choice) => (
              <option key={choice} value={choice}>
                {choiceWords(choice)}
              </option>
            ))}
          </select>
        </div>
      );
    case 'flag':
      return (
        <div className="field">
          {labelled}
          <select id={id} value={value} onChange={change}>
            <option value="yes">yes</option>
            <option value="no">no</option>
          </select>
        </div>
      );
    default: {
      const type =
        field.field_type === 'time'
          ? 'datetime-local'
          : field.field_type === 'date'
            ? 'date'
            : 'text';
      const inputMode =
        field.field_type === 'integer'
          ? 'numeric'
          : field.field_type === 'decimal'
            ? 'decimal'
            : undefined;
      return (
        <div className="field">
          {labelled}
          <input
            id={id}
            type={type}
            inputMode={inputMode}
            value={value}
            onChange={change}
            autoComplete="off"
            spellCheck={false}
            autoCapitalize="off"
          />
        </div>
      );
    }
  }
}

/** "Is one of": a choice field's choices ticked, or other values pasted one per line. */
function LinesInput({
  id,
  name,
  field,
  value,
  onChange,
}: {
  id: string;
  name: string;
  field: Field;
  value: string;
  onChange: (v: string) => void;
}) {
  if (field.field_type === 'choice') {
    const chosen = new Set(value.split('\n').filter((v) => v !== ''));
    return (
      <fieldset className="query-choices">
        <legend>
          <span className="visually-hidden">{name}: </span>Values
        </legend>
        {field.choices.map((choice) => (
          <label key={choice}>
            <input
              type="checkbox"
              checked={chosen.has(choice)}
              onChange={(e) => {
                const next = new Set(chosen);
                if (e.target.checked) next.add(choice);
                else next.delete(choice);
                onChange(field.choices.filter((c) => next.has(c)).join('\n'));
              }}
            />
            {choiceWords(choice)}
          </label>
        ))}
      </fieldset>
    );
  }
  return (
    <div className="field query-lines">
      <Label htmlFor={id} name={name}>
        Values, one per line
      </Label>
      <textarea
        id={id}
        value={value}
        rows={4}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={`${id}-hint`}
        spellCheck={false}
        autoCapitalize="off"
        data-scan-input=""
      />
      <p className="hint" id={`${id}-hint`}>
        Paste a column of codes, or scan them one after another.
      </p>
    </div>
  );
}

/** A stored choice in words: "checked_out" → "checked out". */
function choiceWords(choice: string): string {
  return choice.replace(/_/g, ' ');
}

function SortKeys({
  fields,
  draft,
  setDraft,
}: {
  fields: readonly Field[];
  draft: Draft;
  setDraft: (d: Draft) => void;
}) {
  // One more key is offered than are set, up to three.
  const offered = Math.min(MAX_SORT_KEYS, draft.sort.length + 1);
  return (
    <div className="query-sort">
      {Array.from({ length: offered }, (_, i) => {
        const key = draft.sort[i] ?? { field: '', descending: false };
        const name = i === 0 ? 'Sort by' : 'Then by';
        return (
          <div key={i} className="query-sort-key">
            <div className="field">
              <label htmlFor={`query-sort-${i}`}>
                {name}
                <span className="visually-hidden"> (sort key {i + 1})</span>
              </label>
              <select
                id={`query-sort-${i}`}
                value={key.field}
                onChange={(e) => setDraft(setSortKey(draft, i, { ...key, field: e.target.value }))}
              >
                <option value="">{i === 0 ? 'as stored (oldest first)' : 'nothing more'}</option>
                {fields.map((f) => (
                  <option key={f.key} value={f.key}>
                    {f.label}
                  </option>
                ))}
              </select>
            </div>
            {key.field !== '' && (
              <div className="field">
                <label htmlFor={`query-sort-${i}-order`}>
                  <span className="visually-hidden">Sort key {i + 1}: </span>Direction
                </label>
                <select
                  id={`query-sort-${i}-order`}
                  value={key.descending ? 'desc' : 'asc'}
                  onChange={(e) =>
                    setDraft(
                      setSortKey(draft, i, { ...key, descending: e.target.value === 'desc' }),
                    )
                  }
                >
                  <option value="asc">lowest or earliest first</option>
                  <option value="desc">highest or latest first</option>
                </select>
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}

const FINAL: readonly ExportStatus['state'][] = ['finished', 'cancelled', 'failed'];

/**
 * The whole list as a CSV file on this workstation: started, followed (events and a poll),
 * cancelled; once written, its place and its first lines.
 */
function ExportPanel({ build }: { build: () => Query | null }) {
  const client = useClient();
  const [bom, setBom] = useState(false);
  const [status, setStatus] = useState<ExportStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [head, setHead] = useState<string[] | null>(null);
  const [reading, setReading] = useState(false);
  const running = status?.state === 'running';
  const exportId = status?.export_id;

  // A newer word on the same export replaces the older; an ended export never runs again.
  const take = (next: ExportStatus) =>
    setStatus((old) => {
      if (!old || old.export_id !== next.export_id) return old;
      if (FINAL.includes(old.state)) return old;
      if (next.state === 'running' && next.rows < old.rows) return old;
      return next;
    });

  useEffect(() => {
    if (!running || !exportId) return undefined;
    const unsubscribe = client.subscribe((e) => {
      if (e.type === 'export_changed' && e.status.export_id === exportId) take(e.status);
    });
    const timer = window.setInterval(() => {
      client.run('export_status', { export_id: exportId }).then(take, (e: unknown) => {
        setError(errorMessage(e));
      });
    }, POLL_MS);
    return () => {
      unsubscribe();
      window.clearInterval(timer);
    };
  }, [client, running, exportId]);

  async function start() {
    const query = build();
    if (!query) return;
    setStarting(true);
    setError(null);
    setHead(null);
    try {
      setStatus(await client.run('start_export', { query, bom }));
    } catch (e: unknown) {
      setError(`The export did not start: ${errorMessage(e)}`);
    } finally {
      setStarting(false);
    }
  }

  async function cancel() {
    if (!exportId) return;
    setCancelling(true);
    try {
      await client.run('cancel_export', { export_id: exportId });
    } catch (e: unknown) {
      setError(errorMessage(e));
    } finally {
      setCancelling(false);
    }
  }

  async function showHead() {
    if (!exportId) return;
    setReading(true);
    setError(null);
    try {
      const answer = await client.run('export_head', { export_id: exportId, lines: HEAD_LINES });
      setHead(answer.lines);
    } catch (e: unknown) {
      setError(errorMessage(e));
    } finally {
      setReading(false);
    }
  }

  return (
    <div className="card query-export" data-testid="query-export">
      <h2>Export</h2>
      <p className="hint">
        Every record the query finds, in its columns and order, written to a CSV file in this
        workstation’s exports folder. Large lists take a while; you can cancel.
      </p>
      <div className="form-actions">
        <label className="query-bom">
          <input
            type="checkbox"
            checked={bom}
            onChange={(e) => setBom(e.target.checked)}
            aria-describedby="query-bom-hint"
          />
          For Excel
        </label>
        <button
          type="button"
          className="button button-primary"
          disabled={starting || running}
          aria-busy={starting}
          onClick={() => void start()}
        >
          {starting ? 'Starting…' : 'Export CSV'}
        </button>
      </div>
      <p className="hint" id="query-bom-hint">
        “For Excel” starts the file with a byte-order mark, so Excel reads accents and µ correctly.
        Leave it off for R, Python and other programs.
      </p>
      <ErrorAlert message={error} testId="export-error" />
      {status && (
        <div className="query-export-status" data-testid="export-status" data-state={status.state}>
          {status.state === 'running' && (
            <>
              <div className="query-progress">
                <progress
                  value={status.rows}
                  max={Math.max(status.total, 1)}
                  aria-label="Export progress"
                  aria-describedby="export-progress-words"
                />
                <span id="export-progress-words">{progressWords(status.rows, status.total)}</span>
              </div>
              <button
                type="button"
                className="button button-secondary"
                disabled={cancelling}
                onClick={() => void cancel()}
              >
                {cancelling ? 'Cancelling…' : 'Cancel'}
              </button>
            </>
          )}
          {status.state === 'finished' && (
            <>
              <p role="status" className="alert alert-success">
                Exported {entityCount(status.entity, status.rows)} to{' '}
                <code className="query-path" data-testid="export-path">
                  {status.path}
                </code>
              </p>
              <button
                type="button"
                className="button button-secondary"
                disabled={reading}
                onClick={() => void showHead()}
              >
                {reading ? 'Reading…' : 'Show first lines'}
              </button>
              {head && (
                <pre className="query-head" data-testid="export-head" tabIndex={0}>
                  {head.join('\n')}
                </pre>
              )}
            </>
          )}
          {status.state === 'cancelled' && (
            <p role="status" className="alert alert-warning">
              Export cancelled after {progressWords(status.rows, status.total)}; the part written
              was removed.
            </p>
          )}
          {status.state === 'failed' && (
            <p role="alert" className="alert alert-error">
              The export failed: {status.message ?? 'nothing was written.'}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
