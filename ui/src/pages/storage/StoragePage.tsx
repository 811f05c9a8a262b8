import { useState } from 'react';
import type {
  BoxLayout,
  BoxRecord,
  BoxSort,
  FreezerKind,
  FreezerRecord,
  ListBoxesArgs,
  RackRecord,
  SortOrder,
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
import { whoCan } from '../../lib/roles';
import { useAsyncData } from '../../lib/useAsyncData';
import { useNavigate } from '../../router';
import { RacksAndBoxesDialog, racksAndBoxesNotice } from './RacksAndBoxesDialog';
import { ScanField } from './ScanField';
import { ReasonField, VoidStorageDialog } from './StorageEditDialogs';
import { useClient, useSession } from '../../session';
import {
  FREEZER_KINDS,
  freezerKindLabel,
  layoutLabel,
  occupancy,
  occupancyRatio,
} from './storageLabels';
import './storage.css';
import { refuse, useSubmit } from '../../lib/useSubmit';

const BOXES_PER_PAGE = 10;

type View = 'tree' | 'space';

/** Freezers → racks → boxes with their occupancy, and the boxes that still have room. */
export function StoragePage() {
  const { can } = useSession();
  const [view, setView] = useState<View>('tree');
  const [notice, setNotice] = useState<string | null>(null);
  const manage = can('manage_storage');

  return (
    <section>
      <PageHeading>Storage</PageHeading>
      <div className="toolbar" role="group" aria-label="What to show">
        <button
          type="button"
          className={`button ${view === 'tree' ? 'button-primary' : 'button-secondary'}`}
          aria-pressed={view === 'tree'}
          onClick={() => setView('tree')}
        >
          Freezers, racks and boxes
        </button>
        <button
          type="button"
          className={`button ${view === 'space' ? 'button-primary' : 'button-secondary'}`}
          aria-pressed={view === 'space'}
          onClick={() => setView('space')}
        >
          Boxes with space
        </button>
      </div>
      <StatusMessage message={notice} testId="storage-notice" />
      {view === 'tree' ? <FreezerTree manage={manage} onNotice={setNotice} /> : <BoxesWithSpace />}
    </section>
  );
}

/** Freezers and racks a page at a time in the tree; boxes page on their own. */
const TREE_PER_PAGE = 50;

function FreezerTree({ manage, onNotice }: { manage: boolean; onNotice: (m: string) => void }) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const freezers = useAsyncData(
    () => client.run('list_freezers', { page, per_page: TREE_PER_PAGE }),
    [client, page],
  );
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [creating, setCreating] = useState(false);

  function toggle(id: string) {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  }

  return (
    <div data-testid="storage-tree">
      <ErrorAlert message={freezers.error} />
      {manage && (
        <div className="toolbar">
          <button
            type="button"
            className="button button-secondary"
            onClick={() => setCreating(true)}
          >
            Add a freezer
          </button>
        </div>
      )}
      {!freezers.data && freezers.loading && <p className="muted">Loading freezers…</p>}
      {freezers.data && freezers.data.total === 0 && (
        <p className="empty-state">
          No freezers yet.{' '}
          {manage
            ? 'Add a freezer, then its racks and boxes.'
            : `Ask ${whoCan('manage_storage')} to add the freezers, racks and boxes.`}
        </p>
      )}
      <ul className="tree">
        {freezers.data?.items.map((f) => (
          <li key={f.id} className="tree-freezer">
            <button
              type="button"
              className="tree-toggle"
              aria-expanded={open.has(f.id)}
              onClick={() => toggle(f.id)}
            >
              <span className="tree-caret" aria-hidden="true">
                {open.has(f.id) ? '▾' : '▸'}
              </span>
              <span className="tree-name">{f.name}</span>
              <span className="tree-meta">
                {f.location} · {freezerKindLabel(f.kind)} · {f.temperature_c} °C · {f.racks}{' '}
                {f.racks === 1 ? 'rack' : 'racks'} · {f.boxes} {f.boxes === 1 ? 'box' : 'boxes'} ·{' '}
                {f.samples} {f.samples === 1 ? 'sample' : 'samples'}
              </span>
            </button>
            {open.has(f.id) && (
              <RackList
                freezer={f}
                manage={manage}
                onNotice={onNotice}
                onChanged={freezers.reload}
              />
            )}
          </li>
        ))}
      </ul>
      {freezers.data && freezers.data.total_pages > 1 && (
        <Pager
          label="Freezers"
          page={page}
          totalPages={freezers.data.total_pages}
          total={freezers.data.total}
          onPage={setPage}
          disabled={freezers.loading}
        />
      )}
      {creating && (
        <CreateFreezerDialog
          onClose={() => setCreating(false)}
          onCreated={(f) => {
            setCreating(false);
            onNotice(`Freezer “${f.name}” added.`);
            freezers.reload();
          }}
        />
      )}
    </div>
  );
}

