import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type {
  ConsentStatus,
  FieldEventRecord,
  KitRegistered,
  KitTemplateRecord,
  LabelPreviews,
  Page,
  ParticipantRecord,
  PrintJobRecord,
  Sex,
  SiteRecord,
  UnprintedKit,
} from '../../api/types';
import {
  ErrorAlert,
  Field,
  PageHeading,
  SelectField,
  StatusMessage,
  SubmitButton,
} from '../../components/forms';
import { Pager } from '../../components/Pager';
import { Working } from '../../components/Working';
import { errorMessage } from '../../lib/errors';
import { canManageFieldEvents, canPrintLabels } from '../../lib/roles';
import { useAsyncData, type AsyncData } from '../../lib/useAsyncData';
import { useScanFeedback, useScanHandler } from '../../scan/ScanContext';
import { useClient, useSession } from '../../session';
import { sampleTypeLabel } from '../../lib/samples';
import './desk.css';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { isInDoubt } from '../printing/printingText';

/** Where this desk is working; kept for the browser tab so a reload keeps the event. */
type Where = { siteId: string; eventId: string };

const WHERE_KEY = 'aliquot.desk.where';

const UNPRINTED_PER_PAGE = 10;

function loadWhere(): Where {
  try {
    const parsed: unknown = JSON.parse(window.sessionStorage.getItem(WHERE_KEY) ?? 'null');
    if (parsed && typeof parsed === 'object') {
      const { siteId, eventId } = parsed as Record<string, unknown>;
      return {
        siteId: typeof siteId === 'string' ? siteId : '',
        eventId: typeof eventId === 'string' ? eventId : '',
      };
    }
  } catch {
    // Unreadable or unavailable storage: start with nothing chosen.
  }
  return { siteId: '', eventId: '' };
}

function saveWhere(where: Where): void {
  try {
    window.sessionStorage.setItem(WHERE_KEY, JSON.stringify(where));
  } catch {
    // The choice then lasts until reload.
  }
}

