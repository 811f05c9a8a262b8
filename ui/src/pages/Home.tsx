import { PageHeading } from '../components/forms';
import { canManageUsers, canViewAudit } from '../lib/roles';
import { useSession } from '../session';

type Props = { onNavigate: (page: 'users' | 'audit' | 'settings' | 'account') => void };

const COMING = [
  [
    'Registration desk',
    'Register participants and their sample kits, and print kit labels on the spot.',
  ],
  ['Scan and find', 'Scan any tube or box to see its details, history timeline and location.'],
  ['Storage', 'Freezers, racks and box maps with occupancy; place tubes by scanning.'],
  ['Instruments', 'Plates, runs and result imports.'],
  ['Reports', 'Compliance, inventory and storage occupancy, with PDF preview.'],
  ['Sync', 'Work through network outages; changes reach the hub when the network is back.'],
] as const;

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
          : ' Sample work arrives in the next releases; for now you can manage your account.'}
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

      <h2>What is coming</h2>
      <ul className="coming-list">
        {COMING.map(([title, text]) => (
          <li key={title}>
            <strong>{title}</strong>
            <span>{text}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
