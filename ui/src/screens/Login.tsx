import { useState, type FormEvent } from 'react';
import type { Release, SessionView } from '../api/types';
import { ReleaseLine } from '../components/ReleaseLine';
import { ErrorAlert, Field, StatusMessage, SubmitButton } from '../components/forms';
import { errorMessage } from '../lib/errors';
import { useClient } from '../session';

type Props = {
  labName: string;
  release: Release | null;
  /** Why the login screen is shown, e.g. the session expired (shown in the alert region). */
  initialError: string | null;
  /** A confirmation to show, e.g. the first administrator was created. */
  initialNotice: string | null;
  initialUsername: string;
  onSignedIn: (session: SessionView) => void;
};

export function Login(props: Props) {
  const [mode, setMode] = useState<'login' | 'redeem'>('login');
  const [notice, setNotice] = useState(props.initialNotice);
  const heading = props.labName || 'Aliquot';

  return (
    <main className="entry-screen">
      <div className="entry-card">
        <p className="entry-brand">Aliquot</p>
        <h1>{heading}</h1>
        {mode === 'login' ? (
          <LoginForm
            {...props}
            notice={notice}
            onForgot={() => {
              setNotice(null);
              setMode('redeem');
            }}
          />
        ) : (
          <RedeemForm
            onDone={(message) => {
              setNotice(message);
              setMode('login');
            }}
          />
        )}
        <ReleaseLine release={props.release} />
      </div>
    </main>
  );
}

function LoginForm({
  initialError,
  initialUsername,
  notice,
  onSignedIn,
  onForgot,
}: Props & { notice: string | null; onForgot: () => void }) {
  const client = useClient();
  const [username, setUsername] = useState(initialUsername);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(initialError);
  const [busy, setBusy] = useState(false);
  const [showNotice, setShowNotice] = useState(true);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setShowNotice(false);
    setBusy(true);
    setError(null);
    try {
      const session = await client.login({ username, password });
      onSignedIn(session);
    } catch (err: unknown) {
      setError(errorMessage(err));
      setPassword('');
      setBusy(false);
    }
  }

  return (
    <>
      <h2 className="entry-subtitle">Sign in</h2>
      <StatusMessage message={showNotice ? notice : null} testId="login-notice" />
      <form onSubmit={submit} data-testid="login-form">
        <Field
          id="login-username"
          label="Username"
          value={username}
          onChange={setUsername}
          autoComplete="username"
          required
          autoFocus={initialUsername === ''}
        />
        <Field
          id="login-password"
          label="Password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
          required
          autoFocus={initialUsername !== ''}
        />
        <ErrorAlert message={error} testId="login-error" />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Signing in…">
            Sign in
          </SubmitButton>
          <button type="button" className="button button-link" onClick={onForgot}>
            I have a password reset token
          </button>
        </div>
      </form>
    </>
  );
}

function RedeemForm({ onDone }: { onDone: (message: string | null) => void }) {
  const client = useClient();
  const [token, setToken] = useState('');
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
      await client.redeemPasswordReset({ token: token.trim(), new_password: password });
      onDone('Your password has been set. Sign in with the new password.');
    } catch (err: unknown) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <>
      <h2 className="entry-subtitle">Set a new password</h2>
      <p className="lead">Enter the reset token your administrator gave you.</p>
      <form onSubmit={submit} data-testid="redeem-form">
        <Field
          id="redeem-token"
          label="Reset token"
          value={token}
          onChange={setToken}
          required
          autoFocus
        />
        <Field
          id="redeem-password"
          label="New password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
          hint="At least 12 characters."
          required
        />
        <Field
          id="redeem-confirm"
          label="Confirm new password"
          type="password"
          value={confirm}
          onChange={setConfirm}
          autoComplete="new-password"
          required
        />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Saving…">
            Set password
          </SubmitButton>
          <button type="button" className="button button-link" onClick={() => onDone(null)}>
            Back to sign in
          </button>
        </div>
      </form>
    </>
  );
}
