import { useState } from 'react';
import type { BlockKind, KitItem, NumberBlockView, SampleType, SiteRecord } from '../../api/types';
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
import { PICKER_PAGE } from '../../lib/paging';
import { whoCan } from '../../lib/roles';
import { SAMPLE_TYPES, sampleTypeLabel } from '../../lib/samples';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { useNavigate } from '../../router';
import { useClient, useSession } from '../../session';
import './setup.css';

const PER_PAGE = 20;

/**
 * What a lab sets up before its first kit: collection sites with their participant numbers,
 * the numbers and codes this workstation issues, and the kits the desk registers. Each part
 * says what it is for; every change is a command, audited.
 */
export function LabSetupPage() {
  const { can } = useSession();
  const navigate = useNavigate();
  const [notice, setNotice] = useState<string | null>(null);
  // Bumped when a site is added or changed: the blocks name sites and offer them.
  const [sitesChanged, setSitesChanged] = useState(0);
  return (
    <section className="lab-setup" data-testid="lab-setup">
      <PageHeading>Lab setup</PageHeading>
      <p className="lead">
        The collection sites, the numbers this workstation gives out and the kits the desk
        registers. Storage is set up on the Storage page, printers on the Printing page.
      </p>
      <div className="toolbar">
        <button
          type="button"
          className="button button-secondary"
          onClick={() => navigate({ page: 'setup', id: 'guide' })}
        >
          Open the setup guide
        </button>
      </div>
      <StatusMessage message={notice} testId="setup-notice" />
      <SitesPanel
        editable={can('manage_sites')}
        onNotice={setNotice}
        onChanged={() => setSitesChanged((n) => n + 1)}
      />
      <NumberBlocksPanel
        editable={can('manage_number_blocks')}
        onNotice={setNotice}
        sitesChanged={sitesChanged}
      />
      <KitTemplatesPanel editable={can('manage_kit_templates')} onNotice={setNotice} />
    </section>
  );
}

/** A whole number typed in a form, or a refusal naming the field. */
function wholeNumber(text: string, what: string): number {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw refuse(`${what} must be a whole number.`);
  }
  return n;
}

