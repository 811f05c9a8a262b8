import { useState, type FormEvent } from 'react';
import { ErrorAlert, Field, PageHeading, StatusMessage, SubmitButton } from '../components/forms';
import { errorMessage } from '../lib/errors';
import { roleLabel } from '../lib/roles';
import { useClient, useSession } from '../session';

export function Account() {
  const client = useClient();
  const { user, expiresAt, formatTime } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    if (next !== confirm) {
      setError('The two new passwords do not match. Type the same password in both fields.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await client.changePassword({ current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      setConfirm('');
      setDone('Your password has been changed.');
    } catch (err: unknown) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <PageHeading>My account</PageHeading>
      <dl className="facts">
        <dt>Username</dt>
        <dd>{user.username}</dd>
        <dt>Display name</dt>
        <dd>{user.display_name}</dd>
        <dt>Role</dt>
        <dd>{roleLabel(user.role)}</dd>
        <dt>Session ends</dt>
        <dd>{formatTime(expiresAt)}</dd>
      </dl>

      <div className="card">
        <h2>Change password</h2>
        <form onSubmit={submit} data-testid="change-password-form">
          <Field
            id="account-current-password"
            label="Current password"
            type="password"
            value={current}
            onChange={setCurrent}
            autoComplete="current-password"
            required
          />
          <Field
            id="account-new-password"
            label="New password"
            type="password"
            value={next}
            onChange={setNext}
            autoComplete="new-password"
            hint="At least 12 characters."
            required
          />
          <Field
            id="account-confirm-password"
            label="Confirm new password"
            type="password"
            value={confirm}
            onChange={setConfirm}
            autoComplete="new-password"
            required
          />
          <ErrorAlert message={error} />
          <StatusMessage message={done} />
          <div className="form-actions">
            <SubmitButton busy={busy} busyLabel="Changing…">
              Change password
            </SubmitButton>
          </div>
        </form>
      </div>
    </section>
  );
}
