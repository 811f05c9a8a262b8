import { useState, type FormEvent } from 'react';
import type { PasswordResetIssued, Role, SortOrder, UserSort, UserView } from '../../api/types';
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
import { errorMessage } from '../../lib/errors';
import { ROLES, roleLabel, whoCan } from '../../lib/roles';
import { useAsyncData } from '../../lib/useAsyncData';
import { refuse, useSubmit } from '../../lib/useSubmit';
import { useClient, useSession } from '../../session';

const PER_PAGE = 25;

type Action =
  | { kind: 'deactivate'; user: UserView }
  | { kind: 'reactivate'; user: UserView }
  | { kind: 'reset'; user: UserView }
  | { kind: 'role'; user: UserView };

export function Users() {
  const client = useClient();
  const { user: me, formatTime, can } = useSession();
  // Reading the list is `read_users`; changing accounts is `manage_users` and issuing a reset
  // token `reset_passwords`, which lab managers do not have.
  const manages = can('manage_users');
  const resets = can('reset_passwords');
  const acts = manages || resets;
  const [page, setPage] = useState(1);
  const [sort, setSort] = useState<UserSort>('username');
  const [order, setOrder] = useState<SortOrder>('asc');
  const [action, setAction] = useState<Action | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const users = useAsyncData(
    () => client.listUsers({ page, per_page: PER_PAGE, sort, order }),
    [client, page, sort, order],
  );

  function sortBy(column: UserSort) {
    if (sort === column) setOrder(order === 'asc' ? 'desc' : 'asc');
    else {
      setSort(column);
      setOrder('asc');
    }
    setPage(1);
  }

  function ariaSort(column: UserSort): 'ascending' | 'descending' | 'none' {
    if (sort !== column) return 'none';
    return order === 'asc' ? 'ascending' : 'descending';
  }

  function sortArrow(column: UserSort): string {
    if (sort !== column) return '';
    return order === 'asc' ? ' ▲' : ' ▼';
  }

  const data = users.data;

  return (
    <section>
      <PageHeading>Users</PageHeading>
      {!acts && (
        <p className="lead" data-testid="users-read-only">
          The accounts on this workstation. Creating accounts, changing roles, resetting passwords
          and deactivating accounts is for {whoCan('manage_users')}.
        </p>
      )}
      <StatusMessage message={notice} testId="users-notice" />
      <ErrorAlert message={users.error} />

      <div className="table-wrap">
        <table className="data-table" data-testid="users-table" aria-busy={users.loading}>
          <caption className="visually-hidden">Accounts on this workstation</caption>
          <thead>
            <tr>
              <th scope="col" aria-sort={ariaSort('username')}>
                <button type="button" className="sort-button" onClick={() => sortBy('username')}>
                  Username{sortArrow('username')}
                </button>
              </th>
              <th scope="col">Display name</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col" aria-sort={ariaSort('created_at')}>
                <button type="button" className="sort-button" onClick={() => sortBy('created_at')}>
                  Created{sortArrow('created_at')}
                </button>
              </th>
              {acts && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {data?.items.map((u) => (
              <tr key={u.id} className={u.active ? undefined : 'row-inactive'}>
                <td>{u.username}</td>
                <td>{u.display_name}</td>
                <td>{roleLabel(u.role)}</td>
                <td>
                  <span className={u.active ? 'pill pill-ok' : 'pill pill-muted'}>
                    {u.active ? 'Active' : 'Deactivated'}
                  </span>
                </td>
                <td>{formatTime(u.created_at)}</td>
                {acts && (
                  <td>
                    <div className="row-actions">
                      {resets && u.active && (
                        <button
                          type="button"
                          className="button button-small button-secondary"
                          onClick={() => setAction({ kind: 'reset', user: u })}
                        >
                          Reset password<span className="visually-hidden"> for {u.username}</span>
                        </button>
                      )}
                      {manages && u.active && u.id !== me.id && (
                        <button
                          type="button"
                          className="button button-small button-secondary"
                          onClick={() => setAction({ kind: 'role', user: u })}
                        >
                          Change role<span className="visually-hidden"> of {u.username}</span>
                        </button>
                      )}
                      {manages && u.active && u.id !== me.id && (
                        <button
                          type="button"
                          className="button button-small button-danger-outline"
                          onClick={() => setAction({ kind: 'deactivate', user: u })}
                        >
                          Deactivate<span className="visually-hidden"> {u.username}</span>
                        </button>
                      )}
                      {manages && !u.active && (
                        <button
                          type="button"
                          className="button button-small button-secondary"
                          onClick={() => setAction({ kind: 'reactivate', user: u })}
                        >
                          Reactivate<span className="visually-hidden"> {u.username}</span>
                        </button>
                      )}
                    </div>
                  </td>
                )}
              </tr>
            ))}
            {data && data.items.length === 0 && (
              <tr>
                <td colSpan={acts ? 6 : 5} className="empty">
                  No accounts on this page.
                </td>
              </tr>
            )}
            {!data && users.loading && (
              <tr>
                <td colSpan={acts ? 6 : 5} className="empty">
                  Loading…
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {data && (
        <Pager
          label="User pages"
          page={data.page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={users.loading}
        />
      )}

      {manages && (
        <CreateUserForm
          onCreated={(created) => {
            setNotice(`Account “${created.username}” created.`);
            users.reload();
          }}
        />
      )}

      {action?.kind === 'deactivate' && (
        <AccountStateDialog
          user={action.user}
          change="deactivate"
          onClose={() => setAction(null)}
          onDone={() => {
            setNotice(`Account “${action.user.username}” deactivated.`);
            setAction(null);
            users.reload();
          }}
        />
      )}
      {action?.kind === 'reactivate' && (
        <AccountStateDialog
          user={action.user}
          change="reactivate"
          onClose={() => setAction(null)}
          onDone={() => {
            setNotice(
              `Account “${action.user.username}” reactivated. It signs in with the password it had; issue a reset if it needs a new one.`,
            );
            setAction(null);
            users.reload();
          }}
        />
      )}
      {action?.kind === 'role' && (
        <RoleDialog
          user={action.user}
          onClose={() => setAction(null)}
          onDone={(changed) => {
            setNotice(`${changed.username} is now ${roleLabel(changed.role).toLowerCase()}.`);
            setAction(null);
            users.reload();
          }}
        />
      )}
      {action?.kind === 'reset' && (
        <ResetDialog user={action.user} onClose={() => setAction(null)} />
      )}
    </section>
  );
}

function CreateUserForm({ onCreated }: { onCreated: (user: UserView) => void }) {
  const client = useClient();
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('technician');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');

  const { busy, error, submit } = useSubmit(async () => {
    if (password !== confirm) {
      throw refuse('The two passwords do not match. Type the same password in both fields.');
    }
    const created = await client.createUser({
      username,
      display_name: displayName,
      role,
      password,
    });
    setUsername('');
    setDisplayName('');
    setRole('technician');
    setPassword('');
    setConfirm('');
    return created;
  }, onCreated);

  return (
    <div className="card">
      <h2>Create an account</h2>
      <form onSubmit={submit} data-testid="create-user-form" className="form-grid">
        <Field
          id="new-user-username"
          label="Username"
          value={username}
          onChange={setUsername}
          required
        />
        <Field
          id="new-user-display-name"
          label="Display name"
          value={displayName}
          onChange={setDisplayName}
          required
          spellCheck
        />
        <SelectField
          id="new-user-role"
          label="Role"
          value={role}
          onChange={setRole}
          options={ROLES.map((r) => ({ value: r, label: roleLabel(r) }))}
        />
        <Field
          id="new-user-password"
          label="Initial password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
          hint="At least 12 characters. Give it to the person privately."
          required
        />
        <Field
          id="new-user-confirm"
          label="Confirm initial password"
          type="password"
          value={confirm}
          onChange={setConfirm}
          autoComplete="new-password"
          required
        />
        <div className="form-grid-full">
          <ErrorAlert message={error} />
          <div className="form-actions">
            <SubmitButton busy={busy} busyLabel="Creating…">
              Create account
            </SubmitButton>
          </div>
        </div>
      </form>
    </div>
  );
}

/** What opening or closing an account says and does; one dialog serves both. */
const ACCOUNT_CHANGES = {
  deactivate: {
    title: 'Deactivate',
    effect: 'will no longer be able to sign in. Their history stays in the audit trail.',
    button: 'Deactivate account',
    busy: 'Deactivating…',
    variant: 'danger',
  },
  reactivate: {
    title: 'Reactivate',
    effect: 'will be able to sign in again, with the role they had.',
    button: 'Reactivate account',
    busy: 'Reactivating…',
    variant: 'primary',
  },
} as const;

function AccountStateDialog({
  user,
  change,
  onClose,
  onDone,
}: {
  user: UserView;
  change: keyof typeof ACCOUNT_CHANGES;
  onClose: () => void;
  onDone: () => void;
}) {
  const client = useClient();
  const [reason, setReason] = useState('');
  const words = ACCOUNT_CHANGES[change];
  const { busy, error, submit } = useSubmit(async () => {
    if (change === 'deactivate') await client.deactivateUser({ user_id: user.id, reason });
    else await client.run('reactivate_user', { user_id: user.id, reason });
  }, onDone);

  return (
    <Dialog
      title={`${words.title} ${user.display_name}?`}
      onClose={onClose}
      testId={`${change}-dialog`}
    >
      <p>
        <strong>{user.username}</strong> {words.effect} The reason is recorded.
      </p>
      <form onSubmit={submit}>
        <Field
          id={`${change}-reason`}
          label="Reason"
          value={reason}
          onChange={setReason}
          required
          autoFocus
          spellCheck
        />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel={words.busy} variant={words.variant}>
            {words.button}
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RoleDialog({
  user,
  onClose,
  onDone,
}: {
  user: UserView;
  onClose: () => void;
  onDone: (changed: UserView) => void;
}) {
  const client = useClient();
  const [role, setRole] = useState<Role>(user.role);
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useSubmit(
    () => client.run('change_role', { user_id: user.id, role, reason }),
    onDone,
  );
  return (
    <Dialog title={`Role of ${user.display_name}`} onClose={onClose} testId="role-dialog">
      <p>
        What <strong>{user.username}</strong> may do changes at their next action. The reason is
        recorded in the audit trail.
      </p>
      <form onSubmit={submit}>
        <SelectField
          id="role-new"
          label="New role"
          value={role}
          onChange={setRole}
          options={ROLES.map((r) => ({ value: r, label: roleLabel(r) }))}
        />
        <Field id="role-reason" label="Reason" value={reason} onChange={setReason} spellCheck />
        <ErrorAlert message={error} />
        <div className="form-actions">
          <SubmitButton busy={busy} busyLabel="Changing…" disabled={role === user.role}>
            Change role
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function ResetDialog({ user, onClose }: { user: UserView; onClose: () => void }) {
  const client = useClient();
  const { formatTime } = useSession();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [issued, setIssued] = useState<PasswordResetIssued | null>(null);
  const [copied, setCopied] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setIssued(await client.issuePasswordReset({ user_id: user.id, reason }));
    } catch (err: unknown) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function copy(token: string) {
    try {
      await navigator.clipboard.writeText(token);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  return (
    <Dialog
      title={`Password reset for ${user.display_name}`}
      onClose={onClose}
      testId="reset-dialog"
    >
      {issued === null ? (
        <>
          <p>
            A reset token lets <strong>{user.username}</strong> choose a new password from the
            sign-in screen. The reason is recorded.
          </p>
          <form onSubmit={submit}>
            <Field
              id="reset-reason"
              label="Reason"
              value={reason}
              onChange={setReason}
              required
              autoFocus
              spellCheck
            />
            <ErrorAlert message={error} />
            <div className="form-actions">
              <SubmitButton busy={busy} busyLabel="Issuing…">
                Issue reset token
              </SubmitButton>
              <button type="button" className="button button-secondary" onClick={onClose}>
                Cancel
              </button>
            </div>
          </form>
        </>
      ) : (
        <>
          <p>
            Give this token to <strong>{user.username}</strong>. It is shown only once and is valid
            until {formatTime(issued.expires_at)}.
          </p>
          <output className="token" data-testid="reset-token" aria-label="Reset token">
            {issued.token}
          </output>
          <div className="form-actions">
            <button
              type="button"
              className="button button-secondary"
              onClick={() => copy(issued.token)}
            >
              {copied ? 'Copied' : 'Copy token'}
            </button>
            <button type="button" className="button button-primary" onClick={onClose} autoFocus>
              Done
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
