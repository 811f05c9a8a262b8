import { useState } from 'react';
import type {
  BlockKind,
  KitItem,
  KitTemplateRecord,
  NumberBlockView,
  SampleType,
  SampleTypeRecord,
  SiteRecord,
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
import { PICKER_PAGE } from '../../lib/paging';
import { whoCan } from '../../lib/roles';
import { sampleTypesInUse } from '../../lib/samples';
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
        registers, with the sample types they are made of. Storage is set up on the Storage page,
        printers on the Printing page.
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
      <SampleTypesPanel editable={can('manage_kit_templates')} onNotice={setNotice} />
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
    () => client.run('list_sites', { page, per_page: PER_PAGE, include_voided: true }),
    [client, page],
  );
  const [editing, setEditing] = useState<SiteRecord | 'new' | null>(null);
  const [voiding, setVoiding] = useState<SiteRecord | null>(null);
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
              <tr key={s.id} data-site={s.code} className={s.voided_at ? 'voided' : undefined}>
                <td>{s.code}</td>
                <td>
                  {s.name}
                  {s.voided_at && (
                    <span className="muted" data-testid="site-voided">
                      {' '}
                      · voided: {s.void_reason}
                    </span>
                  )}
                </td>
                <td>
                  {s.voided_at
                    ? 'free again'
                    : `${s.participant_range_start}–${s.participant_range_end}`}
                </td>
                {editable && (
                  <td>
                    {!s.voided_at && (
                      <>
                        <button
                          type="button"
                          className="button button-secondary button-small"
                          onClick={() => setEditing(s)}
                        >
                          Edit…
                        </button>{' '}
                        <button
                          type="button"
                          className="button button-quiet button-small"
                          onClick={() => setVoiding(s)}
                        >
                          Void…
                        </button>
                      </>
                    )}
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
      {voiding !== null && (
        <ReasonDialog
          title={`Void site ${voiding.code}?`}
          reasonLabel="Reason for voiding the site"
          hint="Kept in the audit trail, e.g. “made twice by mistake”."
          missing="Say why the site is voided; the audit trail keeps it."
          action="Void the site"
          busyLabel="Voiding…"
          id="void-site"
          run={(reason) => client.run('void_site', { site_id: voiding.id, reason })}
          onClose={() => setVoiding(null)}
          onDone={(site) => {
            setVoiding(null);
            onNotice(`Site ${site.code} voided; its numbers are free for another site.`);
            sites.reload();
            onChanged();
          }}
        >
          <p>
            For a site made by mistake: it takes no participants, blocks or field events, and its
            participant numbers are free for another site. Its code stays taken. A site where
            participants or events are recorded cannot be voided; correct its name or range instead.
          </p>
        </ReasonDialog>
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
    () => client.run('list_sites', { ...PICKER_PAGE, include_voided: true }).then((p) => p.items),
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
          sites={(sites.data ?? []).filter((site) => site.voided_at === null)}
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

export function SampleTypesPanel({
  editable,
  onNotice,
}: {
  editable: boolean;
  onNotice: (m: string) => void;
}) {
  const client = useClient();
  const { reloadSampleTypes } = useSession();
  const [page, setPage] = useState(1);
  const types = useAsyncData(
    () => client.run('list_sample_types', { page, per_page: PER_PAGE, include_retired: true }),
    [client, page],
  );
  const [adding, setAdding] = useState(false);
  const [retiring, setRetiring] = useState<SampleTypeRecord | null>(null);
  const changed = (message: string) => {
    onNotice(message);
    types.reload();
    reloadSampleTypes();
  };
  const data = types.data;
  return (
    <section className="setup-section" aria-labelledby="types-heading" data-testid="setup-types">
      <h2 id="types-heading">Sample types</h2>
      <p className="hint">
        What the lab’s tubes hold. The short code is printed on every label, so it never changes; a
        type no longer collected is retired and stays on the tubes that have it.
      </p>
      <ErrorAlert message={types.error} />
      {data && data.total > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Sample types</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">On labels</th>
              <th scope="col">Code</th>
              {editable && <th scope="col">Change</th>}
            </tr>
          </thead>
          <tbody>
            {data.items.map((t) => (
              <tr
                key={t.code}
                data-sample-type={t.code}
                className={t.retired_at ? 'voided' : undefined}
              >
                <td>
                  {t.label}
                  {t.retired_at && <span className="muted"> · retired: {t.retire_reason}</span>}
                </td>
                <td>{t.short_code}</td>
                <td>
                  <code>{t.code}</code>
                </td>
                {editable && (
                  <td>
                    {!t.retired_at && (
                      <button
                        type="button"
                        className="button button-quiet button-small"
                        onClick={() => setRetiring(t)}
                      >
                        Retire…
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Sample type pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={types.loading}
        />
      )}
      {editable && (
        <button type="button" className="button button-secondary" onClick={() => setAdding(true)}>
          Add a sample type
        </button>
      )}
      {adding && (
        <SampleTypeDialog
          onClose={() => setAdding(false)}
          onDone={(t) => {
            setAdding(false);
            changed(`Sample type ${t.label} (${t.short_code}) added.`);
          }}
        />
      )}
      {retiring !== null && (
        <ReasonDialog
          title={`Retire ${retiring.label}?`}
          reasonLabel="Reason for retiring the type"
          hint="Kept in the audit trail, e.g. “no longer collected in this study”."
          missing="Say why the type is retired; the audit trail keeps it."
          action="Retire the type"
          busyLabel="Retiring…"
          id="retire-type"
          run={(reason) => client.run('retire_sample_type', { code: retiring.code, reason })}
          onClose={() => setRetiring(null)}
          onDone={(t) => {
            setRetiring(null);
            changed(`Sample type ${t.label} retired.`);
          }}
        >
          <p>
            No new tube, kit template or aliquot can be of this type; tubes that have it keep it. A
            kit template still in use that makes it must be changed or retired first.
          </p>
        </ReasonDialog>
      )}
    </section>
  );
}

function SampleTypeDialog({
  onClose,
  onDone,
}: {
  onClose: () => void;
  onDone: (t: SampleTypeRecord) => void;
}) {
  const client = useClient();
  const [label, setLabel] = useState('');
  const [shortCode, setShortCode] = useState('');
  const [code, setCode] = useState('');
  // The stored code follows the name until it is typed: "Cerebrospinal fluid" → cerebrospinal_fluid.
  const suggested = label
    .trim()
    .toLowerCase()
    .normalize('NFD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+|_+$/g, '')
    .slice(0, 32);
  const { busy, error, submit } = useSubmit(
    () =>
      client.run('create_sample_type', {
        code: code.trim() || suggested,
        short_code: shortCode.trim().toUpperCase(),
        label: label.trim(),
      }),
    onDone,
  );
  return (
    <Dialog title="Add a sample type" onClose={onClose} testId="sample-type-dialog">
      <form onSubmit={submit} noValidate>
        <Field
          id="type-label"
          label="Name"
          value={label}
          onChange={setLabel}
          hint="As people say it, e.g. Cerebrospinal fluid."
          autoFocus
        />
        <Field
          id="type-short"
          label="Short code on labels"
          value={shortCode}
          onChange={setShortCode}
          hint="2 to 4 capital letters or digits, e.g. CS. It cannot change later."
        />
        <Field
          id="type-code"
          label="Code (stored on every tube)"
          value={code}
          onChange={setCode}
          placeholder={suggested}
          hint="Lower-case letters, digits and _; leave empty to use the one shown."
        />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Adding…">
            Add the type
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function kitWords(items: readonly KitItem[], typeLabel: (code: string) => string): string {
  return items
    .map(
      (i) =>
        `${i.count} × ${typeLabel(i.sample_type)}${i.volume_ul !== null ? ` ${i.volume_ul} µl` : ''}`,
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
  const { sampleTypeLabel } = useSession();
  const [page, setPage] = useState(1);
  const kits = useAsyncData(
    () => client.run('list_kit_templates', { page, per_page: PER_PAGE, include_retired: true }),
    [client, page],
  );
  const [editing, setEditing] = useState<KitTemplateRecord | 'new' | null>(null);
  const [retiring, setRetiring] = useState<KitTemplateRecord | null>(null);
  const data = kits.data;
  return (
    <section className="setup-section" aria-labelledby="kits-heading" data-testid="setup-kits">
      <h2 id="kits-heading">Kit templates</h2>
      <p className="hint">
        The tubes collected from one participant at one visit. The desk registers a whole kit in one
        step and prints its labels together. A change makes the template’s next version: kits
        registered before keep the tubes they had.
      </p>
      <ErrorAlert message={kits.error} />
      {data && data.total === 0 && (
        <p className="empty-state">No kit template yet: the desk needs one to register samples.</p>
      )}
      {data && data.total > 0 && (
        <ul className="setup-kits">
          {data.items.map((k) => (
            <li key={k.id} data-kit={k.name} className={k.retired_at ? 'voided' : undefined}>
              <strong>{k.name}</strong> · version {k.version} · {k.tube_count}{' '}
              {k.tube_count === 1 ? 'tube' : 'tubes'}: {kitWords(k.items, sampleTypeLabel)}
              {k.retired_at && <span className="muted"> · retired: {k.retire_reason}</span>}
              {editable && !k.retired_at && (
                <span className="inline-actions">
                  {' '}
                  <button
                    type="button"
                    className="button button-secondary button-small"
                    onClick={() => setEditing(k)}
                  >
                    Change…
                  </button>{' '}
                  <button
                    type="button"
                    className="button button-quiet button-small"
                    onClick={() => setRetiring(k)}
                  >
                    Retire…
                  </button>
                </span>
              )}
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
        <button type="button" className="button button-secondary" onClick={() => setEditing('new')}>
          Add a kit template
        </button>
      )}
      {editing !== null && (
        <KitDialog
          template={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onDone={(k) => {
            const added = editing === 'new';
            setEditing(null);
            onNotice(
              added
                ? `Kit template “${k.name}” added.`
                : `Kit template “${k.name}” is now version ${k.version}.`,
            );
            kits.reload();
          }}
        />
      )}
      {retiring !== null && (
        <ReasonDialog
          title={`Retire kit template “${retiring.name}”?`}
          reasonLabel="Reason for retiring the template"
          hint="Kept in the audit trail, e.g. “study closed” or “replaced by the 2027 kit”."
          missing="Say why the template is retired; the audit trail keeps it."
          action="Retire the template"
          busyLabel="Retiring…"
          id="retire-kit"
          run={(reason) => client.run('retire_kit_template', { template_id: retiring.id, reason })}
          onClose={() => setRetiring(null)}
          onDone={(k) => {
            setRetiring(null);
            onNotice(`Kit template “${k.name}” retired.`);
            kits.reload();
          }}
        >
          <p>
            The desk no longer offers it, and kits registered from now on with it are refused. Kits
            registered before keep it.
          </p>
        </ReasonDialog>
      )}
    </section>
  );
}

type KitLine = { sampleType: SampleType; count: string; volume: string };

/** Adds a template, or changes one's lines as its next version (with the reason). */
function KitDialog({
  template,
  onClose,
  onDone,
}: {
  template: KitTemplateRecord | null;
  onClose: () => void;
  onDone: (template: KitTemplateRecord) => void;
}) {
  const client = useClient();
  const { sampleTypes, sampleTypeLabel } = useSession();
  const inUse = sampleTypesInUse(sampleTypes);
  const firstType = inUse[0]?.code ?? '';
  const [name, setName] = useState(template?.name ?? '');
  const [lines, setLines] = useState<KitLine[]>(
    template
      ? template.items.map((i) => ({
          sampleType: i.sample_type,
          count: String(i.count),
          volume: i.volume_ul === null ? '' : String(i.volume_ul),
        }))
      : [{ sampleType: '', count: '1', volume: '' }],
  );
  const [reason, setReason] = useState('');
  const setLine = (i: number, change: Partial<KitLine>) =>
    setLines(lines.map((l, j) => (j === i ? { ...l, ...change } : l)));
  const { busy, error, submit } = useSubmit(async () => {
    if (!name.trim()) throw refuse('Give the kit a name the desk recognises.');
    const items: KitItem[] = lines.map((l, i) => ({
      sample_type: l.sampleType || firstType,
      count: wholeNumber(l.count, `Line ${i + 1}'s number of tubes`),
      volume_ul: l.volume.trim() === '' ? null : wholeNumber(l.volume, `Line ${i + 1}'s volume`),
    }));
    if (template === null) {
      return client.run('create_kit_template', { name: name.trim(), items });
    }
    if (!reason.trim()) throw refuse('Say why the kit changes; the audit trail keeps it.');
    return client.run('revise_kit_template', {
      template_id: template.id,
      version: template.version,
      items,
      reason: reason.trim(),
    });
  }, onDone);
  // A line of a type retired since keeps it on screen, so the change is the user's to make.
  const optionsFor = (current: SampleType) => {
    const options = inUse.map((t) => ({ value: t.code, label: t.label }));
    if (current && !inUse.some((t) => t.code === current)) {
      options.push({ value: current, label: `${sampleTypeLabel(current)} (retired)` });
    }
    return options;
  };
  return (
    <Dialog
      title={template ? `Change kit template “${template.name}”` : 'Add a kit template'}
      onClose={onClose}
      testId="kit-dialog"
    >
      <form onSubmit={submit} noValidate>
        {template === null ? (
          <Field id="kit-name" label="Name" value={name} onChange={setName} autoFocus />
        ) : (
          <p className="hint">
            Version {template.version} becomes version {template.version + 1}. Kits registered
            before keep version {template.version}’s tubes.
          </p>
        )}
        {lines.map((l, i) => (
          <fieldset key={i} className="kit-line">
            <legend>Tubes, line {i + 1}</legend>
            <SelectField
              id={`kit-type-${i}`}
              label="Sample type"
              value={l.sampleType || firstType}
              onChange={(v) => setLine(i, { sampleType: v })}
              options={optionsFor(l.sampleType)}
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
          onClick={() => setLines([...lines, { sampleType: '', count: '1', volume: '' }])}
        >
          Add a line of tubes
        </button>
        {template !== null && (
          <Field
            id="kit-reason"
            label="Reason for the change"
            value={reason}
            onChange={setReason}
            hint="Kept in the audit trail, e.g. “a second serum tube from 1 March”."
          />
        )}
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel={template ? 'Saving…' : 'Adding…'}>
            {template ? `Save as version ${template.version + 1}` : 'Add the kit template'}
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