function RackList({
  freezer,
  manage,
  onNotice,
  onChanged,
}: {
  freezer: FreezerRecord;
  manage: boolean;
  onNotice: (m: string) => void;
  onChanged: () => void;
}) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const racks = useAsyncData(
    () => client.run('list_racks', { freezer_id: freezer.id, page, per_page: TREE_PER_PAGE }),
    [client, freezer.id, page],
  );
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [creating, setCreating] = useState(false);
  const [filling, setFilling] = useState(false);
  const [editing, setEditing] = useState(false);
  const [voiding, setVoiding] = useState(false);

  function toggle(id: string) {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  }

  return (
    <div className="tree-children">
      <ErrorAlert message={racks.error} />
      {!racks.data && racks.loading && <p className="muted">Loading racks…</p>}
      {racks.data && racks.data.total === 0 && (
        <p className="empty-state">
          {freezer.name} has no racks yet.{' '}
          {manage ? 'Add a rack to it.' : `Ask ${whoCan('manage_storage')} to add one.`}
        </p>
      )}
      <ul className="tree">
        {racks.data?.items.map((r) => (
          <li key={r.id} className="tree-rack">
            <button
              type="button"
              className="tree-toggle"
              aria-expanded={open.has(r.id)}
              onClick={() => toggle(r.id)}
            >
              <span className="tree-caret" aria-hidden="true">
                {open.has(r.id) ? '▾' : '▸'}
              </span>
              <span className="tree-name">{r.name}</span>
              <span className="tree-meta">
                {r.boxes} {r.boxes === 1 ? 'box' : 'boxes'} · {r.samples}{' '}
                {r.samples === 1 ? 'sample' : 'samples'}
              </span>
            </button>
            {open.has(r.id) && (
              <RackBoxes
                freezer={freezer}
                rack={r}
                manage={manage}
                onNotice={onNotice}
                onChanged={() => {
                  racks.reload();
                  onChanged();
                }}
              />
            )}
          </li>
        ))}
      </ul>
      {racks.data && racks.data.total_pages > 1 && (
        <Pager
          label={`Racks of ${freezer.name}`}
          page={page}
          totalPages={racks.data.total_pages}
          total={racks.data.total}
          onPage={setPage}
          disabled={racks.loading}
        />
      )}
      {manage && (
        <div className="toolbar">
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => setCreating(true)}
          >
            Add a rack to {freezer.name}
          </button>
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => setFilling(true)}
          >
            Add racks and boxes to {freezer.name}
          </button>
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => setEditing(true)}
          >
            Edit {freezer.name}
          </button>
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => setVoiding(true)}
          >
            Void {freezer.name}
          </button>
        </div>
      )}
      {editing && (
        <CreateFreezerDialog
          freezer={freezer}
          onClose={() => setEditing(false)}
          onCreated={(f) => {
            setEditing(false);
            onNotice(`Freezer “${f.name}” saved.`);
            onChanged();
          }}
        />
      )}
      {voiding && (
        <VoidStorageDialog
          target={{ kind: 'freezer', id: freezer.id }}
          name={freezer.name}
          onClose={() => setVoiding(false)}
          onDone={() => {
            setVoiding(false);
            onNotice(`Freezer “${freezer.name}” voided.`);
            onChanged();
          }}
        />
      )}
      {filling && (
        <RacksAndBoxesDialog
          freezer={freezer}
          onClose={() => setFilling(false)}
          onAdded={(outcome) => {
            setFilling(false);
            onNotice(racksAndBoxesNotice(freezer.name, outcome));
            racks.reload();
            onChanged();
          }}
        />
      )}
      {creating && (
        <CreateRackDialog
          freezer={freezer}
          onClose={() => setCreating(false)}
          onCreated={(r) => {
            setCreating(false);
            onNotice(`Rack “${r.name}” added to ${freezer.name}.`);
            racks.reload();
            onChanged();
          }}
        />
      )}
    </div>
  );
}

