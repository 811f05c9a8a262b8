import { useState } from 'react';
import type {
  CsvMapping,
  DecimalMark,
  InstrumentDescription,
  InstrumentKind,
  InstrumentRecord,
  InstrumentStatus,
  PositionKind,
  ResultFormat,
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
import { ReasonDialog } from '../../components/ReasonDialog';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { useClient, useSession } from '../../session';
import { FORMATS, formatLabel, KINDS, kindLabel, STATUSES, statusLabel } from './instrumentWords';
import { ControlLots } from './ControlLots';
import { WatchFolder } from './WatchFolder';
import './instruments.css';

const PER_PAGE = 20;

/**
 * The lab's instruments: what each is, where it stands, whether results may come from it, the
 * result files it writes (and for a generic CSV, how to read them), and its control lots with
 * their targets. Everyone reads the list; lab managers and administrators change it.
 */
export function InstrumentsPage() {
  const client = useClient();
  const { can } = useSession();
  const editable = can('manage_instruments');
  const [search, setSearch] = useState('');
  const [kind, setKind] = useState<InstrumentKind | ''>('');
  const [status, setStatus] = useState<InstrumentStatus | ''>('');
  const [page, setPage] = useState(1);
  const instruments = useAsyncData(
    () =>
      client.run('list_instruments', {
        page,
        per_page: PER_PAGE,
        ...(search.trim() ? { search: search.trim() } : {}),
        ...(kind ? { kind } : {}),
        ...(status ? { status } : {}),
      }),
    [client, page, search, kind, status],
  );
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<InstrumentRecord | 'new' | null>(null);
  const [changingStatus, setChangingStatus] = useState<InstrumentRecord | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const data = instruments.data;
  const filtered = search.trim() !== '' || kind !== '' || status !== '';
  const done = (message: string) => {
    setNotice(message);
    instruments.reload();
  };
  return (
    <section className="instruments" data-testid="instruments">
      <PageHeading>Instruments</PageHeading>
      <p className="lead">
        The plate readers, qPCR machines, bead arrays and QC instruments the lab runs its tubes on,
        the result files each writes, and the control lots QC judges its runs by.
      </p>
      <div className="toolbar instrument-filters">
        <Field
          id="instrument-search"
          label="Name, model or serial number starts with"
          value={search}
          onChange={(v) => {
            setSearch(v);
            setPage(1);
          }}
        />
        <SelectField
          id="instrument-kind-filter"
          label="Kind"
          value={kind}
          onChange={(v) => {
            setKind(v);
            setPage(1);
          }}
          options={[{ value: '' as const, label: 'Any kind' }, ...KINDS]}
        />
        <SelectField
          id="instrument-status-filter"
          label="Status"
          value={status}
          onChange={(v) => {
            setStatus(v);
            setPage(1);
          }}
          options={[{ value: '' as const, label: 'Any status' }, ...STATUSES]}
        />
      </div>
      <StatusMessage message={notice} testId="instruments-notice" />
      <ErrorAlert message={instruments.error} />
      {data && data.total === 0 && (
        <p className="empty-state">
          {filtered
            ? 'No instrument matches these filters.'
            : editable
              ? 'No instrument yet. Register the first one.'
              : 'No instrument yet. Ask a lab manager to register one.'}
        </p>
      )}
      {data && data.total > 0 && (
        <div className="table-wrap">
          <table className="data-table" data-testid="instruments-table">
            <caption className="visually-hidden">Instruments</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Model and serial number</th>
                <th scope="col">Location</th>
                <th scope="col">Result files</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((i) => (
                <InstrumentRow
                  key={i.id}
                  instrument={i}
                  editable={editable}
                  open={open === i.id}
                  onToggle={() => setOpen(open === i.id ? null : i.id)}
                  onEdit={() => setEditing(i)}
                  onStatus={() => setChangingStatus(i)}
                  onNotice={setNotice}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Instrument pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={instruments.loading}
        />
      )}
      {editable && (
        <button type="button" className="button button-secondary" onClick={() => setEditing('new')}>
          Register an instrument
        </button>
      )}
      {editing !== null && (
        <InstrumentDialog
          instrument={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onDone={(i, made) => {
            setEditing(null);
            done(made ? `${i.name} registered, in service.` : `${i.name} saved.`);
          }}
        />
      )}
      {changingStatus !== null && (
        <StatusDialog
          instrument={changingStatus}
          onClose={() => setChangingStatus(null)}
          onDone={(i) => {
            setChangingStatus(null);
            done(`${i.name} is now ${statusLabel(i.status).toLowerCase()}.`);
          }}
        />
      )}
    </section>
  );
}

function InstrumentRow({
  instrument: i,
  editable,
  open,
  onToggle,
  onEdit,
  onStatus,
  onNotice,
}: {
  instrument: InstrumentRecord;
  editable: boolean;
  open: boolean;
  onToggle: () => void;
  onEdit: () => void;
  onStatus: () => void;
  onNotice: (m: string) => void;
}) {
  return (
    <>
      <tr data-instrument={i.name}>
        <td>
          <strong>{i.name}</strong>
        </td>
        <td>{kindLabel(i.kind)}</td>
        <td>
          {i.model}
          {i.serial_number && <span className="muted"> · {i.serial_number}</span>}
        </td>
        <td>{i.location}</td>
        <td>{formatLabel(i.result_format)}</td>
        <td>
          <span className={`pill instrument-status status-${i.status}`}>
            {statusLabel(i.status)}
          </span>
        </td>
        <td className="row-actions">
          <button
            type="button"
            className="button button-secondary button-small"
            aria-expanded={open}
            onClick={onToggle}
          >
            {open ? 'Hide' : 'Controls'}
          </button>
          {editable && (
            <>
              {' '}
              <button
                type="button"
                className="button button-secondary button-small"
                onClick={onEdit}
              >
                Edit…
              </button>{' '}
              <button type="button" className="button button-quiet button-small" onClick={onStatus}>
                Status…
              </button>
            </>
          )}
        </td>
      </tr>
      {open && (
        <tr className="instrument-detail">
          <td colSpan={7}>
            <ControlLots instrument={i} editable={editable} onNotice={onNotice} />
            <WatchFolder instrument={i} />
          </td>
        </tr>
      )}
    </>
  );
}

const SEPARATORS: readonly { value: string; label: string }[] = [
  { value: ',', label: 'Comma (,)' },
  { value: ';', label: 'Semicolon (;)' },
  { value: '\t', label: 'Tab' },
];

const MARKS: readonly { value: DecimalMark; label: string }[] = [
  { value: 'point', label: 'Point (1,234.5)' },
  { value: 'comma', label: 'Comma (1.234,5)' },
];

const POSITION_KINDS: readonly { value: PositionKind; label: string }[] = [
  { value: 'well', label: 'Wells of a plate (A1, A01)' },
  { value: 'sample', label: 'Sample names or codes' },
];

type ValueLine = { column: string; read: string; unit: string };

/** Registers an instrument, or corrects one with the reason (its whole description at once). */
function InstrumentDialog({
  instrument,
  onClose,
  onDone,
}: {
  instrument: InstrumentRecord | null;
  onClose: () => void;
  onDone: (i: InstrumentRecord, made: boolean) => void;
}) {
  const client = useClient();
  const [name, setName] = useState(instrument?.name ?? '');
  const [kind, setKind] = useState<InstrumentKind>(instrument?.kind ?? 'plate_reader');
  const [model, setModel] = useState(instrument?.model ?? '');
  const [serial, setSerial] = useState(instrument?.serial_number ?? '');
  const [location, setLocation] = useState(instrument?.location ?? '');
  const [format, setFormat] = useState<ResultFormat>(instrument?.result_format ?? 'gen5');
  const mapping = instrument?.csv_mapping ?? null;
  const [separator, setSeparator] = useState(mapping?.separator ?? ',');
  const [decimal, setDecimal] = useState<DecimalMark>(mapping?.decimal ?? 'point');
  const [skip, setSkip] = useState(String(mapping?.skip_lines ?? 0));
  const [positionColumn, setPositionColumn] = useState(mapping?.position_column ?? '');
  const [positionIs, setPositionIs] = useState<PositionKind>(mapping?.position_is ?? 'well');
  const [plateColumn, setPlateColumn] = useState(mapping?.plate_column ?? '');
  const [values, setValues] = useState<ValueLine[]>(
    mapping?.values.map((v) => ({ column: v.column, read: v.read ?? '', unit: v.unit ?? '' })) ?? [
      { column: '', read: '', unit: '' },
    ],
  );
  const [reason, setReason] = useState('');
  const setValue = (i: number, change: Partial<ValueLine>) =>
    setValues(values.map((v, j) => (j === i ? { ...v, ...change } : v)));
  const { busy, error, submit } = useSubmit(
    async () => {
      const lines = Number(skip.trim());
      let csvMapping: CsvMapping | null = null;
      if (format === 'mapped_csv') {
        if (!Number.isInteger(lines) || lines < 0) {
          throw refuse('The lines before the header must be a whole number (0 if none).');
        }
        csvMapping = {
          separator,
          decimal,
          skip_lines: lines,
          position_column: positionColumn.trim(),
          position_is: positionIs,
          plate_column: plateColumn.trim() || null,
          values: values
            .filter((v) => v.column.trim() !== '')
            .map((v) => ({
              column: v.column.trim(),
              read: v.read.trim() || null,
              unit: v.unit.trim() || null,
            })),
        };
      }
      const description: InstrumentDescription = {
        name,
        kind,
        model,
        serial_number: serial,
        location,
        result_format: format,
        csv_mapping: csvMapping,
      };
      if (instrument === null) {
        const made = await client.run('register_instrument', { instrument: description });
        return { made, isNew: true };
      }
      if (!reason.trim()) throw refuse('Say why the instrument changes; the audit trail keeps it.');
      const saved = await client.run('edit_instrument', {
        instrument_id: instrument.id,
        instrument: description,
        reason: reason.trim(),
      });
      return { made: saved, isNew: false };
    },
    (r) => onDone(r.made, r.isNew),
  );
  return (
    <Dialog
      title={instrument ? `Edit ${instrument.name}` : 'Register an instrument'}
      onClose={onClose}
      testId="instrument-dialog"
    >
      <form onSubmit={submit} noValidate>
        <Field id="instrument-name" label="Name" value={name} onChange={setName} autoFocus />
        <SelectField
          id="instrument-kind"
          label="Kind"
          value={kind}
          onChange={setKind}
          options={KINDS}
        />
        <Field id="instrument-model" label="Model" value={model} onChange={setModel} />
        <Field
          id="instrument-serial"
          label="Serial number (optional)"
          value={serial}
          onChange={setSerial}
        />
        <Field
          id="instrument-location"
          label="Location (optional)"
          value={location}
          onChange={setLocation}
          hint="Where it stands, e.g. Lab 2, bench 3."
        />
        <SelectField
          id="instrument-format"
          label="Result files it writes"
          value={format}
          onChange={setFormat}
          options={FORMATS}
        />
        {format === 'mapped_csv' && (
          <fieldset className="csv-mapping" data-testid="csv-mapping">
            <legend>How to read its CSV</legend>
            <SelectField
              id="mapping-separator"
              label="Separator"
              value={separator}
              onChange={setSeparator}
              options={SEPARATORS}
            />
            <SelectField
              id="mapping-decimal"
              label="Decimal mark"
              value={decimal}
              onChange={setDecimal}
              options={MARKS}
            />
            <Field
              id="mapping-skip"
              label="Lines before the header"
              value={skip}
              onChange={setSkip}
              type="number"
              min={0}
            />
            <Field
              id="mapping-position"
              label="Column naming the well or sample"
              value={positionColumn}
              onChange={setPositionColumn}
            />
            <SelectField
              id="mapping-position-is"
              label="That column holds"
              value={positionIs}
              onChange={setPositionIs}
              options={POSITION_KINDS}
            />
            <Field
              id="mapping-plate"
              label="Column naming the plate (optional)"
              value={plateColumn}
              onChange={setPlateColumn}
            />
            {values.map((v, i) => (
              <div key={i} className="mapping-value">
                <Field
                  id={`mapping-value-${i}`}
                  label={`Value column ${i + 1}`}
                  value={v.column}
                  onChange={(c) => setValue(i, { column: c })}
                />
                <Field
                  id={`mapping-read-${i}`}
                  label="Read (optional)"
                  value={v.read}
                  onChange={(c) => setValue(i, { read: c })}
                />
                <Field
                  id={`mapping-unit-${i}`}
                  label="Unit (optional)"
                  value={v.unit}
                  onChange={(c) => setValue(i, { unit: c })}
                />
              </div>
            ))}
            <button
              type="button"
              className="button button-secondary button-small"
              onClick={() => setValues([...values, { column: '', read: '', unit: '' }])}
            >
              Add a value column
            </button>
          </fieldset>
        )}
        {instrument !== null && (
          <Field
            id="instrument-reason"
            label="Reason for the change"
            value={reason}
            onChange={setReason}
          />
        )}
        <ErrorAlert message={error} testId="instrument-error" />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Saving…">
            {instrument ? 'Save the instrument' : 'Register the instrument'}
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** In service, out of service or calibration due, with the reason. */
function StatusDialog({
  instrument,
  onClose,
  onDone,
}: {
  instrument: InstrumentRecord;
  onClose: () => void;
  onDone: (i: InstrumentRecord) => void;
}) {
  const client = useClient();
  const others = STATUSES.filter((s) => s.value !== instrument.status);
  const [status, setStatus] = useState<InstrumentStatus>(others[0]?.value ?? 'out_of_service');
  return (
    <ReasonDialog
      title={`Status of ${instrument.name}`}
      reasonLabel="Reason"
      hint="Kept in the audit trail, e.g. “lamp failed” or “calibrated by the vendor”."
      missing="Say why the status changes; the audit trail keeps it."
      action="Change the status"
      busyLabel="Changing…"
      id="instrument-status"
      run={(reason) =>
        client.run('set_instrument_status', { instrument_id: instrument.id, status, reason })
      }
      onClose={onClose}
      onDone={onDone}
    >
      <p>
        Now {statusLabel(instrument.status).toLowerCase()}. The change and its reason go into the
        audit trail.
      </p>
      <SelectField
        id="instrument-new-status"
        label="New status"
        value={status}
        onChange={setStatus}
        options={others}
      />
    </ReasonDialog>
  );
}
