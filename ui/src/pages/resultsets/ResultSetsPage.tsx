import { useRef, useState, type ChangeEvent } from 'react';
import type {
  PartnerMappingRecord,
  ResultSetFormat,
  ResultSetPreview,
  ResultSetRecord,
  SetValue,
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
import { errorMessage } from '../../lib/errors';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { count } from '../../lib/words';
import { useClient, useSession } from '../../session';
import {
  base64Of,
  conversionWords,
  convertedWords,
  fileArgs,
  FORMATS,
  formatLabel,
  moreWords,
  outcomeWords,
  parseFactor,
  partnerLabel,
  summaryWords,
  valueWords,
} from './resultSetWords';
import { SetValues } from './SetValues';
import './resultSets.css';

const PER_PAGE = 20;

/**
 * Result sets: values that come as a file rather than from a run on the lab's plates (an Olink
 * panel's NPX export, a partner lab's results), each value against a tube code. Technicians
 * import them after a preview; everyone reads them; lab managers map a partner's test codes
 * and units to the lab's tests.
 */
export function ResultSetsPage() {
  const client = useClient();
  const { can, formatTime } = useSession();
  const mayImport = can('run_instruments');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const sets = useAsyncData(
    () =>
      client.run('list_result_sets', {
        page,
        per_page: PER_PAGE,
        ...(search.trim() ? { search: search.trim() } : {}),
      }),
    [client, page, search],
  );
  const [notice, setNotice] = useState<string | null>(null);
  const [shown, setShown] = useState<ResultSetRecord | null>(null);
  const data = sets.data;
  return (
    <section className="result-sets" data-testid="result-sets">
      <PageHeading>Result sets</PageHeading>
      <p className="lead">
        Values that come as a file rather than from a run on the lab’s plates: a panel’s export or a
        partner lab’s results, each value against a tube code. Codes that are none of the lab’s
        tubes are kept as written, never dropped.
      </p>
      <StatusMessage message={notice} testId="result-sets-notice" />
      {mayImport && (
        <ImportSet
          onImported={(message) => {
            setNotice(message);
            sets.reload();
          }}
        />
      )}
      <div className="card" data-testid="result-sets-list">
        <h2>Result sets imported</h2>
        <div className="toolbar">
          <Field
            id="result-set-search"
            label="Set name starts with"
            value={search}
            onChange={(v) => {
              setSearch(v);
              setPage(1);
            }}
          />
        </div>
        <ErrorAlert message={sets.error} />
        {data && data.total === 0 && (
          <p className="empty-state">
            {search.trim() ? 'No result set matches this name.' : 'No result set yet.'}
          </p>
        )}
        {data && data.total > 0 && (
          <div className="table-wrap">
            <table className="data-table" data-testid="result-sets-table" aria-busy={sets.loading}>
              <caption className="visually-hidden">Result sets</caption>
              <thead>
                <tr>
                  <th scope="col">Set</th>
                  <th scope="col">Format</th>
                  <th scope="col">Partner lab</th>
                  <th scope="col">Values</th>
                  <th scope="col">Tubes matched</th>
                  <th scope="col">Unknown codes</th>
                  <th scope="col">Analytes</th>
                  <th scope="col">Partner codes with no mapping</th>
                  <th scope="col">Imported</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((s) => (
                  <tr key={s.id} data-set={s.name}>
                    <td>
                      <strong>{s.name}</strong>
                      <span className="hint set-file"> {s.file_name}</span>
                    </td>
                    <td>{formatLabel(s.format)}</td>
                    <td>{partnerLabel(s.partner)}</td>
                    <td>{s.value_count}</td>
                    <td>{s.samples_matched}</td>
                    <td>{s.unknown_codes}</td>
                    <td>{s.analytes}</td>
                    <td>{s.partner ? s.unmapped_codes : '—'}</td>
                    <td>
                      {formatTime(s.imported_at)} by {s.imported_by}
                    </td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        aria-label={`Values of ${s.name}`}
                        aria-expanded={shown?.id === s.id}
                        onClick={() => setShown(shown?.id === s.id ? null : s)}
                      >
                        Values
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {data && data.total_pages > 1 && (
          <Pager
            label="Result set pages"
            page={page}
            totalPages={data.total_pages}
            total={data.total}
            onPage={setPage}
            disabled={sets.loading}
          />
        )}
      </div>
      {shown && <SetValues key={shown.id} set={shown} onClose={() => setShown(null)} />}
      <PartnerMappings editable={can('manage_instruments')} />
    </section>
  );
}

/** A result-set file chosen, previewed (what matched, what did not), then imported in one step. */
function ImportSet({ onImported }: { onImported: (message: string) => void }) {
  const client = useClient();
  const [format, setFormat] = useState<ResultSetFormat>('olink_npx');
  const [partner, setPartner] = useState('');
  const [name, setName] = useState('');
  const [file, setFile] = useState<{ name: string; base64: string } | null>(null);
  const [preview, setPreview] = useState<ResultSetPreview | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [importing, setImporting] = useState(false);
  const busy = previewing || importing;
  const [error, setError] = useState<string | null>(null);
  // A new key empties the file input after an import.
  const [inputKey, setInputKey] = useState(0);
  // Only the latest preview counts: one asked before the format changed is dropped.
  const asked = useRef(0);

  async function runPreview(
    picked: { name: string; base64: string },
    chosenFormat: ResultSetFormat,
  ) {
    const ask = ++asked.current;
    setPreview(null);
    setError(null);
    setPreviewing(true);
    try {
      const answer = await client.run(
        'preview_result_set',
        fileArgs({
          format: chosenFormat,
          partner,
          name,
          fileName: picked.name,
          base64: picked.base64,
        }),
      );
      if (ask === asked.current) setPreview(answer);
    } catch (err: unknown) {
      if (ask === asked.current) setError(errorMessage(err));
    } finally {
      if (ask === asked.current) setPreviewing(false);
    }
  }

  async function choose(e: ChangeEvent<HTMLInputElement>) {
    const chosen = e.target.files?.[0];
    asked.current++;
    setPreview(null);
    setError(null);
    setFile(null);
    if (!chosen) return;
    const picked = {
      name: chosen.name,
      base64: base64Of(new Uint8Array(await chosen.arrayBuffer())),
    };
    setFile(picked);
    await runPreview(picked, format);
  }

  async function importSet() {
    if (!file || !preview) return;
    setImporting(true);
    setError(null);
    try {
      const outcome = await client.run(
        'import_result_set',
        fileArgs({ format, partner, name, fileName: file.name, base64: file.base64 }),
      );
      onImported(outcomeWords(outcome, file.name));
      setPreview(null);
      setFile(null);
      setName('');
      setInputKey((k) => k + 1);
    } catch (err: unknown) {
      setError(`Nothing was imported: ${errorMessage(err)}`);
    } finally {
      setImporting(false);
    }
  }

  return (
    <div className="card result-set-import" data-testid="result-set-import">
      <h2>Import a result set</h2>
      <SelectField
        id="result-set-format"
        label="Format"
        value={format}
        onChange={(v) => {
          setFormat(v);
          if (file) void runPreview(file, v);
        }}
        options={FORMATS}
        disabled={importing}
      />
      <Field
        id="result-set-partner"
        label="Partner lab (optional)"
        value={partner}
        onChange={(v) => {
          // A preview read for another partner's mappings no longer says what would be imported.
          asked.current++;
          setPartner(v);
          setPreview(null);
          setPreviewing(false);
        }}
        disabled={importing}
        hint="Leave empty for the lab's own results; a partner's codes are mapped to the lab's tests below."
      />
      <Field
        id="result-set-name"
        label="Set name (optional)"
        value={name}
        onChange={setName}
        hint="The file's name when left empty."
        disabled={importing}
      />
      <div className="field">
        <label htmlFor="result-set-file">Result set file</label>
        <input
          key={inputKey}
          id="result-set-file"
          type="file"
          disabled={importing}
          onChange={(e) => void choose(e)}
        />
      </div>
      {file && !busy && (
        <button
          type="button"
          className="button button-secondary"
          onClick={() => void runPreview(file, format)}
        >
          Preview {file.name} again
        </button>
      )}
      <ErrorAlert message={error} testId="result-set-error" />
      {busy && <p className="hint">Working…</p>}
      {preview && (
        <div className="result-set-preview" data-testid="result-set-preview">
          {preview.already_imported !== null && (
            <p className="alert alert-error" data-testid="result-set-already-imported">
              This very file was imported already: importing it again changes nothing.
            </p>
          )}
          <p data-testid="result-set-summary">
            {preview.file_name}, {formatLabel(preview.format)}
            {preview.partner ? `, from ${preview.partner}` : ''}: {summaryWords(preview)}
          </p>
          <CodeList
            testId="unknown-codes"
            title="Codes that are none of the lab's tubes: kept, not linked"
            codes={preview.unknown_codes}
            total={preview.unknown_count}
          />
          <CodeList
            testId="unmapped-codes"
            title="Partner codes with no mapping: kept, not converted; add a mapping below"
            codes={preview.unmapped_codes}
            total={preview.unmapped_count}
          />
          {preview.first_values.length > 0 && (
            <FirstValues fileName={preview.file_name} values={preview.first_values} />
          )}
          {preview.already_imported === null && (
            <button
              type="button"
              className="button button-primary"
              disabled={busy}
              onClick={() => void importSet()}
            >
              Import {count(preview.values, 'value')}
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** Codes the preview lists (at most 200), and how many more there are. */
function CodeList({
  testId,
  title,
  codes,
  total,
}: {
  testId: string;
  title: string;
  codes: readonly string[];
  total: number;
}) {
  if (total === 0 && codes.length === 0) return null;
  const more = moreWords(codes.length, total);
  return (
    <div className="code-list" data-testid={testId}>
      <h3>
        {title} ({total})
      </h3>
      <ul>
        {codes.map((c) => (
          <li key={c} className="set-code">
            {c}
          </li>
        ))}
      </ul>
      {more && <p className="hint">{more}</p>}
    </div>
  );
}

/** The first values as the file was read, to check it was read as meant. */
function FirstValues({ fileName, values }: { fileName: string; values: readonly SetValue[] }) {
  return (
    <div className="table-wrap">
      <table className="data-table" data-testid="result-set-first-values">
        <caption className="visually-hidden">First values of {fileName}</caption>
        <thead>
          <tr>
            <th scope="col">Sample code</th>
            <th scope="col">Analyte</th>
            <th scope="col">Value</th>
            <th scope="col">Unit</th>
            <th scope="col">Flag</th>
            <th scope="col">Lab test</th>
            <th scope="col">Converted value</th>
          </tr>
        </thead>
        <tbody>
          {values.map((v, i) => (
            <tr key={i} data-code={v.sample_code}>
              <td>
                <span className="set-code">{v.sample_code}</span>
                {v.control ? (
                  <span className="hint"> (control)</span>
                ) : (
                  !v.sample_id && <span className="hint"> (none of the lab’s tubes)</span>
                )}
              </td>
              <td>{v.analyte}</td>
              <td>{valueWords(v.value)}</td>
              <td>{v.unit ?? ''}</td>
              <td>{v.flag ?? ''}</td>
              <td>{v.test_code ?? '—'}</td>
              <td>{convertedWords(v.converted)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** How a partner lab's test codes and units map to the lab's tests; lab managers change them. */
function PartnerMappings({ editable }: { editable: boolean }) {
  const client = useClient();
  const [partner, setPartner] = useState('');
  const [page, setPage] = useState(1);
  const mappings = useAsyncData(
    () =>
      client.run('list_partner_mappings', {
        page,
        per_page: PER_PAGE,
        ...(partner.trim() ? { partner: partner.trim() } : {}),
      }),
    [client, page, partner],
  );
  const [editing, setEditing] = useState<PartnerMappingRecord | 'new' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const data = mappings.data;
  return (
    <div className="card partner-mappings" data-testid="partner-mappings">
      <h2>Partner mappings</h2>
      <p className="hint">
        A partner lab’s test code, mapped to the lab’s test, and the factor its value is multiplied
        by to be in the lab’s unit. A partner’s set is converted by these when it is imported.
      </p>
      <div className="toolbar">
        <Field
          id="mapping-partner-filter"
          label="Partner lab"
          value={partner}
          onChange={(v) => {
            setPartner(v);
            setPage(1);
          }}
        />
        {editable && (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => setEditing('new')}
          >
            Add a mapping
          </button>
        )}
      </div>
      <StatusMessage message={notice} testId="partner-mappings-notice" />
      <ErrorAlert message={mappings.error} />
      {data && data.total === 0 && (
        <p className="empty-state">
          {partner.trim() ? 'No mapping for this partner lab.' : 'No partner mapping yet.'}
        </p>
      )}
      {data && data.total > 0 && (
        <div className="table-wrap">
          <table className="data-table" aria-busy={mappings.loading}>
            <caption className="visually-hidden">Partner mappings</caption>
            <thead>
              <tr>
                <th scope="col">Partner lab</th>
                <th scope="col">Partner code</th>
                <th scope="col">Partner unit</th>
                <th scope="col">Lab test</th>
                <th scope="col">Lab unit</th>
                <th scope="col">Lab value = partner value ×</th>
                {editable && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {data.items.map((m) => (
                <tr key={m.id} data-mapping={`${m.partner} ${m.partner_code}`}>
                  <td>{m.partner}</td>
                  <td>{m.partner_code}</td>
                  <td>{m.partner_unit ?? 'not stated'}</td>
                  <td>{m.test_code}</td>
                  <td>{m.unit ?? 'not stated'}</td>
                  <td>{conversionWords(m)}</td>
                  {editable && (
                    <td className="row-actions">
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        aria-label={`Correct the mapping of ${m.partner_code} from ${m.partner}`}
                        onClick={() => setEditing(m)}
                      >
                        Correct
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Partner mapping pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={mappings.loading}
        />
      )}
      {editing !== null && (
        <MappingDialog
          mapping={editing === 'new' ? null : editing}
          partner={partner.trim()}
          onClose={() => setEditing(null)}
          onDone={(m, made) => {
            setEditing(null);
            setNotice(
              `${made ? 'Mapping added' : 'Mapping corrected'}: ${m.partner_code} from ${m.partner} is ${m.test_code}, ${conversionWords(m)}.`,
            );
            mappings.reload();
          }}
        />
      )}
    </div>
  );
}

/** Adds a partner mapping, or corrects one with the reason (the whole mapping at once). */
function MappingDialog({
  mapping,
  partner: filteredPartner,
  onClose,
  onDone,
}: {
  mapping: PartnerMappingRecord | null;
  /** The partner the list is filtered by, to start a new mapping with. */
  partner: string;
  onClose: () => void;
  onDone: (m: PartnerMappingRecord, made: boolean) => void;
}) {
  const client = useClient();
  const [partner, setPartner] = useState(mapping?.partner ?? filteredPartner);
  const [partnerCode, setPartnerCode] = useState(mapping?.partner_code ?? '');
  const [partnerUnit, setPartnerUnit] = useState(mapping?.partner_unit ?? '');
  const [testCode, setTestCode] = useState(mapping?.test_code ?? '');
  const [unit, setUnit] = useState(mapping?.unit ?? '');
  const [factor, setFactor] = useState(String(mapping?.factor ?? 1));
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(
    async () => {
      if (!partner.trim()) throw refuse('Name the partner lab, as its files are filed under.');
      if (!partnerCode.trim()) throw refuse('Give the partner’s test code, as its files write it.');
      if (!testCode.trim()) throw refuse('Give the lab’s test code the partner’s code maps to.');
      const times = parseFactor(factor);
      if (times === null) {
        throw refuse('The factor must be a number above 0 (1 when the units are the same).');
      }
      if (mapping !== null && !reason.trim()) {
        throw refuse('Say why the mapping changes; the audit trail keeps it.');
      }
      const saved = await client.run('set_partner_mapping', {
        mapping: {
          partner: partner.trim(),
          partner_code: partnerCode.trim(),
          partner_unit: partnerUnit.trim() || null,
          test_code: testCode.trim(),
          unit: unit.trim() || null,
          factor: times,
        },
        ...(mapping !== null ? { mapping_id: mapping.id, reason: reason.trim() } : {}),
      });
      return saved;
    },
    (m) => onDone(m, mapping === null),
  );
  return (
    <Dialog
      title={
        mapping
          ? `Correct the mapping of ${mapping.partner_code} from ${mapping.partner}`
          : 'Add a mapping'
      }
      onClose={onClose}
      testId="mapping-dialog"
    >
      <form onSubmit={submit} noValidate>
        <Field
          id="mapping-partner"
          label="Partner lab"
          value={partner}
          onChange={setPartner}
          hint="As its files are filed under, e.g. Karolinska Core Lab."
          required
          autoFocus
        />
        <Field
          id="mapping-partner-code"
          label="Partner code"
          value={partnerCode}
          onChange={setPartnerCode}
          hint="The partner’s test code, as its files write it."
          required
        />
        <Field
          id="mapping-partner-unit"
          label="Partner unit (optional)"
          value={partnerUnit}
          onChange={setPartnerUnit}
          hint="e.g. mg/dL"
        />
        <Field
          id="mapping-test-code"
          label="Lab test code"
          value={testCode}
          onChange={setTestCode}
          required
        />
        <Field
          id="mapping-unit"
          label="Lab unit (optional)"
          value={unit}
          onChange={setUnit}
          hint="e.g. mmol/L"
        />
        <Field
          id="mapping-factor"
          label="Factor"
          value={factor}
          onChange={setFactor}
          hint="The lab's value is the partner's times this; 1 when the units are the same."
          required
        />
        {mapping && (
          <Field
            id="mapping-reason"
            label="Reason for the correction"
            value={reason}
            onChange={setReason}
            hint="A wrong factor, the partner changed its unit…"
            required
            spellCheck
          />
        )}
        <ErrorAlert message={error} testId="mapping-error" />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Saving…">
            {mapping ? 'Save the correction' : 'Add the mapping'}
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
