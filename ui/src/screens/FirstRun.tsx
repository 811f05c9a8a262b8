import { useState, type FormEvent } from 'react';
import type { Release } from '../api/types';
import { ErrorAlert, Field, SubmitButton } from '../components/forms';
import { ReleaseLine } from '../components/ReleaseLine';
import { errorMessage } from '../lib/errors';
import { useClient } from '../session';
import { ConnectHubForm } from '../sync/ConnectHubForm';

type Props = {
  labName: string;
  release: Release | null;
  onCreated: (username: string) => void;
  /** The workstation joined the lab's hub: its people sign in with their lab accounts. */
  onJoined: (deviceName: string) => void;
};

/** Shown while the workstation has no account: creates the first administrator. */
export function FirstRun({ labName, release, onCreated, onJoined }: Props) {
  const client = useClient();
  const [joining, setJoining] = useState(false);
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (password !== confirm) {
      setError('The two passwords do not match. Type the same password in both fields.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await client.createFirstAdmin({ username, display_name: displayName, password });
      onCreated(username);
    } catch (err: unknown) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  if (joining) {
    return (
      <main className="entry-screen">
        <div className="entry-card" data-testid="join-hub">
          <p className="entry-brand">Aliquot</p>
          <h1>Join your lab’s hub</h1>
          <p className="lead">
            This workstation copies the lab from the hub (its people, sites, freezers and samples),
            then everyone signs in with the account they have in the lab.
          </p>
          <ConnectHubForm onConnected={(status) => onJoined(status.device_name ?? '')} />
          <div className="form-actions">
            <button
              type="button"
              className="button button-secondary"
              onClick={() => setJoining(false)}
            >
              Back: set up a stand-alone lab instead
            </button>
          </div>
        </div>
      </main>
    );
  }

  return (
    <main className="entry-screen">
      <div className="entry-card">
        <p className="entry-brand">Aliquot{labName ? ` · ${labName}` : ''}</p>
        <h1>Create the first administrator</h1>
        <p className="lead">
          This workstation has no accounts yet. The first account is an administrator, who can then
          create accounts for everyone else.
        </p>
        <form onSubmit={submit} data-testid="first-run-form">
          <Field
            id="first-run-username"
            label="Username"
            value={username}
            onChange={setUsername}
            autoComplete="username"
            required
            autoFocus
          />
          <Field
            id="first-run-display-name"
            label="Display name"
            value={displayName}
            onChange={setDisplayName}
            autoComplete="name"
            hint="Shown in the audit trail, e.g. “Dana Reyes”."
            required
            spellCheck
          />
          <Field
            id="first-run-password"
            label="Password"
            type="password"
            value={password}
            onChange={setPassword}
            autoComplete="new-password"
            hint="At least 12 characters. A few unrelated words make a strong password."
            required
          />
          <Field
            id="first-run-confirm"
            label="Confirm password"
            type="password"
            value={confirm}
            onChange={setConfirm}
            autoComplete="new-password"
            required
          />
          <ErrorAlert message={error} testId="first-run-error" />
          <div className="form-actions">
            <SubmitButton busy={busy} busyLabel="Creating…">
              Create administrator
            </SubmitButton>
          </div>
        </form>
        <p className="lead">
          Does your lab already run Aliquot with a hub?{' '}
          <button
            type="button"
            className="button button-secondary"
            data-testid="join-hub-instead"
            onClick={() => setJoining(true)}
          >
            Join your lab’s hub
          </button>
        </p>
        <ReleaseLine release={release} />
      </div>
    </main>
  );
}
