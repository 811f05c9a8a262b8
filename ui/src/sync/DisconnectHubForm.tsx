import { useState } from 'react';
import type { LeftHub, SyncStatus } from '../api/types';
import { ErrorAlert, Field, SubmitButton } from '../components/forms';
import { count } from '../lib/words';
import { refuse, useSubmit } from '../lib/useSubmit';
import { useClient } from '../session';

type Props = {
  status: SyncStatus;
  onLeft: (left: LeftHub) => void;
};

/**
 * Takes this workstation off the lab's hub, confirmed by typing its name. The core refuses
 * while anything done here has not reached the hub; once it leaves, everyone here is signed
 * out and its copy of the lab is set aside (not deleted) when Aliquot starts again.
 */
export function DisconnectHubForm({ status, onLeft }: Props) {
  const client = useClient();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const deviceName = status.device_name ?? '';
  const waiting = status.counts.pending + status.counts.held;

  const leave = useSubmit(async () => {
    if (name.trim() !== deviceName)
      throw refuse(`Type this workstation’s name, “${deviceName}”, to confirm.`);
    return client.run('disconnect_hub', { device_name: name.trim() });
  }, onLeft);

  if (!open) {
    return (
      <div className="form-actions">
        <button
          type="button"
          className="button button-secondary"
          data-testid="hub-disconnect-open"
          onClick={() => setOpen(true)}
        >
          Disconnect this workstation…
        </button>
      </div>
    );
  }
  return (
    <form onSubmit={leave.submit} data-testid="hub-disconnect-form" className="card">
      <h2>Disconnect this workstation</h2>
      <p>
        The workstation leaves the lab’s hub: everyone here is signed out, and when Aliquot starts
        again its copy of the lab is set aside in its data folder (nothing is deleted) and it begins
        at the first screen, to join a hub or set up a lab. The lab itself stays on the hub.
      </p>
      {waiting > 0 && (
        <div role="alert" className="alert alert-error" data-testid="hub-disconnect-waiting">
          {count(waiting, 'change')} made here {waiting === 1 ? 'has' : 'have'} not reached the hub
          yet. Disconnecting first sends {waiting === 1 ? 'it' : 'them'}; if the hub cannot be
          reached, the workstation stays connected.
        </div>
      )}
      <Field
        id="hub-disconnect-name"
        label="This workstation’s name"
        value={name}
        onChange={setName}
        hint={`Type “${deviceName}” to confirm.`}
        required
        autoFocus
      />
      <ErrorAlert message={leave.error} testId="hub-disconnect-error" />
      <div className="form-actions">
        <button
          type="button"
          className="button button-secondary"
          disabled={leave.busy}
          onClick={() => setOpen(false)}
        >
          Keep connected
        </button>
        <SubmitButton busy={leave.busy} busyLabel="Sending the last changes…">
          Disconnect
        </SubmitButton>
      </div>
    </form>
  );
}