function today(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function nowLocal(): string {
  const d = new Date();
  d.setSeconds(0, 0);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${today()}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * The collection desk: choose site and event, find or register the participant, register a
 * kit in one step and print its labels at once. Works the same with or without a hub.
 */
export function RegistrationDesk() {
  const client = useClient();
  const { user } = useSession();
  const [where, setWhere] = useState<Where>(loadWhere);
  const [participant, setParticipant] = useState<ParticipantRecord | null>(null);
  const [registered, setRegistered] = useState<KitRegistered | null>(null);
  const [checkIn, setCheckIn] = useState<string | null>(null);
  const [listPrinted, setListPrinted] = useState<{
    registrationId: string;
    job: PrintJobRecord;
  } | null>(null);

  const sites = useAsyncData(() => client.run('list_sites', {}), [client]);
  const [unprintedPage, setUnprintedPage] = useState(1);
  const unprinted = useAsyncData(
    () => client.run('list_unprinted_kits', { page: unprintedPage, per_page: UNPRINTED_PER_PAGE }),
    [client, unprintedPage],
  );
  // Queuing a kit's labels takes it off the list, wherever it was printed from.
  const reloadUnprinted = unprinted.reload;
  useEffect(
    () =>
      client.subscribe((e) => {
        if (e.type === 'print_job_changed') reloadUnprinted();
      }),
    [client, reloadUnprinted],
  );
  const events = useAsyncData(
    () =>
      where.siteId
        ? client
            .run('list_field_events', { site_id: where.siteId, page: 1, per_page: 100 })
            .then((p) => p.items)
        : Promise.resolve([] as FieldEventRecord[]),
    [client, where.siteId],
  );

  // One site: no need to ask.
  useEffect(() => {
    const list = sites.data;
    if (list && list.length === 1 && list[0] && where.siteId === '') {
      choose({ siteId: list[0].id, eventId: '' });
    }
  }, [sites.data, where.siteId]);

  function choose(next: Where) {
    setWhere(next);
    saveWhere(next);
  }

  const event = events.data?.find((e) => e.id === where.eventId) ?? null;

  const selectParticipant = useCallback(
    async (p: ParticipantRecord, isNew: boolean) => {
      setParticipant(p);
      setRegistered(null);
      setCheckIn(null);
      if (!where.eventId) return;
      try {
        await client.run('check_in_participant', {
          event_id: where.eventId,
          participant_id: p.id,
        });
        setCheckIn(`${p.code} is checked in to ${event?.name ?? 'the event'}.`);
      } catch (e: unknown) {
        // A participant who came back to the desk is already checked in; say so and go on.
        setCheckIn(isNew ? errorMessage(e) : `${errorMessage(e)}`);
      }
    },
    [client, where.eventId, event],
  );

  function nextParticipant() {
    setParticipant(null);
    setRegistered(null);
    setCheckIn(null);
  }

  return (
    <section className="desk">
      <PageHeading>Registration desk</PageHeading>
      <WherePanel
        sites={sites.data ?? []}
        sitesError={sites.error}
        events={events.data ?? []}
        where={where}
        onChange={(next) => {
          choose(next);
          nextParticipant();
        }}
      />
      {where.siteId && canManageFieldEvents(user.role) && (
        <NewFieldEvent
          siteId={where.siteId}
          onCreated={(e) => {
            events.reload();
            choose({ siteId: where.siteId, eventId: e.id });
            nextParticipant();
          }}
        />
      )}
      <UnprintedKits
        list={unprinted}
        onPage={setUnprintedPage}
        canPrint={canPrintLabels(user.role)}
        onQueued={(kit, job) => setListPrinted({ registrationId: kit.registration_id, job })}
      />
      {!where.siteId ? (
        <p className="empty-state" data-testid="desk-choose-site">
          Choose the collection site to start registering.
        </p>
      ) : participant === null ? (
        <ParticipantStep
          siteId={where.siteId}
          onSelected={(p, isNew) => void selectParticipant(p, isNew)}
        />
      ) : (
        <>
          <ParticipantCard participant={participant} onChange={nextParticipant} />
          <StatusMessage message={checkIn} testId="desk-check-in" />
          {registered === null ? (
            <KitStep
              participant={participant}
              eventId={where.eventId}
              onRegistered={(kit) => {
                setRegistered(kit);
                // Labels asked for but not queued: the kit is now listed as owing them.
                if (kit.labels?.result === 'not_queued') reloadUnprinted();
              }}
            />
          ) : (
            <KitDone
              kit={registered}
              participant={participant}
              queuedElsewhere={
                listPrinted?.registrationId === registered.registration_id ? listPrinted.job : null
              }
              onNext={nextParticipant}
            />
          )}
        </>
      )}
    </section>
  );
}

function WherePanel({
  sites,
  sitesError,
  events,
  where,
  onChange,
}: {
  sites: SiteRecord[];
  sitesError: string | null;
  events: FieldEventRecord[];
  where: Where;
  onChange: (where: Where) => void;
}) {
  return (
    <div className="desk-where" data-testid="desk-where">
      <ErrorAlert message={sitesError} />
      <SelectField
        id="desk-site"
        label="Collection site"
        value={where.siteId}
        onChange={(siteId) => onChange({ siteId, eventId: '' })}
        options={[
          { value: '', label: sites.length ? 'Choose a site…' : 'No sites yet' },
          ...sites.map((s) => ({ value: s.id, label: `${s.code} · ${s.name}` })),
        ]}
      />
      <SelectField
        id="desk-event"
        label="Field event"
        value={where.eventId}
        disabled={!where.siteId}
        onChange={(eventId) => onChange({ siteId: where.siteId, eventId })}
        options={[
          { value: '', label: 'No event (collected at the site)' },
          ...events.map((e) => ({ value: e.id, label: `${e.name} · ${e.date}` })),
        ]}
      />
    </div>
  );
}

/** A collection day at a site, started from the desk by its coordinator. */
function NewFieldEvent({
  siteId,
  onCreated,
}: {
  siteId: string;
  onCreated: (event: FieldEventRecord) => void;
}) {
  const client = useClient();
  const { user } = useSession();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [date, setDate] = useState(today);

  const { busy, error, submit } = useSubmit(async () => {
    if (!name.trim()) {
      throw refuse(
        'Give the event a name people will recognise, such as "Market day, Elm Street".',
      );
    }
    const created = await client.run('create_field_event', {
      site_id: siteId,
      name: name.trim(),
      date,
      coordinator_id: user.id,
    });
    setOpen(false);
    setName('');
    return created;
  }, onCreated);

  if (!open) {
    return (
      <div className="form-actions desk-new-event">
        <button type="button" className="button button-secondary" onClick={() => setOpen(true)}>
          New field event…
        </button>
      </div>
    );
  }
  return (
    <form className="desk-panel" onSubmit={submit} data-testid="desk-new-event" noValidate>
      <h2>New field event</h2>
      <div className="desk-columns">
        <Field id="desk-event-name" label="Name" value={name} onChange={setName} autoFocus />
        <Field id="desk-event-date" label="Date" type="date" value={date} onChange={setDate} />
      </div>
      <p className="hint">You are its coordinator.</p>
      <ErrorAlert message={error} />
      <div className="form-actions">
        <SubmitButton busy={busy} busyLabel="Creating…">
          Create event
        </SubmitButton>
        <button type="button" className="button button-secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Find a participant by scanning their card or typing, or register a new one. */
function ParticipantStep({
  siteId,
  onSelected,
}: {
  siteId: string;
  onSelected: (p: ParticipantRecord, isNew: boolean) => void;
}) {
  const client = useClient();
  const feedback = useScanFeedback();
  const [query, setQuery] = useState('');
  const [searched, setSearched] = useState<string | null>(null);
  const results = useAsyncData(
    () =>
      searched === null
        ? Promise.resolve(null)
        : client.run('search_participants', {
            query: searched,
            site_id: siteId,
            page: 1,
            per_page: 10,
          }),
    [client, searched, siteId],
  );

  // A participant's code scanned anywhere on this step selects them.
  useScanHandler(async (scan) => {
    if (scan.command) return false;
    const found = await client.run('lookup_scan', { code: scan.text });
    if (found.kind !== 'participant') return false;
    feedback('accepted', `Participant ${found.participant.code}`);
    onSelected(found.participant, false);
    return true;
  });

  function search(e: FormEvent) {
    e.preventDefault();
    setSearched(query.trim());
  }

  const page = results.data;
  return (
    <div className="desk-columns">
      <div className="desk-panel" data-testid="desk-find">
        <h2>Returning participant</h2>
        <form onSubmit={search} className="desk-search">
          <Field
            id="desk-participant-query"
            label="Scan the participant card, or type a code, number or external id"
            value={query}
            onChange={setQuery}
            autoFocus
          />
          <SubmitButton busy={results.loading && searched !== null} busyLabel="Searching…">
            Find
          </SubmitButton>
        </form>
        <ErrorAlert message={results.error} />
        {page && page.items.length === 0 && (
          <p className="empty-state">
            No participant at this site matches “{searched}”. Register them on the right.
          </p>
        )}
        {page && page.items.length > 0 && (
          <ul className="desk-results" data-testid="desk-results">
            {page.items.map((p) => (
              <li key={p.id}>
                <button
                  type="button"
                  className="button button-secondary desk-result"
                  onClick={() => onSelected(p, false)}
                >
                  <strong>{p.code}</strong>
                  {p.external_id && <span> · {p.external_id}</span>}
                  <span className="muted"> · {p.sample_count} samples</span>
                </button>
              </li>
            ))}
            {page.total > page.items.length && (
              <li className="muted">
                {page.total - page.items.length} more; type more of the code to narrow it down.
              </li>
            )}
          </ul>
        )}
      </div>
      <NewParticipantForm siteId={siteId} onRegistered={(p) => onSelected(p, true)} />
    </div>
  );
}

const SEXES: readonly { value: Sex | ''; label: string }[] = [
  { value: '', label: 'Not recorded' },
  { value: 'female', label: 'Female' },
  { value: 'male', label: 'Male' },
  { value: 'other', label: 'Other' },
  { value: 'unknown', label: 'Unknown' },
];

function NewParticipantForm({
  siteId,
  onRegistered,
}: {
  siteId: string;
  onRegistered: (p: ParticipantRecord) => void;
}) {
  const client = useClient();
  const [externalId, setExternalId] = useState('');
  const [consentSigned, setConsentSigned] = useState(false);
  const [consentDate, setConsentDate] = useState(today);
  const [sex, setSex] = useState<Sex | ''>('');
  const [birthYear, setBirthYear] = useState('');

  const { busy, error, submit } = useSubmit(async () => {
    if (!consentSigned) {
      throw refuse('Confirm that the participant signed the consent form before registering them.');
    }
    const year = birthYear.trim() === '' ? undefined : Number(birthYear);
    if (year !== undefined && !Number.isInteger(year)) {
      throw refuse('Birth year must be a year such as 1968, or left empty.');
    }
    const consent: ConsentStatus = 'given';
    const p = await client.run('register_participant', {
      site_id: siteId,
      consent,
      consent_date: consentDate,
      ...(externalId.trim() ? { external_id: externalId.trim() } : {}),
      ...(sex ? { sex } : {}),
      ...(year !== undefined ? { birth_year: year } : {}),
    });
    return p;
  }, onRegistered);

  return (
    <form className="desk-panel" onSubmit={submit} data-testid="desk-new-participant" noValidate>
      <h2>New participant</h2>
      <p className="hint">The next participant number of this site is given on registering.</p>
      <Field
        id="desk-external-id"
        label="External id (optional)"
        value={externalId}
        onChange={setExternalId}
        hint="The study's own id for this person, if they have one."
      />
      <div className="field field-checkbox">
        <input
          id="desk-consent"
          type="checkbox"
          checked={consentSigned}
          onChange={(e) => setConsentSigned(e.target.checked)}
        />
        <label htmlFor="desk-consent">The participant signed the consent form</label>
      </div>
      <Field
        id="desk-consent-date"
        label="Consent date"
        type="date"
        value={consentDate}
        onChange={setConsentDate}
      />
      <SelectField id="desk-sex" label="Sex" value={sex} onChange={setSex} options={SEXES} />
      <Field
        id="desk-birth-year"
        label="Birth year (optional)"
        value={birthYear}
        onChange={setBirthYear}
        type="number"
        min={1900}
        max={new Date().getFullYear()}
      />
      <ErrorAlert message={error} testId="desk-participant-error" />
      <div className="form-actions">
        <SubmitButton busy={busy} busyLabel="Registering…">
          Register participant
        </SubmitButton>
      </div>
    </form>
  );
}

function ParticipantCard({
  participant,
  onChange,
}: {
  participant: ParticipantRecord;
  onChange: () => void;
}) {
  return (
    <div className="desk-participant" data-testid="desk-participant">
      <div>
        <span className="muted">Participant</span>
        <strong className="desk-participant-code" data-testid="desk-participant-code">
          {participant.code}
        </strong>
        {participant.external_id && <span> · {participant.external_id}</span>}
        <span className="muted"> · site {participant.site_code}</span>
      </div>
      {participant.consent === 'withdrawn' && (
        <div role="alert" className="alert alert-error">
          This participant has withdrawn consent. Do not collect samples.
        </div>
      )}
      <button type="button" className="button button-secondary" onClick={onChange}>
        Another participant
      </button>
    </div>
  );
}

/** Choose the kit, optionally scan pre-printed tubes, register it in one step. */
function KitStep({
  participant,
  eventId,
  onRegistered,
}: {
  participant: ParticipantRecord;
  eventId: string;
  onRegistered: (kit: KitRegistered) => void;
}) {
  const client = useClient();
  const { user } = useSession();
  const feedback = useScanFeedback();
  const templates = useAsyncData(() => client.run('list_kit_templates', {}), [client]);
  const [templateId, setTemplateId] = useState('');
  const [collector, setCollector] = useState(user.display_name);
  const [collectedAt, setCollectedAt] = useState(nowLocal);
  const [prePrinted, setPrePrinted] = useState(false);
  const [codes, setCodes] = useState<(string | null)[]>([]);
  const [printNow, setPrintNow] = useState(canPrintLabels(user.role));

  const template: KitTemplateRecord | null =
    templates.data?.find((t) => t.id === templateId) ?? null;
  const tubes = template ? expandTubes(template) : [];

  useEffect(() => {
    const list = templates.data;
    if (list && list.length > 0 && templateId === '' && list[0]) setTemplateId(list[0].id);
  }, [templates.data, templateId]);

  useEffect(() => {
    setCodes(tubes.map(() => null));
    // Reset the scanned codes when the kit changes.
  }, [templateId, tubes.length]);

  // With pre-printed tubes, each scan fills the next empty tube. Scans can come faster than
  // the screen redraws, so the codes are read from a ref that each scan updates at once.
  const codesRef = useRef(codes);
  codesRef.current = codes;
  useScanHandler((scan) => {
    if (!prePrinted || scan.command || !template) return false;
    const current = codesRef.current;
    const next = current.findIndex((c) => c === null);
    if (current.includes(scan.text)) {
      feedback('refused', `${scan.text} is already scanned for this kit.`);
      return true;
    }
    if (next < 0) {
      feedback('refused', 'Every tube of this kit has a code. Register the kit, or clear a tube.');
      return true;
    }
    const updated = current.map((c, i) => (i === next ? scan.text : c));
    codesRef.current = updated;
    setCodes(updated);
    feedback('accepted', `Tube ${next + 1}: ${scan.text}`);
    return true;
  });

  const { busy, error, submit } = useSubmit(async () => {
    if (!template) {
      throw refuse('Choose a kit.');
    }
    if (!collector.trim()) {
      throw refuse('Say who collected the samples.');
    }
    const at = new Date(collectedAt);
    if (Number.isNaN(at.getTime())) {
      throw refuse('Give the collection date and time.');
    }
    const kit = await client.run('register_kit', {
      participant_id: participant.id,
      template_id: template.id,
      collected_at: at.toISOString(),
      collector: collector.trim(),
      print_labels: printNow,
      ...(eventId ? { event_id: eventId } : {}),
      ...(prePrinted ? { codes } : {}),
    });
    return kit;
  }, onRegistered);

  if (templates.data && templates.data.length === 0) {
    return (
      <p className="empty-state">
        This workstation has no kit templates yet, so no kit can be registered. Ask a lab manager to
        set up the study's kits.
      </p>
    );
  }

  return (
    <form className="desk-panel desk-kit" onSubmit={submit} data-testid="desk-kit" noValidate>
      <h2>Kit</h2>
      <ErrorAlert message={templates.error} />
      <fieldset className="desk-templates">
        <legend>Which kit</legend>
        {(templates.data ?? []).map((t) => (
          <label key={t.id} className="desk-template">
            <input
              type="radio"
              name="desk-template"
              value={t.id}
              checked={t.id === templateId}
              onChange={() => setTemplateId(t.id)}
            />
            <span>
              <strong>{t.name}</strong>
              <span className="muted">
                {' '}
                · {t.tube_count} tubes:{' '}
                {t.items.map((i) => `${i.count} × ${sampleTypeLabel(i.sample_type)}`).join(', ')}
              </span>
            </span>
          </label>
        ))}
      </fieldset>
      <div className="desk-columns">
        <Field id="desk-collector" label="Collected by" value={collector} onChange={setCollector} />
        <Field
          id="desk-collected-at"
          label="Collected at"
          type="datetime-local"
          value={collectedAt}
          onChange={setCollectedAt}
        />
      </div>
      <div className="field field-checkbox">
        <input
          id="desk-pre-printed"
          type="checkbox"
          checked={prePrinted}
          onChange={(e) => setPrePrinted(e.target.checked)}
        />
        <label htmlFor="desk-pre-printed">The tubes already have printed labels: scan them</label>
      </div>
      {prePrinted && template && (
        <p className="hint">Tubes left empty get a new code from this workstation.</p>
      )}
      {prePrinted && template && (
        <ol className="desk-tubes" data-testid="desk-tubes">
          {tubes.map((type, i) => (
            <li key={i} className={codes[i] ? 'desk-tube desk-tube-scanned' : 'desk-tube'}>
              <span>{sampleTypeLabel(type)}</span>
              <strong>{codes[i] ?? 'scan the tube…'}</strong>
              {codes[i] && (
                <button
                  type="button"
                  className="button button-secondary"
                  onClick={() => setCodes(codes.map((c, j) => (j === i ? null : c)))}
                >
                  Clear
                </button>
              )}
            </li>
          ))}
        </ol>
      )}
      <div className="field field-checkbox">
        <input
          id="desk-print-now"
          type="checkbox"
          checked={printNow}
          disabled={!canPrintLabels(user.role)}
          onChange={(e) => setPrintNow(e.target.checked)}
        />
        <label htmlFor="desk-print-now">Print the kit's labels now</label>
      </div>
      <ErrorAlert message={error} testId="desk-kit-error" />
      <Working busy={busy} label="Registering the kit and queuing its labels…" />
      <div className="form-actions">
        <SubmitButton busy={busy} busyLabel="Registering the kit…" disabled={!template}>
          Register kit{template ? ` (${template.tube_count} tubes)` : ''}
        </SubmitButton>
      </div>
    </form>
  );
}

function expandTubes(
  template: KitTemplateRecord,
): KitTemplateRecord['items'][number]['sample_type'][] {
  return template.items.flatMap((i) => Array.from({ length: i.count }, () => i.sample_type));
}

/** The registered kit: its tubes, its labels' job and a preview of them. */
function KitDone({
  kit,
  participant,
  queuedElsewhere,
  onNext,
}: {
  kit: KitRegistered;
  participant: ParticipantRecord;
  /** This kit's labels, queued from the list of kits without labels. */
  queuedElsewhere: PrintJobRecord | null;
  onNext: () => void;
}) {
  const client = useClient();
  const [job, setJob] = useFollowedJob(kit.labels?.result === 'queued' ? kit.labels.job : null);
  const [printError, setPrintError] = useState<string | null>(
    kit.labels?.result === 'not_queued' ? kit.labels.message : null,
  );
  const [printing, setPrinting] = useState(false);
  const [previews, setPreviews] = useState<LabelPreviews | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const group = { group: 'kit' as const, registration_id: kit.registration_id };

  useEffect(() => {
    if (queuedElsewhere === null) return;
    setJob(queuedElsewhere);
    setPrintError(null);
  }, [queuedElsewhere]);

  // Drawn for the printer the labels go to: again once a job names one (a printer routed since).
  const printer = job?.printer ?? null;
  useEffect(() => {
    let current = true;
    client.run('preview_labels', { labels: group }).then(
      (p) => {
        if (!current) return;
        setPreviews(p);
        setPreviewError(null);
      },
      (e: unknown) => {
        if (current) setPreviewError(errorMessage(e));
      },
    );
    return () => {
      current = false;
    };
  }, [client, kit.registration_id, printer]);

  async function print() {
    setPrinting(true);
    setPrintError(null);
    try {
      setJob(await client.run('print_labels', { labels: group }));
    } catch (e: unknown) {
      setPrintError(errorMessage(e));
    } finally {
      setPrinting(false);
    }
  }

  return (
    <div className="desk-panel desk-done" data-testid="desk-done">
      <h2>
        Kit registered for {participant.code}: {kit.samples.length} tubes
      </h2>
      <h3>Labels</h3>
      <div data-testid="desk-labels-status" className="desk-labels-status">
        {job ? <JobState job={job} /> : !printError && <span>Labels were not asked for.</span>}
      </div>
      <ErrorAlert message={printError} testId="desk-print-error" />
      <div className="form-actions">
        <button
          type="button"
          className="button button-secondary"
          onClick={() => void print()}
          disabled={printing}
        >
          {printing ? 'Queuing…' : job ? 'Print the labels again' : 'Print the labels'}
        </button>
        <button type="button" className="button button-primary" onClick={onNext} autoFocus>
          Next participant
        </button>
      </div>
      <div className="desk-done-grid">
        <div>
          <table className="data-table" data-testid="desk-kit-samples">
            <caption className="visually-hidden">The kit's tubes</caption>
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Type</th>
              </tr>
            </thead>
            <tbody>
              {kit.samples.map((s) => (
                <tr key={s.id}>
                  <td>
                    <a href={`#/sample/${s.id}`}>{s.code}</a>
                  </td>
                  <td>{sampleTypeLabel(s.sample_type)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <ErrorAlert message={previewError} />
          {previews && (
            <div className="desk-previews" data-testid="desk-previews">
              <p className="muted">
                {previews.total} labels on {previews.printer} ({previews.template})
                {previews.total > previews.labels.length
                  ? `; the first ${previews.labels.length} are shown`
                  : ''}
              </p>
              {previews.labels.map((l) => (
                <figure key={l.record} className="desk-preview">
                  <img
                    src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(l.svg)}`}
                    alt={`Label of ${kit.samples.find((s) => s.id === l.record)?.code ?? 'a tube'}`}
                  />
                </figure>
              ))}
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

/**
 * A print job followed until the printer has it: the state as the queue last showed it, from
 * the call's answer until then. Setting another job follows that one.
 */
function useFollowedJob(
  initial: PrintJobRecord | null,
): [PrintJobRecord | null, (job: PrintJobRecord | null) => void] {
  const client = useClient();
  const [job, setJob] = useState<PrintJobRecord | null>(initial);
  const id = job?.id ?? null;
  useEffect(() => {
    if (id === null) return undefined;
    let current = true;
    const refresh = () => {
      client.run('list_print_jobs', { page: 1, per_page: 50 }).then(
        (page) => {
          const found = page.items.find((j) => j.id === id);
          if (found && current) setJob(found);
        },
        () => {
          // The job's state is shown as last known.
        },
      );
    };
    refresh();
    const unsubscribe = client.subscribe((e) => {
      if (e.type === 'print_job_changed' && e.job_id === id) refresh();
    });
    return () => {
      current = false;
      unsubscribe();
    };
  }, [client, id]);
  return [job, setJob];
}

/**
 * Kits registered with their labels asked for whose labels never reached the queue (no printer
 * routed, a printing problem, or the workstation stopped in between): each can be printed from
 * here. Shown only while there are any; the last printed one is followed below the list.
 */
function UnprintedKits({
  list,
  onPage,
  canPrint,
  onQueued,
}: {
  list: AsyncData<Page<UnprintedKit>>;
  onPage: (page: number) => void;
  canPrint: boolean;
  onQueued: (kit: UnprintedKit, job: PrintJobRecord) => void;
}) {
  const { formatTime } = useSession();
  const [printed, setPrinted] = useState<UnprintedKit | null>(null);
  const [job, setJob] = useFollowedJob(null);
  const data = list.data;
  return (
    <>
      {data && data.total > 0 && (
        <div
          className="desk-panel desk-unprinted"
          data-testid="desk-unprinted"
          aria-labelledby="desk-unprinted-heading"
          role="region"
        >
          <h2 id="desk-unprinted-heading">Kits registered without labels</h2>
          <p className="hint">
            These kits are registered, but their labels never went to a printer. Print them before
            the tubes leave the desk.
          </p>
          <ErrorAlert message={list.error} />
          <div className="table-wrap">
            <table
              className="data-table"
              aria-labelledby="desk-unprinted-heading"
              aria-busy={list.loading}
            >
              <thead>
                <tr>
                  <th scope="col">Participant</th>
                  <th scope="col">Kit</th>
                  <th scope="col" className="numeric">
                    Tubes
                  </th>
                  <th scope="col">Since</th>
                  <th scope="col">Why</th>
                  {canPrint && <th scope="col">Labels</th>}
                </tr>
              </thead>
              <tbody>
                {data.items.map((kit) => (
                  <tr
                    key={kit.registration_id}
                    data-testid="desk-unprinted-kit"
                    data-registration-id={kit.registration_id}
                  >
                    <td>
                      <strong>{kit.participant_code}</strong>
                    </td>
                    <td>{kit.kit_name}</td>
                    <td className="numeric">{kit.tubes}</td>
                    <td className="when">{formatTime(kit.owed_since)}</td>
                    <td data-testid="desk-unprinted-why">
                      {kit.last_error ?? 'The workstation stopped before the labels were queued.'}
                    </td>
                    {canPrint && (
                      <td>
                        <PrintKitLabels
                          kit={kit}
                          onQueued={(queued) => {
                            setPrinted(kit);
                            setJob(queued);
                            list.reload();
                            onQueued(kit, queued);
                          }}
                        />
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.total_pages > 1 && (
            <Pager
              label="Pages of kits without labels"
              page={data.page}
              totalPages={data.total_pages}
              total={data.total}
              onPage={onPage}
              disabled={list.loading}
            />
          )}
        </div>
      )}
      {printed && job && (
        <div className="desk-unprinted-job" data-testid="desk-unprinted-job" role="status">
          Labels of {printed.participant_code} ({printed.kit_name}): <JobState job={job} />
        </div>
      )}
    </>
  );
}

/** Queues one kit's labels on the printer its labels are routed to. */
function PrintKitLabels({
  kit,
  onQueued,
}: {
  kit: UnprintedKit;
  onQueued: (job: PrintJobRecord) => void;
}) {
  const client = useClient();
  const { busy, error, submit } = useSubmit(
    () =>
      client.run('print_labels', {
        labels: { group: 'kit', registration_id: kit.registration_id },
      }),
    onQueued,
  );
  return (
    <div className="desk-unprinted-action">
      <button
        type="button"
        className="button button-small button-primary"
        onClick={() => void submit()}
        disabled={busy}
        aria-busy={busy}
      >
        {busy ? 'Queuing…' : 'Print labels'}
        <span className="visually-hidden">
          {' '}
          of {kit.participant_code}, {kit.kit_name}
        </span>
      </button>
      <ErrorAlert message={error} testId="desk-unprinted-error" />
    </div>
  );
}

function JobState({ job }: { job: PrintJobRecord }) {
  let text: string;
  switch (job.state) {
    case 'done':
      text = `Printed on ${job.printer}.`;
      break;
    case 'failed':
      text = `Printing failed on ${job.printer}: ${job.last_error ?? 'no reason given'}. Print again, or see Printing.`;
      break;
    case 'sent':
      text = isInDoubt(job)
        ? `May have printed on ${job.printer}: the workstation stopped while sending. Check the printer, then settle the job in Printing.`
        : `Sending to ${job.printer}…`;
      break;
    default:
      text = job.waiting_for
        ? `Waiting for ${job.printer}: ${job.waiting_for}.`
        : `Queued for ${job.printer}…`;
  }
  return (
    <span className={`job-state job-state-${job.state}`} data-state={job.state}>
      {text}
    </span>
  );
}
