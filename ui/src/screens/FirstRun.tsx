import { useState, type FormEvent } from 'react';
import { ErrorAlert, Field, SubmitButton } from '../components/forms';
import { errorMessage } from '../lib/errors';
import { useClient } from '../session';

type Props = {
  labName: string;
  onCreated: (username: string) => void;
};

/** Shown while the workstation has no account: creates the first administrator. */
export function FirstRun({ labName, onCreated }: Props) {
  const client = useClient();
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
      </div>
    </main>
  );
}
