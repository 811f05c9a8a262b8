import { useEffect, useState, type FormEvent } from 'react';
import type { NotificationRecord } from '../api/types';
import { ErrorAlert, Field, PageHeading } from '../components/forms';
import { Pager } from '../components/Pager';
import { errorMessage } from '../lib/errors';
import { useAsyncData } from '../lib/useAsyncData';
import { useNavigate, type PageId } from '../router';
import { commandOf, useSubmitScan } from '../scan/ScanContext';
import { useClient, useSession } from '../session';
import { scannerTested, SETUP_STEPS, setupSummary } from './setup/setupSteps';

type Props = { onNavigate: (page: PageId) => void };

/**
 * Where a shift starts: scan anything to open it, type a code when a label will not scan,
 * the user's notifications, and the way to the day's work for their role.
 */
export function Home({ onNavigate }: Props) {
  const { user, labName, can } = useSession();
  const actions: { page: PageId; label: string; show: boolean }[] = [
    {
      page: 'desk',
      label: 'Registration desk',
      show: can('register_participants') || can('register_samples'),
    },
    { page: 'receiving', label: 'Receive tubes', show: can('process_samples') },
    { page: 'storage', label: 'Storage and placement', show: can('read_samples') },
    {
      page: 'discards',
      label: can('decide_discard') ? 'Discard requests to decide' : 'My discard requests',
      show: can('decide_discard') || can('request_discard'),
    },
    { page: 'printing', label: 'Printing', show: can('read_samples') },
    {
      page: 'users',
      label: can('manage_users') ? 'Manage users' : 'See the users',
      show: can('read_users'),
    },
    { page: 'audit', label: 'Review the audit trail', show: can('read_audit') },
    { page: 'account', label: 'Change my password', show: can('change_own_password') },
  ];
  return (
    <section>
      <PageHeading>Welcome, {user.display_name}</PageHeading>
      <p className="lead">
        {labName ? <strong>{labName}</strong> : 'This workstation'}: scan a tube, a box or a
        participant card at any time to open it.
      </p>
      <CodeEntry />
      <SetupCard />
      <div className="quick-actions">
        {actions
          .filter((a) => a.show)
          .map((a) => (
            <button
              key={a.page}
              type="button"
              className="button button-secondary"
              onClick={() => onNavigate(a.page)}
            >
              {a.label}
            </button>
          ))}
      </div>
      <Notifications />
    </section>
  );
}

/**
 * A lab still setting itself up is shown how far it has come, and the way back into the
 * guide, to those who set labs up; a printer or scanner still to check does not keep it here.
 */
function SetupCard() {
  const client = useClient();
  const navigate = useNavigate();
  const { can } = useSession();
  const setsUp = SETUP_STEPS.some((s) => !s.optional && can(s.permission));
  const progress = useAsyncData(
    () => (setsUp ? client.run('setup_progress', {}) : Promise.resolve(null)),
    [client, setsUp],
  );
  if (!progress.data) return null;
  const summary = setupSummary(progress.data, scannerTested());
  if (summary.ready) return null;
  return (
    <div className="card setup-card" data-testid="setup-card">
      <h2>Set up the lab</h2>
      <p>
        {summary.done} of {summary.total} steps done: the lab needs a few more before its first kit.
      </p>
      <button
        type="button"
        className="button button-primary"
        onClick={() => navigate({ page: 'setup', id: 'guide' })}
      >
        Continue the setup guide
      </button>
    </div>
  );
}

/** For a label that will not scan: type the code, and it is taken as if scanned. */
function CodeEntry() {
  const submit = useSubmitScan();
  const [code, setCode] = useState('');
  function go(e: FormEvent) {
    e.preventDefault();
    const text = code.trim();
    if (!text) return;
    submit({ text, source: 'keyboard', command: commandOf(text) });
    setCode('');
  }
  return (
    <form className="code-entry" onSubmit={go} data-testid="code-entry">
      <div data-scan-input>
        <Field
          id="home-code"
          label="Scan or type a code"
          value={code}
          onChange={setCode}
          hint="A sample code, a box barcode or a participant code, then Enter."
        />
      </div>
      <button type="submit" className="button button-primary">
        Open
      </button>
    </form>
  );
}

const PER_PAGE = 10;

function Notifications() {
  const client = useClient();
  const navigate = useNavigate();
  const [page, setPage] = useState(1);
  const [error, setError] = useState<string | null>(null);
  const list = useAsyncData(
    () => client.run('list_notifications', { unread_only: false, page, per_page: PER_PAGE }),
    [client, page],
  );

  async function open(n: NotificationRecord) {
    setError(null);
    try {
      if (!n.read_at) await client.run('mark_notification_read', { id: n.id });
    } catch (e: unknown) {
      setError(errorMessage(e));
    }
    if (n.entity_type === 'sample') navigate({ page: 'sample', id: n.entity_id });
    else if (n.entity_type === 'discard_request') navigate({ page: 'discards' });
    else list.reload();
  }

  useEffect(
    () =>
      client.subscribe((e) => {
        if (e.type === 'notifications_changed') list.reload();
      }),
    [client, list.reload],
  );

  const data = list.data;
  return (
    <section className="notifications" aria-labelledby="notifications-heading">
      <h2 id="notifications-heading">Notifications</h2>
      <ErrorAlert message={error ?? list.error} />
      {data && data.items.length === 0 && <p className="empty-state">Nothing for you right now.</p>}
      {data && data.items.length > 0 && (
        <>
          <ul className="notification-list" data-testid="notifications">
            {data.items.map((n) => (
              <li key={n.id} className={n.read_at ? 'notification' : 'notification unread'}>
                <button type="button" className="notification-open" onClick={() => void open(n)}>
                  {!n.read_at && <span className="notification-dot" aria-label="unread" />}
                  {n.message}
                </button>
              </li>
            ))}
          </ul>
          <Pager
            label="Notification pages"
            page={data.page}
            totalPages={data.total_pages}
            total={data.total}
            onPage={setPage}
          />
        </>
      )}
    </section>
  );
}