export function SitesPanel({
  editable,
  onNotice,
  onChanged,
}: {
  editable: boolean;
  onNotice: (m: string) => void;
  onChanged: () => void;
}) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const sites = useAsyncData(
    () => client.run('list_sites', { page, per_page: PER_PAGE }),
    [client, page],
  );
  const [editing, setEditing] = useState<SiteRecord | 'new' | null>(null);
  const data = sites.data;
  return (
    <section className="setup-section" aria-labelledby="sites-heading" data-testid="setup-sites">
      <h2 id="sites-heading">Collection sites</h2>
      <p className="hint">
        Where participants are enrolled. Each site has its own range of participant numbers, so two
        sites never give out the same number.
      </p>
      <ErrorAlert message={sites.error} />
      {data && data.total === 0 && (
        <p className="empty-state">
          No collection site yet.{' '}
          {editable ? 'Add the first one.' : `Ask ${whoCan('manage_sites')} to add one.`}
        </p>
      )}
      {data && data.total > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Collection sites</caption>
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Name</th>
              <th scope="col">Participant numbers</th>
              {editable && <th scope="col">Change</th>}
            </tr>
          </thead>
          <tbody>
            {data.items.map((s) => (
              <tr key={s.id} data-site={s.code}>
                <td>{s.code}</td>
                <td>{s.name}</td>
                <td>
                  {s.participant_range_start}–{s.participant_range_end}
                </td>
                {editable && (
                  <td>
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      onClick={() => setEditing(s)}
                    >
                      Edit…
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Site pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={sites.loading}
        />
      )}
      {editable && (
        <button type="button" className="button button-secondary" onClick={() => setEditing('new')}>
          Add a collection site
        </button>
      )}
      {editing !== null && (
        <SiteDialog
          site={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onDone={(site, made) => {
            setEditing(null);
            onNotice(made ? `Site ${site.code} added.` : `Site ${site.code} saved.`);
            sites.reload();
            onChanged();
          }}
        />
      )}
    </section>
  );
}

function SiteDialog({
  site,
  onClose,
  onDone,
}: {
  site: SiteRecord | null;
  onClose: () => void;
  onDone: (site: SiteRecord, made: boolean) => void;
}) {
  const client = useClient();
  const [code, setCode] = useState('');
  const [name, setName] = useState(site?.name ?? '');
  const [start, setStart] = useState(site ? String(site.participant_range_start) : '');
  const [end, setEnd] = useState(site ? String(site.participant_range_end) : '');
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(
    async () => {
      const first = wholeNumber(start, 'The first participant number');
      const last = wholeNumber(end, 'The last participant number');
      if (!name.trim()) throw refuse('Give the site a name people recognise.');
      if (site === null) {
        if (!code.trim()) throw refuse('Give the site a short code, such as NORTH.');
        const made = await client.run('create_site', {
          code: code.trim(),
          name: name.trim(),
          participant_range_start: first,
          participant_range_end: last,
        });
        return { site: made, made: true };
      }
      if (!reason.trim()) throw refuse('Say why the site changes; the audit trail keeps it.');
      const saved = await client.run('update_site', {
        site_id: site.id,
        name: name.trim(),
        participant_range_start: first,
        participant_range_end: last,
        reason: reason.trim(),
      });
      return { site: saved, made: false };
    },
    (r) => onDone(r.site, r.made),
  );
  return (
    <Dialog
      title={site ? `Edit site ${site.code}` : 'Add a collection site'}
      onClose={onClose}
      testId="site-dialog"
    >
      <form onSubmit={submit} noValidate>
        {site === null && (
          <Field
            id="site-code"
            label="Code"
            value={code}
            onChange={setCode}
            hint="Short and unchangeable, in capitals: it appears in reports and on screens."
            autoFocus
          />
        )}
        <Field id="site-name" label="Name" value={name} onChange={setName} />
        <Field
          id="site-first"
          label="First participant number"
          value={start}
          onChange={setStart}
          type="number"
          min={1}
        />
        <Field
          id="site-last"
          label="Last participant number"
          value={end}
          onChange={setEnd}
          type="number"
          min={1}
          hint="No other site may use a number of this range."
        />
        {site !== null && (
          <Field id="site-reason" label="Reason" value={reason} onChange={setReason} />
        )}
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Saving…">
            {site ? 'Save the site' : 'Add the site'}
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function blockWords(b: NumberBlockView, sites: readonly SiteRecord[]): string {
  if (b.kind === 'participant') {
    const site = sites.find((s) => s.id === b.site_id);
    return `Participant numbers${site ? ` of ${site.code}` : ''}`;
  }
  return b.kind === 'preprinted' ? `Pre-printed ${b.prefix} labels` : `Sample codes ${b.prefix}`;
}

export function NumberBlocksPanel({
  editable,
  onNotice,
  sitesChanged,
}: {
  editable: boolean;
  onNotice: (m: string) => void;
  sitesChanged: number;
}) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const blocks = useAsyncData(
    () => client.run('list_number_blocks', { page, per_page: PER_PAGE }),
    [client, page],
  );
  // The sites, to name a participant block's (a lab has tens).
  const sites = useAsyncData(
    () => client.run('list_sites', PICKER_PAGE).then((p) => p.items),
    [client, sitesChanged],
  );
  const [adding, setAdding] = useState(false);
  const data = blocks.data;
  return (
    <section className="setup-section" aria-labelledby="blocks-heading" data-testid="setup-blocks">
      <h2 id="blocks-heading">Numbers and sample codes</h2>
      <p className="hint">
        The participant numbers and sample codes this workstation gives out, a block at a time, so
        that two workstations never issue the same one, even offline. With a lab hub, blocks are
        leased from the hub by themselves; without one, they are assigned here.
      </p>
      <ErrorAlert message={blocks.error ?? sites.error} />
      {data && data.total === 0 && (
        <p className="empty-state">
          No block yet: the desk cannot register participants or kits until this workstation has a
          block of participant numbers and one of sample codes.
        </p>
      )}
      {data && data.total > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Number blocks</caption>
          <thead>
            <tr>
              <th scope="col">What</th>
              <th scope="col">Range</th>
              <th scope="col">First code</th>
              <th scope="col">Left</th>
              <th scope="col">Workstation</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((b) => (
              <tr key={b.id} data-block={b.kind}>
                <td>{blockWords(b, sites.data ?? [])}</td>
                <td>
                  {b.first}–{b.last}
                </td>
                <td>{b.example_code}</td>
                <td>{b.remaining}</td>
                <td>{b.this_workstation ? 'This one' : b.device_id}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Number block pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={blocks.loading}
        />
      )}
      {editable && (
        <button type="button" className="button button-secondary" onClick={() => setAdding(true)}>
          Assign a block to this workstation
        </button>
      )}
      {adding && (
        <BlockDialog
          sites={sites.data ?? []}
          onClose={() => setAdding(false)}
          onDone={(b) => {
            setAdding(false);
            onNotice(`${blockWords(b, sites.data ?? [])} ${b.first}–${b.last} assigned.`);
            blocks.reload();
          }}
        />
      )}
    </section>
  );
}

const BLOCK_KINDS: readonly { value: BlockKind; label: string }[] = [
  { value: 'participant', label: 'Participant numbers of a site' },
  { value: 'sample', label: 'Sample codes printed here' },
  { value: 'preprinted', label: 'Codes of a pre-printed label roll' },
];

function BlockDialog({
  sites,
  onClose,
  onDone,
}: {
  sites: readonly SiteRecord[];
  onClose: () => void;
  onDone: (block: NumberBlockView) => void;
}) {
  const client = useClient();
  const [kind, setKind] = useState<BlockKind>('participant');
  const [chosenSite, setSiteId] = useState('');
  // The first site until another is chosen (the list may arrive after the dialog opens).
  const siteId = chosenSite || (sites[0]?.id ?? '');
  const [prefix, setPrefix] = useState('');
  const [digits, setDigits] = useState('6');
  const [first, setFirst] = useState('');
  const [last, setLast] = useState('');
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    const participants = kind === 'participant';
    if (participants && !siteId) throw refuse('Add a collection site first.');
    if (!reason.trim()) throw refuse('Say why the block is assigned; the audit trail keeps it.');
    const device = await client.deviceStatus();
    return client.run('assign_number_block', {
      block: {
        kind,
        device_id: device.device_id,
        site_id: participants ? siteId : null,
        prefix: participants ? '' : prefix.trim(),
        digits: participants ? 0 : wholeNumber(digits, 'The number of digits'),
        first: wholeNumber(first, 'The first number'),
        last: wholeNumber(last, 'The last number'),
      },
      reason: reason.trim(),
    });
  }, onDone);
  const site = sites.find((s) => s.id === siteId);
  return (
    <Dialog title="Assign a block to this workstation" onClose={onClose} testId="block-dialog">
      <form onSubmit={submit} noValidate>
        <SelectField
          id="block-kind"
          label="What it numbers"
          value={kind}
          onChange={setKind}
          options={BLOCK_KINDS}
        />
        {kind === 'participant' ? (
          <SelectField
            id="block-site"
            label="Site"
            value={siteId}
            onChange={setSiteId}
            options={sites.map((s) => ({ value: s.id, label: `${s.code} · ${s.name}` }))}
          />
        ) : (
          <>
            <Field
              id="block-prefix"
              label="Code prefix"
              value={prefix}
              onChange={setPrefix}
              hint="1 to 6 capital letters or digits, starting with a letter (P is kept for participants)."
            />
            <Field
              id="block-digits"
              label="Digits after the prefix"
              value={digits}
              onChange={setDigits}
              type="number"
              min={4}
              max={9}
            />
          </>
        )}
        <Field
          id="block-first"
          label="First number"
          value={first}
          onChange={setFirst}
          type="number"
          min={1}
          hint={
            kind === 'participant' && site
              ? `Inside ${site.code}'s range ${site.participant_range_start}–${site.participant_range_end}.`
              : undefined
          }
        />
        <Field id="block-last" label="Last number" value={last} onChange={setLast} type="number" />
        <Field id="block-reason" label="Reason" value={reason} onChange={setReason} />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Assigning…">
            Assign the block
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function kitWords(items: readonly KitItem[]): string {
  return items
    .map(
      (i) =>
        `${i.count} × ${sampleTypeLabel(i.sample_type)}${i.volume_ul !== null ? ` ${i.volume_ul} µl` : ''}`,
    )
    .join(', ');
}

export function KitTemplatesPanel({
  editable,
  onNotice,
}: {
  editable: boolean;
  onNotice: (m: string) => void;
}) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const kits = useAsyncData(
    () => client.run('list_kit_templates', { page, per_page: PER_PAGE }),
    [client, page],
  );
  const [adding, setAdding] = useState(false);
  const data = kits.data;
  return (
    <section className="setup-section" aria-labelledby="kits-heading" data-testid="setup-kits">
      <h2 id="kits-heading">Kit templates</h2>
      <p className="hint">
        The tubes collected from one participant at one visit. The desk registers a whole kit in one
        step and prints its labels together.
      </p>
      <ErrorAlert message={kits.error} />
      {data && data.total === 0 && (
        <p className="empty-state">No kit template yet: the desk needs one to register samples.</p>
      )}
      {data && data.total > 0 && (
        <ul className="setup-kits">
          {data.items.map((k) => (
            <li key={k.id} data-kit={k.name}>
              <strong>{k.name}</strong> · {k.tube_count} {k.tube_count === 1 ? 'tube' : 'tubes'}:{' '}
              {kitWords(k.items)}
            </li>
          ))}
        </ul>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Kit template pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={kits.loading}
        />
      )}
      {editable && (
        <button type="button" className="button button-secondary" onClick={() => setAdding(true)}>
          Add a kit template
        </button>
      )}
      {adding && (
        <KitDialog
          onClose={() => setAdding(false)}
          onDone={(name) => {
            setAdding(false);
            onNotice(`Kit template “${name}” added.`);
            kits.reload();
          }}
        />
      )}
    </section>
  );
}

type KitLine = { sampleType: SampleType; count: string; volume: string };

function KitDialog({ onClose, onDone }: { onClose: () => void; onDone: (name: string) => void }) {
  const client = useClient();
  const [name, setName] = useState('');
  const [lines, setLines] = useState<KitLine[]>([
    { sampleType: SAMPLE_TYPES[0] ?? 'whole_blood', count: '1', volume: '' },
  ]);
  const setLine = (i: number, change: Partial<KitLine>) =>
    setLines(lines.map((l, j) => (j === i ? { ...l, ...change } : l)));
  const { busy, error, submit } = useSubmit(async () => {
    if (!name.trim()) throw refuse('Give the kit a name the desk recognises.');
    const items: KitItem[] = lines.map((l, i) => ({
      sample_type: l.sampleType,
      count: wholeNumber(l.count, `Line ${i + 1}'s number of tubes`),
      volume_ul: l.volume.trim() === '' ? null : wholeNumber(l.volume, `Line ${i + 1}'s volume`),
    }));
    const made = await client.run('create_kit_template', { name: name.trim(), items });
    return made.name;
  }, onDone);
  return (
    <Dialog title="Add a kit template" onClose={onClose} testId="kit-dialog">
      <form onSubmit={submit} noValidate>
        <Field id="kit-name" label="Name" value={name} onChange={setName} autoFocus />
        {lines.map((l, i) => (
          <fieldset key={i} className="kit-line">
            <legend>Tubes, line {i + 1}</legend>
            <SelectField
              id={`kit-type-${i}`}
              label="Sample type"
              value={l.sampleType}
              onChange={(v) => setLine(i, { sampleType: v })}
              options={SAMPLE_TYPES.map((t) => ({ value: t, label: sampleTypeLabel(t) }))}
            />
            <Field
              id={`kit-count-${i}`}
              label="Number of tubes"
              value={l.count}
              onChange={(v) => setLine(i, { count: v })}
              type="number"
              min={1}
            />
            <Field
              id={`kit-volume-${i}`}
              label="Volume of each (µl, optional)"
              value={l.volume}
              onChange={(v) => setLine(i, { volume: v })}
              type="number"
              min={1}
            />
            {lines.length > 1 && (
              <button
                type="button"
                className="button button-quiet button-small"
                onClick={() => setLines(lines.filter((_, j) => j !== i))}
              >
                Remove line {i + 1}
              </button>
            )}
          </fieldset>
        ))}
        <button
          type="button"
          className="button button-secondary button-small"
          onClick={() =>
            setLines([
              ...lines,
              { sampleType: SAMPLE_TYPES[0] ?? 'whole_blood', count: '1', volume: '' },
            ])
          }
        >
          Add a line of tubes
        </button>
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Adding…">
            Add the kit template
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
