import { useState } from 'react';
import type { ConsentStatus, ParticipantRecord } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { Pager } from '../../components/Pager';
import {
  ErrorAlert,
  Field,
  PageHeading,
  SelectField,
  StatusMessage,
  SubmitButton,
} from '../../components/forms';
import { whoCan } from '../../lib/roles';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { dayIn } from '../../lib/format';
import { useClient, useSession } from '../../session';
import { StatusBadge } from './StatusBadge';
import './samples.css';
import { RecordSyncBadge } from '../../sync/recordSync';

const SAMPLES_PER_PAGE = 50;

/** A participant: who (by code only), their consent, and their samples a page at a time. */
export function ParticipantPage({ participantId }: { participantId: string }) {
  const { sampleTypeLabel } = useSession();
  const client = useClient();
  const { formatTime, can } = useSession();
  const [changing, setChanging] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const participant = useAsyncData(
    () => client.run('get_participant', { id: participantId }),
    [client, participantId],
  );
  const [page, setPage] = useState(1);
  const samples = useAsyncData(
    () =>
      client.run('participant_samples', {
        participant_id: participantId,
        page,
        per_page: SAMPLES_PER_PAGE,
      }),
    [client, participantId, page],
  );
  const p = participant.data;

  return (
    <section data-testid="participant-page">
      <PageHeading>
        Participant {p?.code ?? ''} <RecordSyncBadge entityType="participant" id={participantId} />
      </PageHeading>
      <ErrorAlert message={participant.error ?? samples.error} />
      <StatusMessage message={notice} testId="participant-notice" />
      {p && (
        <>
          {p.consent === 'withdrawn' && (
            <div role="alert" className="alert alert-error consent-banner">
              Consent withdrawn on {formatTime(p.consent_date)}. Their samples must not be used.
            </div>
          )}
          <dl className="facts participant-facts">
            <dt>Site</dt>
            <dd>{p.site_code}</dd>
            <dt>External id</dt>
            <dd>{p.external_id ?? 'none'}</dd>
            <dt>Consent</dt>
            <dd data-testid="participant-consent">
              {p.consent === 'given' ? 'Given' : 'Withdrawn'} on {formatTime(p.consent_date)}
              {can('register_participants') && (
                <>
                  {' '}
                  <button
                    type="button"
                    className="button button-secondary"
                    onClick={() => setChanging(true)}
                  >
                    Record a consent change…
                  </button>
                </>
              )}
            </dd>
            <dt>Sex, birth year</dt>
            <dd>
              {p.sex ?? 'not recorded'}, {p.birth_year ?? 'not recorded'}
            </dd>
          </dl>
        </>
      )}
      <h2>Samples</h2>
      {samples.data && samples.data.total === 0 && (
        <p className="empty-state">
          No samples yet.{' '}
          {can('register_samples')
            ? 'Register a kit for this participant at the Registration desk.'
            : `Their kits are registered at the Registration desk, by ${whoCan('register_samples')}.`}
        </p>
      )}
      {samples.data && samples.data.total > 0 && (
        <div className="table-wrap">
          <table className="data-table" data-testid="participant-samples">
            <caption className="visually-hidden">Samples of this participant</caption>
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Collected</th>
                <th scope="col">Where</th>
              </tr>
            </thead>
            <tbody>
              {samples.data.items.map((s) => (
                <tr key={s.id}>
                  <td>
                    <a href={`#/sample/${s.id}`}>{s.code}</a>
                    {s.parent_id && <span className="muted"> (aliquot)</span>}
                  </td>
                  <td>{sampleTypeLabel(s.sample_type)}</td>
                  <td>
                    <StatusBadge status={s.status} />
                  </td>
                  <td>{formatTime(s.collected_at)}</td>
                  <td>
                    {s.location
                      ? `${s.location.box_name}${s.location.position ? ` ${s.location.position}` : ''}`
                      : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {samples.data && samples.data.total_pages > 1 && (
        <Pager
          label="Samples of this participant"
          page={page}
          totalPages={samples.data.total_pages}
          total={samples.data.total}
          onPage={setPage}
          disabled={samples.loading}
        />
      )}
      {changing && p && (
        <ConsentDialog
          participant={p}
          onClose={() => setChanging(false)}
          onDone={(updated) => {
            setChanging(false);
            setNotice(`Consent of ${updated.code} recorded as ${updated.consent}.`);
            participant.reload();
            samples.reload();
          }}
        />
      )}
    </section>
  );
}

function ConsentDialog({
  participant,
  onClose,
  onDone,
}: {
  participant: ParticipantRecord;
  onClose: () => void;
  onDone: (p: ParticipantRecord) => void;
}) {
  const client = useClient();
  const { timeZone } = useSession();
  const [consent, setConsent] = useState<ConsentStatus>(
    participant.consent === 'given' ? 'withdrawn' : 'given',
  );
  const [date, setDate] = useState(() => dayIn(timeZone));
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    if (!reason.trim()) {
      throw refuse('Say why consent changed (for example, "withdrawal form received").');
    }
    return client.run('record_consent', {
      participant_id: participant.id,
      consent,
      consent_date: date,
      reason: reason.trim(),
    });
  }, onDone);
  return (
    <Dialog title={`Consent of ${participant.code}`} onClose={onClose}>
      <form onSubmit={submit} noValidate data-testid="consent-form">
        <SelectField
          id="consent-status"
          label="Consent"
          value={consent}
          onChange={setConsent}
          options={[
            { value: 'given', label: 'Given' },
            { value: 'withdrawn', label: 'Withdrawn' },
          ]}
        />
        <Field id="consent-date" label="Date" type="date" value={date} onChange={setDate} />
        <Field id="consent-reason" label="Reason" value={reason} onChange={setReason} />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Recording…">
            Record consent
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
