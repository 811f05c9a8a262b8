import { PageHeading } from '../components/forms';
import { canManageUsers, canViewAudit } from '../lib/roles';
import { useSession } from '../session';

type Props = { onNavigate: (page: 'users' | 'audit' | 'settings' | 'account') => void };

export function Home({ onNavigate }: Props) {
  const { user, labName } = useSession();
  const manages = canManageUsers(user.role);
  const audits = canViewAudit(user.role);
  return (
    <section>
      <PageHeading>Welcome, {user.display_name}</PageHeading>
      <p className="lead">
        You are signed in to {labName ? <strong>{labName}</strong> : 'this workstation'}.
        {manages
          ? ' You can manage accounts, review the audit trail and change the settings.'
          : ' You can change your password under My account.'}
      </p>

      <div className="quick-actions">
        {manages && (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => onNavigate('users')}
          >
            Manage users
          </button>
        )}
        {audits && (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => onNavigate('audit')}
          >
            Review the audit trail
          </button>
        )}
        <button
          type="button"
          className="button button-secondary"
          onClick={() => onNavigate('account')}
        >
          Change my password
        </button>
      </div>
    </section>
  );
}
