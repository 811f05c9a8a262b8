import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
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
import { Dialog } from '../../components/Dialog';
import { Pager } from '../../components/Pager';
import { Working } from '../../components/Working';
import { errorMessage } from '../../lib/errors';
import { dayIn, instantOf, wallTimeIn } from '../../lib/format';
import { count } from '../../lib/words';
import { whoCan } from '../../lib/roles';
import { useAsyncData, type AsyncData } from '../../lib/useAsyncData';
import { useScanFeedback, useScanHandler } from '../../scan/ScanContext';
import { useClient, useSession } from '../../session';
import './desk.css';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { isInDoubt } from '../printing/printingText';
import { standardKitOf } from './standardKit';
import { SyncPill, useRecordsSyncState } from '../../sync/recordSync';
import { PICKER_PAGE } from '../../lib/paging';
import { LabelSheetDialog } from '../printing/LabelSheetDialog';

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

/**
 * The collection desk: choose site and event, find or register the participant, register a
 * kit in one step and print its labels at once. Works the same with or without a hub.
 */
export function RegistrationDesk() {
  const client = useClient();
  const { timeZone, formatTime, can } = useSession();
  const [where, setWhere] = useState<Where>(loadWhere);
  const [participant, setParticipant] = useState<ParticipantRecord | null>(null);
  const [registered, setRegistered] = useState<KitRegistered | null>(null);
  const [checkIn, setCheckIn] = useState<string | null>(null);
  /** A participant waiting for the desk to confirm a check-in to an event on another day. */
  const [confirming, setConfirming] = useState<ParticipantRecord | null>(null);
  /** The desk chose not to check this participant in: their kit is registered without event. */
  const [notCheckedIn, setNotCheckedIn] = useState(false);
  const [newEventOpen, setNewEventOpen] = useState(false);
  const [listPrinted, setListPrinted] = useState<{
    registrationId: string;
    job: PrintJobRecord;
  } | null>(null);

  const sites = useAsyncData(
    () => client.run('list_sites', PICKER_PAGE).then((p) => p.items),
    [client],
  );
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
  // The lab's day, not the workstation's: a desk abroad still checks in to the lab's today.
  const today = dayIn(timeZone);

  const checkInTo = useCallback(
    async (p: ParticipantRecord) => {
      try {
        await client.run('check_in_participant', {
          event_id: where.eventId,
          participant_id: p.id,
        });
        setCheckIn(`Checked in to ${event?.name ?? 'the event'}.`);
      } catch (e: unknown) {
        // A participant who came back to the desk is already checked in; say so and go on.
        setCheckIn(errorMessage(e));
      }
    },
    [client, where.eventId, event],
  );

  const selectParticipant = useCallback(
    async (p: ParticipantRecord) => {
      setParticipant(p);
      setRegistered(null);
      setCheckIn(null);
      setNotCheckedIn(false);
      if (!where.eventId) return;
      if (event && event.date !== today) {
        setConfirming(p);
        return;
      }
      await checkInTo(p);
    },
    [where.eventId, event, today, checkInTo],
  );

  function nextParticipant() {
    setParticipant(null);
    setRegistered(null);
    setCheckIn(null);
    setNotCheckedIn(false);
    setConfirming(null);
  }

  return (
    <section className="desk">
      <PageHeading>Registration desk</PageHeading>
      <WherePanel
        sites={sites.data ?? []}
        sitesError={sites.error}
        events={events.data ?? []}
        where={where}
        formatDay={formatTime}
        onChange={(next) => {
          choose(next);
          nextParticipant();
        }}
        action={
          where.siteId && can('manage_field_events') && !newEventOpen ? (
            <button
              type="button"
              className="button button-secondary"
              onClick={() => setNewEventOpen(true)}
            >
              New field event…
            </button>
          ) : null
        }
      />
      {where.siteId && newEventOpen && (
        <NewFieldEvent
          siteId={where.siteId}
          today={today}
          onClose={() => setNewEventOpen(false)}
          onCreated={(e) => {
            setNewEventOpen(false);
            events.reload();
            choose({ siteId: where.siteId, eventId: e.id });
            nextParticipant();
          }}
        />
      )}
      <UnprintedKits
        list={unprinted}
        onPage={setUnprintedPage}
        canPrint={can('print_labels')}
        onQueued={(kit, job) => setListPrinted({ registrationId: kit.registration_id, job })}
      />
      {!where.siteId ? (
        <p className="empty-state" data-testid="desk-choose-site">
          Choose the collection site to start registering.
        </p>
      ) : participant === null ? (
        <ParticipantStep
          siteId={where.siteId}
          today={today}
          onSelected={(p) => void selectParticipant(p)}
        />
      ) : (
        <>
          <ParticipantCard participant={participant} onChange={nextParticipant}>
            <StatusMessage message={checkIn} testId="desk-check-in" />
            {notCheckedIn && event && (
              <div className="alert alert-warning" role="status" data-testid="desk-not-checked-in">
                Not checked in to {event.name}: the kit is registered without a field event. To
                register it at an event, choose the event above and scan the card again.
              </div>
            )}
          </ParticipantCard>
          {registered === null ? (
            <KitStep
              participant={participant}
              eventId={notCheckedIn ? '' : where.eventId}
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
      {confirming && event && (
        <OtherDayCheckIn
          participant={confirming}
          event={event}
          today={today}
          onAnswer={(checkInAnyway) => {
            setConfirming(null);
            if (checkInAnyway) void checkInTo(confirming);
            else setNotCheckedIn(true);
          }}
        />
      )}
    </section>
  );
}

/**
 * An event on another day than the lab's today is most often the wrong one still chosen from
 * an earlier day: ask before checking someone in to it.
 */
function OtherDayCheckIn({
  participant,
  event,
  today,
  onAnswer,
}: {
  participant: ParticipantRecord;
  event: FieldEventRecord;
  today: string;
  onAnswer: (checkInAnyway: boolean) => void;
}) {
  const { formatTime, timeZone } = useSession();
  const when = event.date < today ? 'was' : 'is';
  return (
    <Dialog
      title="Check in to an event on another day?"
      onClose={() => onAnswer(false)}
      testId="desk-other-day"
    >
      <p>
        {event.name} {when} on <strong>{formatTime(event.date)}</strong>, but today is{' '}
        <strong>{formatTime(today)}</strong> (the lab&rsquo;s time, {timeZone}).
      </p>
      <p>Check {participant.code} in to it anyway?</p>
      {/* The safe answer first: the dialog starts with the focus on it. */}
      <div className="form-actions">
        <button type="button" className="button button-primary" onClick={() => onAnswer(false)}>
          Don&rsquo;t check in
        </button>
        <button type="button" className="button button-secondary" onClick={() => onAnswer(true)}>
          Check in to {event.name}
        </button>
      </div>
    </Dialog>
  );
}

function WherePanel({
  sites,
  sitesError,
  events,
  where,
  formatDay,
  onChange,
  action,
}: {
  sites: SiteRecord[];
  sitesError: string | null;
  events: FieldEventRecord[];
  where: Where;
  formatDay: (day: string) => string;
  onChange: (where: Where) => void;
  /** Beside the choices (starting a new event), to keep the desk within one screen. */
  action: ReactNode;
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
          ...events.map((e) => ({ value: e.id, label: `${e.name} · ${formatDay(e.date)}` })),
        ]}
      />
      {action && <div className="desk-where-action">{action}</div>}
    </div>
  );
}

/** A collection day at a site, started from the desk by its coordinator. */
function NewFieldEvent({
  siteId,
  today,
  onClose,
  onCreated,
}: {
  siteId: string;
  /** The lab's today, the event's date unless changed. */
  today: string;
  onClose: () => void;
  onCreated: (event: FieldEventRecord) => void;
}) {
  const client = useClient();
  const { user } = useSession();
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
    return created;
  }, onCreated);

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
        <button type="button" className="button button-secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Find a participant by scanning their card or typing, or register a new one. */
function ParticipantStep({
  siteId,
  today,
  onSelected,
}: {
  siteId: string;
  today: string;
  onSelected: (p: ParticipantRecord) => void;
}) {
  const client = useClient();
  const { can } = useSession();
  const canRegister = can('register_participants');
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
    onSelected(found.participant);
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
            No participant at this site matches “{searched}”.{' '}
            {canRegister
              ? 'Register them on the right.'
              : `Registering participants is for ${whoCan('register_participants')}.`}
          </p>
        )}
        {page && page.items.length > 0 && (
          <ul className="desk-results" data-testid="desk-results">
            {page.items.map((p) => (
              <li key={p.id}>
                <button
                  type="button"
                  className="button button-secondary desk-result"
                  onClick={() => onSelected(p)}
                >
                  <strong>{p.code}</strong>
                  {p.external_id && <span> · {p.external_id}</span>}
                  <span className="muted"> · {count(p.sample_count, 'sample')}</span>
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
      {canRegister && (
        <NewParticipantForm siteId={siteId} today={today} onRegistered={onSelected} />
      )}
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
  today,
  onRegistered,
}: {
  siteId: string;
  today: string;
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
      <div className="field field-checkbox">
        <input
          id="desk-consent"
          type="checkbox"
          checked={consentSigned}
          onChange={(e) => setConsentSigned(e.target.checked)}
        />
        <label htmlFor="desk-consent">The participant signed the consent form</label>
      </div>
      <div className="desk-pair">
        <Field
          id="desk-external-id"
          label="External id (optional)"
          value={externalId}
          onChange={setExternalId}
          hint="The study's own id, if any."
        />
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
          max={Number(today.slice(0, 4))}
        />
      </div>
      <ErrorAlert message={error} testId="desk-participant-error" />
      <div className="form-actions desk-submit">
        <SubmitButton busy={busy} busyLabel="Registering…">
          Register participant
        </SubmitButton>
        <span className="hint">
          The site&rsquo;s next participant number is given on registering.
        </span>
      </div>
    </form>
  );
}

function ParticipantCard({
  participant,
  onChange,
  children,
}: {
  participant: ParticipantRecord;
  onChange: () => void;
  /** What became of the check-in, shown with the participant. */
  children: ReactNode;
}) {
  return (
    <div className="desk-participant" data-testid="desk-participant">
      <div className="desk-participant-who">
        <span className="muted">Participant</span>
        <strong className="desk-participant-code" data-testid="desk-participant-code">
          {participant.code}
        </strong>
        {participant.external_id && <span> · {participant.external_id}</span>}
        <span className="muted"> · site {participant.site_code}</span>
      </div>
      <div className="desk-participant-note">{children}</div>
      <button type="button" className="button button-secondary" onClick={onChange}>
        Another participant
      </button>
      {participant.consent === 'withdrawn' && (
        <div role="alert" className="alert alert-error desk-participant-withdrawn">
          This participant has withdrawn consent. Do not collect samples.
        </div>
      )}
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
  const { sampleTypeLabel } = useSession();
  const client = useClient();
  const { user, timeZone, settings, can } = useSession();
  const canPrint = can('print_labels');
  const feedback = useScanFeedback();
  const templates = useAsyncData(
    () => client.run('list_kit_templates', PICKER_PAGE).then((p) => p.items),
    [client],
  );
  const [templateId, setTemplateId] = useState('');
  const [collector, setCollector] = useState(user.display_name);
  // The lab's wall clock: the time is read back in the lab's zone when the kit is registered.
  const [collectedAt, setCollectedAt] = useState(() => wallTimeIn(timeZone));
  const [prePrinted, setPrePrinted] = useState(false);
  const [codes, setCodes] = useState<(string | null)[]>([]);
  const [printNow, setPrintNow] = useState(canPrint);

  const template: KitTemplateRecord | null =
    templates.data?.find((t) => t.id === templateId) ?? null;
  const tubes = template ? expandTubes(template) : [];

  // The desk starts with the lab's standard kit (the `standard_kit` setting); only when the lab
  // has none does it start with the first kit listed.
  const standard = standardKitOf(
    templates.data,
    settings === null ? undefined : settings.standard_kit,
  );
  useEffect(() => {
    if (templateId === '' && standard.start) setTemplateId(standard.start);
  }, [templateId, standard.start]);

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
      feedback(
        'refused',
        `${scan.text} is already scanned for this kit.`,
        "Scan the next tube's label.",
      );
      return true;
    }
    if (next < 0) {
      feedback(
        'refused',
        'Every tube of this kit has a code.',
        'Register the kit, or clear a tube.',
      );
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
    const at = instantOf(collectedAt, timeZone);
    if (at === null) {
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
        This workstation has no kit templates yet, so no kit can be registered. Setting up the
        study&rsquo;s kits is for {whoCan('manage_kit_templates')}.
      </p>
    );
  }

  return (
    <form className="desk-panel desk-kit" onSubmit={submit} data-testid="desk-kit" noValidate>
      <ErrorAlert message={templates.error} />
      <fieldset className="desk-templates">
        <legend>
          <h2>Kit</h2>
          {standard.hint && (
            <span className="hint desk-standard-hint" data-testid="desk-standard-kit">
              {standard.hint}
            </span>
          )}
        </legend>
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
              {t.id === standard.id && <span className="pill pill-ok">Standard</span>}
              <span className="muted">
                {' '}
                · {count(t.tube_count, 'tube')}:{' '}
                {t.items.map((i) => `${i.count} × ${sampleTypeLabel(i.sample_type)}`).join(', ')}
              </span>
            </span>
          </label>
        ))}
      </fieldset>
      <div className="desk-pair">
        <Field id="desk-collector" label="Collected by" value={collector} onChange={setCollector} />
        <Field
          id="desk-collected-at"
          label="Collected at (lab time)"
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
      <ErrorAlert message={error} testId="desk-kit-error" />
      <Working busy={busy} label="Registering the kit and queuing its labels…" />
      <div className="form-actions desk-submit">
        <SubmitButton busy={busy} busyLabel="Registering the kit…" disabled={!template}>
          Register kit{template ? ` (${count(template.tube_count, 'tube')})` : ''}
        </SubmitButton>
        <div className="field field-checkbox">
          <input
            id="desk-print-now"
            type="checkbox"
            checked={printNow}
            disabled={!canPrint}
            onChange={(e) => setPrintNow(e.target.checked)}
          />
          <label htmlFor="desk-print-now">Print the kit's labels now</label>
        </div>
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
  const { sampleTypeLabel } = useSession();
  const client = useClient();
  const { can } = useSession();
  const [job, setJob] = useFollowedJob(kit.labels?.result === 'queued' ? kit.labels.job : null);
  const [printError, setPrintError] = useState<string | null>(
    kit.labels?.result === 'not_queued' ? kit.labels.message : null,
  );
  const [printing, setPrinting] = useState(false);
  const [previews, setPreviews] = useState<LabelPreviews | null>(null);
  const [onSheet, setOnSheet] = useState(false);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const group = { group: 'kit' as const, registration_id: kit.registration_id };
  // Queued for the hub → on the hub (or refused), live: the registration is one record.
  const kitState = useRecordsSyncState('kit_registration', [kit.registration_id]).get(
    kit.registration_id,
  );

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
        Kit registered for {participant.code}: {count(kit.samples.length, 'tube')}{' '}
        <SyncPill state={kitState} testId="desk-kit-sync" />
      </h2>
      <h3>Labels</h3>
      <div data-testid="desk-labels-status" className="desk-labels-status">
        {job ? <JobState job={job} /> : !printError && <span>Labels were not asked for.</span>}
      </div>
      <ErrorAlert message={printError} testId="desk-print-error" />
      {onSheet && (
        <LabelSheetDialog labels={group} kind="sample" onClose={() => setOnSheet(false)} />
      )}
      <div className="form-actions">
        {can('print_labels') && (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => void print()}
            disabled={printing}
          >
            {printing ? 'Queuing…' : job ? 'Print the labels again' : 'Print the labels'}
          </button>
        )}
        {can('print_labels') && (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => setOnSheet(true)}
          >
            Print on a sheet…
          </button>
        )}
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
                {count(previews.total, 'label')} on {previews.printer} ({previews.template})
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
      client.run('get_print_job', { id }).then(
        (found) => {
          if (current) setJob(found);
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
  // Printing again and settling a held job are `print_labels`.
  const prints = useSession().can('print_labels');
  let text: string;
  switch (job.state) {
    case 'done':
      text = `Printed on ${job.printer}.`;
      break;
    case 'failed':
      text = `Printing failed on ${job.printer}: ${job.last_error ?? 'no reason given'}. ${
        prints
          ? 'Print again, or see Printing.'
          : `Printing again is for ${whoCan('print_labels')}.`
      }`;
      break;
    case 'sent':
      text = isInDoubt(job)
        ? `May have printed on ${job.printer}: the workstation stopped while sending. ${
            prints
              ? 'Check the printer, then settle the job in Printing.'
              : `Checking the printer and settling the job is for ${whoCan('print_labels')}.`
          }`
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