function RackBoxes({
  freezer,
  rack,
  manage,
  onNotice,
  onChanged,
}: {
  freezer: FreezerRecord;
  rack: RackRecord;
  manage: boolean;
  onNotice: (m: string) => void;
  onChanged: () => void;
}) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState(false);
  const [voiding, setVoiding] = useState(false);
  const boxes = useAsyncData(
    () =>
      client.run('list_boxes', {
        rack_id: rack.id,
        sort: 'name',
        order: 'asc',
        page,
        per_page: BOXES_PER_PAGE,
      }),
    [client, rack.id, page],
  );
  return (
    <div className="tree-children">
      <ErrorAlert message={boxes.error} />
      {boxes.data && boxes.data.total === 0 && (
        <p className="empty-state">
          {rack.name} holds no boxes yet.{' '}
          {manage ? 'Add a box to it.' : `Ask ${whoCan('manage_storage')} to add one.`}
        </p>
      )}
      {boxes.data && boxes.data.total > 0 && (
        <>
          <BoxTable
            boxes={boxes.data.items}
            loading={boxes.loading}
            caption={`Boxes in ${rack.name}`}
          />
          {boxes.data.total_pages > 1 && (
            <Pager
              label={`Box pages of ${rack.name}`}
              page={boxes.data.page}
              totalPages={boxes.data.total_pages}
              total={boxes.data.total}
              onPage={setPage}
              disabled={boxes.loading}
            />
          )}
        </>
      )}
      {!boxes.data && boxes.loading && <p className="muted">Loading boxes…</p>}
      {manage && (
        <div className="toolbar">
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => setCreating(true)}
          >
            Add a box to {rack.name}
          </button>
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => setEditing(true)}
          >
            Rename {rack.name}
          </button>
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => setVoiding(true)}
          >
            Void {rack.name}
          </button>
        </div>
      )}
      {editing && (
        <CreateRackDialog
          freezer={freezer}
          rack={rack}
          onClose={() => setEditing(false)}
          onCreated={(r) => {
            setEditing(false);
            onNotice(`Rack “${rack.name}” is now called “${r.name}”.`);
            onChanged();
          }}
        />
      )}
      {voiding && (
        <VoidStorageDialog
          target={{ kind: 'rack', id: rack.id }}
          name={rack.name}
          onClose={() => setVoiding(false)}
          onDone={() => {
            setVoiding(false);
            onNotice(`Rack “${rack.name}” voided.`);
            onChanged();
          }}
        />
      )}
      {creating && (
        <CreateBoxDialog
          rack={rack}
          onClose={() => setCreating(false)}
          onCreated={(b) => {
            setCreating(false);
            onNotice(`Box “${b.name}” added to ${rack.name}.`);
            boxes.reload();
            onChanged();
          }}
        />
      )}
    </div>
  );
}

