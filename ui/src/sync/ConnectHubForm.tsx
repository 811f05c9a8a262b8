import { useState } from 'react';
import type { SyncStatus } from '../api/types';
import { ErrorAlert, Field, SubmitButton } from '../components/forms';
import { refuse, useSubmit } from '../lib/useSubmit';
import { useClient } from '../session';
import { JoinProgress } from './JoinProgress';

type Props = {
  onConnected: (status: SyncStatus) => void;
};

/**
 * Connects this workstation to the lab's hub in two steps: read the certificate the hub at the
 * address presents, for the person to compare with what the hub's administrator sees; then
 * the one-time enrollment code. The fingerprint confirmed here is the one the workstation
 * pins from then on.
 */
export function ConnectHubForm({ onConnected }: Props) {
  const client = useClient();
  const [url, setUrl] = useState('');
  const [checked, setChecked] = useState<{ url: string; fingerprint: string } | null>(null);
  const [confirmed, setConfirmed] = useState(false);
  const [code, setCode] = useState('');

  const check = useSubmit(
    async () => {
      const address = url.trim();
      if (!/^https?:\/\/\S+$/.test(address))
        throw refuse(
          'Type the hub’s address as its administrator gave it, e.g. https://hub.lab:4781.',
        );
      const certificate = await client.run('hub_certificate', { url: address });
      return { url: address, fingerprint: certificate.fingerprint };
    },
    (result) => {
      setChecked(result);
      setConfirmed(false);
    },
  );

  const connect = useSubmit(async () => {
    if (checked === null) throw refuse('Check the hub’s address first.');
    if (checked.fingerprint !== '' && !confirmed)
      throw refuse(
        'Compare the fingerprint with the one the hub’s administrator sees, then tick the box.',
      );
    if (code.trim() === '')
      throw refuse('Type the enrollment code the hub’s administrator gave you.');
    return client.run('connect_hub', {
      url: checked.url,
      code: code.trim(),
      fingerprint: checked.fingerprint,
    });
  }, onConnected);

  if (checked === null) {
    return (
      <form onSubmit={check.submit} data-testid="hub-address-form">
        <Field
          id="hub-url"
          label="Hub address"
          value={url}
          onChange={setUrl}
          hint="As the hub’s administrator gave it, e.g. https://hub.lab:4781."
          required
          autoFocus
        />
        <ErrorAlert message={check.error} testId="hub-address-error" />
        <div className="form-actions">
          <SubmitButton busy={check.busy} busyLabel="Reaching the hub…">
            Check the hub
          </SubmitButton>
        </div>
      </form>
    );
  }

  return (
    <form onSubmit={connect.submit} data-testid="hub-connect-form">
      <dl className="facts">
        <dt>Hub address</dt>
        <dd data-testid="hub-checked-url">{checked.url}</dd>
        <dt>Certificate fingerprint</dt>
        <dd data-testid="hub-fingerprint" className="fingerprint">
          {checked.fingerprint || 'None: a hub on this machine over plain HTTP (for testing only).'}
        </dd>
      </dl>
      {checked.fingerprint !== '' && (
        <div className="field field-checkbox">
          <label>
            <input
              type="checkbox"
              data-testid="hub-fingerprint-confirmed"
              checked={confirmed}
              onChange={(e) => setConfirmed(e.target.checked)}
            />
            The hub’s administrator sees this same fingerprint.
          </label>
        </div>
      )}
      <Field
        id="hub-code"
        label="Enrollment code"
        value={code}
        onChange={setCode}
        hint="The one-time code made with “aliquot-hub enroll”. It expires."
        required
        autoFocus
      />
      <ErrorAlert message={connect.error} testId="hub-connect-error" />
      {connect.busy && <JoinProgress />}
      <div className="form-actions">
        <button
          type="button"
          className="button button-secondary"
          disabled={connect.busy}
          onClick={() => setChecked(null)}
        >
          Change address
        </button>
        <SubmitButton busy={connect.busy} busyLabel="Connecting and copying the lab…">
          Connect
        </SubmitButton>
      </div>
    </form>
  );
}