function BoxTable({
  boxes,
  loading,
  caption,
  showPlace,
}: {
  boxes: BoxRecord[];
  loading: boolean;
  caption: string;
  showPlace?: boolean;
}) {
  const navigate = useNavigate();
  return (
    <div className="table-wrap">
      <table className="data-table" aria-busy={loading} data-testid="box-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Box</th>
            <th scope="col">Barcode</th>
            {showPlace && <th scope="col">Where</th>}
            <th scope="col">Layout</th>
            <th scope="col">Occupied</th>
          </tr>
        </thead>
        <tbody>
          {boxes.map((b) => (
            <tr key={b.id}>
              <td>
                <button
                  type="button"
                  className="button button-link box-open"
                  onClick={() => navigate({ page: 'box', id: b.id })}
                >
                  {b.name}
                </button>
              </td>
              <td className="nowrap">{b.barcode}</td>
              {showPlace && (
                <td>
                  {b.freezer} › {b.rack}
                </td>
              )}
              <td>{layoutLabel(b.layout)}</td>
              <td>
                <div className="occupancy">
                  <span className="occupancy-bar" aria-hidden="true">
                    <span
                      className={b.has_space ? 'occupancy-fill' : 'occupancy-fill occupancy-full'}
                      style={{ width: `${Math.round(occupancyRatio(b) * 100)}%` }}
                    />
                  </span>
                  <span className="nowrap">
                    {occupancy(b)}
                    {!b.has_space && ' · full'}
                  </span>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function BoxesWithSpace() {
  const client = useClient();
  const { can } = useSession();
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [sort, setSort] = useState<BoxSort>('name');
  const [order, setOrder] = useState<SortOrder>('asc');
  const term = search.trim();
  const boxes = useAsyncData(() => {
    const args: ListBoxesArgs = { has_space: true, sort, order, page, per_page: 20 };
    if (term) args.search = term;
    return client.run('list_boxes', args);
  }, [client, term, page, sort, order]);

  return (
    <div data-testid="boxes-with-space">
      <form className="space-search" onSubmit={(e) => e.preventDefault()} role="search">
        <Field
          id="space-search"
          label="Box name or barcode starts with"
          value={search}
          onChange={(v) => {
            setSearch(v);
            setPage(1);
          }}
          hint="Leave empty to list every box that still has a free position."
        />
        <SelectField
          id="space-sort"
          label="Sort by"
          value={`${sort}:${order}`}
          onChange={(v) => {
            const [s, o] = v.split(':') as [BoxSort, SortOrder];
            setSort(s);
            setOrder(o);
            setPage(1);
          }}
          options={[
            { value: 'name:asc', label: 'Name' },
            { value: 'barcode:asc', label: 'Barcode' },
            { value: 'free:desc', label: 'Most free positions first' },
            { value: 'free:asc', label: 'Fewest free positions first' },
            { value: 'created_at:desc', label: 'Newest first' },
          ]}
        />
      </form>
      <ErrorAlert message={boxes.error} />
      {boxes.data && boxes.data.total === 0 && (
        <p className="empty-state">
          {term
            ? `No box with space has a name or barcode starting with “${term}”. Check the spelling or clear the search.`
            : `Every box is full. ${can('manage_storage') ? 'Add a box under Freezers, racks and boxes.' : `Ask ${whoCan('manage_storage')} to add a box.`}`}
        </p>
      )}
      {boxes.data && boxes.data.total > 0 && (
        <>
          <BoxTable
            boxes={boxes.data.items}
            loading={boxes.loading}
            caption="Boxes with a free position"
            showPlace
          />
          <Pager
            label="Pages of boxes with space"
            page={boxes.data.page}
            totalPages={boxes.data.total_pages}
            total={boxes.data.total}
            onPage={setPage}
            disabled={boxes.loading}
          />
        </>
      )}
      {!boxes.data && boxes.loading && <p className="muted">Loading boxes…</p>}
    </div>
  );
}

// ---------------------------------------------------------------- creating

/**
 * Adds a freezer, or corrects one (`freezer` given): its name, location, kind and set
 * temperature, with the reason the audit trail keeps.
 */
export function CreateFreezerDialog({
  freezer,
  onClose,
  onCreated,
}: {
  freezer?: FreezerRecord;
  onClose: () => void;
  onCreated: (f: FreezerRecord) => void;
}) {
  const client = useClient();
  const [name, setName] = useState(freezer?.name ?? '');
  const [location, setLocation] = useState(freezer?.location ?? '');
  const [kind, setKind] = useState<FreezerKind>(freezer?.kind ?? 'ultra_low');
  const [temperature, setTemperature] = useState(String(freezer?.temperature_c ?? -80));
  const [reason, setReason] = useState('');

  const { busy, error, submit } = useSubmit(async () => {
    const t = Number(temperature);
    if (!Number.isInteger(t)) {
      throw refuse('Give the temperature as a whole number of degrees Celsius, for example -80.');
    }
    if (!freezer)
      return await client.run('create_freezer', { name, location, kind, temperature_c: t });
    if (reason.trim() === '') throw refuse('Say why it changes; the audit trail keeps the reason.');
    await client.run('edit_storage', {
      edit: {
        kind: 'freezer',
        freezer_id: freezer.id,
        name,
        location,
        freezer_kind: kind,
        temperature_c: t,
      },
      reason: reason.trim(),
    });
    return { ...freezer, name: name.trim(), location: location.trim(), kind, temperature_c: t };
  }, onCreated);

  return (
    <Dialog
      title={freezer ? `Edit ${freezer.name}` : 'Add a freezer'}
      onClose={onClose}
      testId={freezer ? 'edit-freezer-dialog' : 'create-freezer-dialog'}
    >
      <form onSubmit={submit}>
        <ErrorAlert message={error} />
        <Field id="freezer-name" label="Name" value={name} onChange={setName} required autoFocus />
        <Field
          id="freezer-location"
          label="Location"
          value={location}
          onChange={setLocation}
          hint="The room or corridor, so it can be found."
          required
        />
        <SelectField
          id="freezer-kind"
          label="Kind"
          value={kind}
          onChange={(k) => {
            setKind(k);
            const preset = FREEZER_KINDS.find((f) => f.value === k);
            if (preset) setTemperature(String(preset.temperature));
          }}
          options={FREEZER_KINDS.map((k) => ({ value: k.value, label: k.label }))}
        />
        <Field
          id="freezer-temperature"
          label="Set temperature (°C)"
          type="number"
          value={temperature}
          onChange={setTemperature}
          required
        />
        {freezer && <ReasonField id="freezer-reason" value={reason} onChange={setReason} />}
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel={freezer ? 'Saving…' : 'Adding…'}>
            {freezer ? 'Save freezer' : 'Add freezer'}
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Adds a rack to a freezer, or renames one (`rack` given) with a reason. */
function CreateRackDialog({
  freezer,
  rack,
  onClose,
  onCreated,
}: {
  freezer: FreezerRecord;
  rack?: RackRecord;
  onClose: () => void;
  onCreated: (r: RackRecord) => void;
}) {
  const client = useClient();
  const [name, setName] = useState(rack?.name ?? '');
  const [reason, setReason] = useState('');

  const { busy, error, submit } = useSubmit(async () => {
    if (!rack) return await client.run('create_rack', { freezer_id: freezer.id, name });
    if (reason.trim() === '') throw refuse('Say why it changes; the audit trail keeps the reason.');
    await client.run('edit_storage', {
      edit: { kind: 'rack', rack_id: rack.id, name },
      reason: reason.trim(),
    });
    return { ...rack, name: name.trim() };
  }, onCreated);

  return (
    <Dialog
      title={rack ? `Rename ${rack.name}` : `Add a rack to ${freezer.name}`}
      onClose={onClose}
      testId={rack ? 'edit-rack-dialog' : 'create-rack-dialog'}
    >
      <form onSubmit={submit}>
        <ErrorAlert message={error} />
        <Field
          id="rack-name"
          label="Rack name"
          value={name}
          onChange={setName}
          required
          autoFocus
        />
        {rack && <ReasonField id="rack-reason" value={reason} onChange={setReason} />}
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel={rack ? 'Saving…' : 'Adding…'}>
            {rack ? 'Save rack' : 'Add rack'}
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function CreateBoxDialog({
  rack,
  onClose,
  onCreated,
}: {
  rack: RackRecord;
  onClose: () => void;
  onCreated: (b: BoxRecord) => void;
}) {
  const client = useClient();
  const [name, setName] = useState('');
  const [barcode, setBarcode] = useState('');
  const [boxType, setBoxType] = useState('96-tube rack');
  const [shape, setShape] = useState<'grid' | 'bag'>('grid');
  const [rows, setRows] = useState('8');
  const [columns, setColumns] = useState('12');
  const [capacity, setCapacity] = useState('');

  const { busy, error, submit } = useSubmit(async () => {
    let layout: BoxLayout;
    if (shape === 'grid') {
      const r = Number(rows);
      const c = Number(columns);
      if (!Number.isInteger(r) || !Number.isInteger(c) || r < 1 || c < 1) {
        throw refuse(
          'Give the rows and columns as whole numbers, for example 8 rows and 12 columns.',
        );
      }
      layout = { kind: 'grid', rows: r, columns: c };
    } else {
      const text = capacity.trim();
      const n = Number(text);
      if (text && (!Number.isInteger(n) || n < 1)) {
        throw refuse('Give the bag’s capacity as a whole number of tubes, or leave it empty.');
      }
      layout = { kind: 'bag', capacity: text ? n : null };
    }
    return await client.run('create_box', {
      rack_id: rack.id,
      name,
      barcode,
      box_type: boxType,
      layout,
    });
  }, onCreated);

  return (
    <Dialog title={`Add a box to ${rack.name}`} onClose={onClose} testId="create-box-dialog">
      <form onSubmit={submit}>
        <ErrorAlert message={error} />
        <Field id="box-name" label="Box name" value={name} onChange={setName} required autoFocus />
        <ScanField
          id="box-barcode"
          label="Box barcode"
          value={barcode}
          onChange={setBarcode}
          hint="Scan the label on the box, or type it."
          required
          onEnter={() => false}
        />
        <Field id="box-type" label="Box type" value={boxType} onChange={setBoxType} required />
        <SelectField
          id="box-shape"
          label="Layout"
          value={shape}
          onChange={setShape}
          options={[
            { value: 'grid', label: 'Grid of positions (A1, A2, …)' },
            { value: 'bag', label: 'Bag: tubes without positions' },
          ]}
        />
        {shape === 'grid' ? (
          <div className="form-pair">
            <Field
              id="box-rows"
              label="Rows"
              type="number"
              min={1}
              max={26}
              value={rows}
              onChange={setRows}
              required
            />
            <Field
              id="box-columns"
              label="Columns"
              type="number"
              min={1}
              max={48}
              value={columns}
              onChange={setColumns}
              required
            />
          </div>
        ) : (
          <Field
            id="box-capacity"
            label="Capacity (tubes)"
            type="number"
            min={1}
            value={capacity}
            onChange={setCapacity}
            hint="Leave empty for a bag without a limit."
          />
        )}
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Adding…">
            Add box
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
