import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { DeviceStatus, Permission, SampleTypeRecord, Settings, UserView } from '../api/types';
import { PageHeading } from '../components/forms';
import { FALLBACK_DATE_FORMAT, FALLBACK_TIME_ZONE, formatDateTime } from '../lib/format';
import { PICKER_PAGE } from '../lib/paging';
import { permissionCheck, roleLabel, type Can } from '../lib/roles';
import { labelOfSampleType } from '../lib/samples';
import { PrinterStatusItem, ScannerStatusItem } from '../components/DeviceStatus';
import { Account } from '../pages/Account';
import { Sessions } from '../pages/admin/Sessions';
import { AuditTrail } from '../pages/admin/AuditTrail';
import { Home } from '../pages/Home';
import { InstrumentsPage } from '../pages/instruments/InstrumentsPage';
import { RunPage } from '../pages/runs/RunPage';
import { RunsPage } from '../pages/runs/RunsPage';
import { ResultSetsPage } from '../pages/resultsets/ResultSetsPage';
import { QueryPage } from '../pages/query/QueryPage';
import { ReportsPage } from '../pages/reports/ReportsPage';
import { SavedReportsPage } from '../pages/saved/SavedReportsPage';
import { SettingsPage } from '../pages/SettingsPage';
import { LabSetupPage } from '../pages/setup/LabSetupPage';
import { SetupGuide } from '../pages/setup/SetupGuide';
import { Users } from '../pages/admin/Users';
import { RegistrationDesk } from '../pages/desk/RegistrationDesk';
import { PrintingPage } from '../pages/printing/PrintingPage';
import { DiscardRequests } from '../pages/samples/DiscardRequests';
import { ReceivingPage } from '../pages/receiving/ReceivingPage';
import { ParticipantPage } from '../pages/samples/ParticipantPage';
import { SamplePage } from '../pages/samples/SamplePage';
import { BoxPage } from '../pages/storage/BoxPage';
import { StoragePage } from '../pages/storage/StoragePage';
import { hashOf, NavigateContext, routeFromHash, type PageId, type Route } from '../router';
import { ScanFeedbackBar } from '../scan/ScanFeedbackBar';
import { ScanProvider } from '../scan/ScanContext';
import { SessionContext, useClient, type Session } from '../session';
import { HubPage } from '../sync/HubPage';
import { SyncIssues } from '../sync/SyncIssues';
import { SyncProvider, useSync } from '../sync/SyncContext';
import { SyncStatusItem } from '../sync/SyncStatusItem';
import { issueCount } from '../sync/syncWords';

/** A page is offered when the user holds the permission the core checks for what it shows. */
type NavItem = { id: PageId; label: string; allowed: (can: Can) => boolean };

const NAV: readonly NavItem[] = [
  { id: 'home', label: 'Home', allowed: () => true },
  {
    id: 'desk',
    label: 'Registration desk',
    allowed: (can) => can('register_participants') || can('register_samples'),
  },
  { id: 'receiving', label: 'Receiving', allowed: (can) => can('process_samples') },
  { id: 'storage', label: 'Storage', allowed: (can) => can('read_samples') },
  { id: 'discards', label: 'Discard requests', allowed: (can) => can('read_samples') },
  { id: 'printing', label: 'Printing', allowed: (can) => can('read_samples') },
  { id: 'instruments', label: 'Instruments', allowed: (can) => can('read_samples') },
  { id: 'runs', label: 'Runs', allowed: (can) => can('read_samples') },
  { id: 'result_sets', label: 'Result sets', allowed: (can) => can('read_samples') },
  // The compliance report reads the audit trail; every other report reads samples.
  { id: 'reports', label: 'Reports', allowed: (can) => can('read_samples') || can('read_audit') },
  { id: 'query', label: 'Query builder', allowed: (can) => can('read_samples') },
  { id: 'saved', label: 'Saved & scheduled', allowed: (can) => can('read_samples') },
  { id: 'users', label: 'Users', allowed: (can) => can('read_users') },
  // Listing and ending sessions is user management in the core (`list_sessions`).
  { id: 'sessions', label: 'Sessions', allowed: (can) => can('manage_users') },
  { id: 'audit', label: 'Audit trail', allowed: (can) => can('read_audit') },
  { id: 'settings', label: 'Settings', allowed: (can) => can('read_settings') },
  // Everyone who may change one of its parts (the core checks each change).
  {
    id: 'setup',
    label: 'Lab setup',
    allowed: (can) =>
      can('manage_sites') || can('manage_number_blocks') || can('manage_kit_templates'),
  },
  { id: 'account', label: 'My account', allowed: () => true },
  // Every signed-in user sees the issues of what they did here (`list_sync_issues`).
  { id: 'sync_issues', label: 'Sync issues', allowed: () => true },
  // Connecting the workstation is an administrator's act in the core (`connect_hub`).
  { id: 'hub', label: 'Lab hub', allowed: (can) => can('manage_users') },
];

/** Detail pages, reached by scanning or from a list, under the navigation item they belong to. */
const DETAIL_PARENT: Partial<Record<PageId, PageId>> = {
  sample: 'home',
  participant: 'home',
  box: 'storage',
  run: 'runs',
};

function currentRoute(): Route {
  return routeFromHash(window.location.hash);
}

type Props = {
  user: UserView;
  expiresAt: string;
  /** What the user may do, from `whoami`. */
  permissions: readonly Permission[];
  initialLabName: string;
  onSignOut: () => void;
};

/** Everything after sign-in: header, navigation, the current page and the status bar. */
export function Shell({ user, expiresAt, permissions, initialLabName, onSignOut }: Props) {
  const client = useClient();
  const [route, setRoute] = useState<Route>(currentRoute);
  const page = route.page;
  const [settings, setSettings] = useState<Settings | null>(null);
  const [device, setDevice] = useState<DeviceStatus | null>(null);
  const [auditGeneration, setAuditGeneration] = useState(0);
  const [sampleTypes, setSampleTypes] = useState<readonly SampleTypeRecord[]>([]);
  const [signingOut, setSigningOut] = useState(false);

  const loadSettings = useCallback(() => {
    client.getSettings().then(setSettings, () => {
      // Settings are shown where they are used; the shell keeps its defaults meanwhile.
    });
  }, [client]);

  // A lab has tens of sample types, not hundreds: one picker page holds them all.
  const loadSampleTypes = useCallback(() => {
    client.run('list_sample_types', { ...PICKER_PAGE, include_retired: true }).then(
      (page) => setSampleTypes(page.items),
      () => {
        // Until they load, a type is shown by its code.
      },
    );
  }, [client]);

  const loadDevice = useCallback(() => {
    client.deviceStatus().then(setDevice, () => {
      // The status bar shows the workstation's id when it can; nothing else depends on it.
    });
  }, [client]);

  useEffect(() => {
    loadSettings();
    loadDevice();
    loadSampleTypes();
    return client.subscribe((event) => {
      if (event.type === 'settings_changed') loadSettings();
      if (event.type === 'audit_appended') setAuditGeneration((g) => g + 1);
      loadDevice();
    });
  }, [client, loadSettings, loadDevice, loadSampleTypes]);

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const can = useMemo(() => permissionCheck(permissions), [permissions]);
  const visibleNav = useMemo(() => NAV.filter((n) => n.allowed(can)), [can]);

  const navigate = useCallback((to: Route) => {
    const hash = hashOf(to);
    if (window.location.hash !== hash) window.location.hash = hash.slice(1);
    setRoute(to);
  }, []);
  const go = useCallback((id: PageId) => navigate({ page: id }), [navigate]);

  // Alt+1 … Alt+5 jump to the navigation items, for keyboard-first use at the bench.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const index = Number.parseInt(e.key, 10) - 1;
      const item = visibleNav[index];
      if (item) {
        e.preventDefault();
        go(item.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [visibleNav, go]);

  const labName = settings?.lab_name || device?.lab_name || initialLabName;
  const timeZone = settings?.display_timezone || FALLBACK_TIME_ZONE;
  const dateFormat = settings?.date_format ?? FALLBACK_DATE_FORMAT;

  const session: Session = useMemo(
    () => ({
      user,
      expiresAt,
      can,
      settings,
      labName,
      setSettings,
      timeZone,
      formatTime: (iso: string) => formatDateTime(iso, timeZone, dateFormat),
      auditGeneration,
      sampleTypes,
      sampleTypeLabel: (code: string) => labelOfSampleType(sampleTypes, code),
      reloadSampleTypes: loadSampleTypes,
    }),
    [
      user,
      expiresAt,
      can,
      settings,
      labName,
      timeZone,
      dateFormat,
      auditGeneration,
      sampleTypes,
      loadSampleTypes,
    ],
  );

  const navPage = DETAIL_PARENT[page] ?? page;
  const current = NAV.find((n) => n.id === navPage);
  let content: ReactNode;
  if (page === 'not_found') {
    content = <NotFound onHome={() => go('home')} />;
  } else if (!current || !current.allowed(can)) {
    content = <NoAccess />;
  } else {
    switch (page) {
      case 'home':
        content = <Home onNavigate={go} />;
        break;
      case 'desk':
        content = <RegistrationDesk />;
        break;
      case 'receiving':
        content = <ReceivingPage />;
        break;
      case 'storage':
        content = <StoragePage />;
        break;
      case 'box':
        content = route.id ? <BoxPage key={route.id} boxId={route.id} /> : <StoragePage />;
        break;
      case 'sample':
        content = route.id ? <SamplePage key={route.id} sampleId={route.id} /> : <NoAccess />;
        break;
      case 'participant':
        content = route.id ? (
          <ParticipantPage key={route.id} participantId={route.id} />
        ) : (
          <NoAccess />
        );
        break;
      case 'discards':
        content = <DiscardRequests />;
        break;
      case 'printing':
        // `#/printing/routing` opens the page at that section (the Settings page links there).
        content = <PrintingPage section={route.id} />;
        break;
      case 'users':
        content = <Users />;
        break;
      case 'sessions':
        content = <Sessions />;
        break;
      case 'audit':
        content = <AuditTrail />;
        break;
      case 'settings':
        content = <SettingsPage />;
        break;
      case 'instruments':
        content = <InstrumentsPage />;
        break;
      case 'runs':
        content = <RunsPage />;
        break;
      case 'result_sets':
        content = <ResultSetsPage />;
        break;
      case 'reports':
        // `#/reports/custody:<code>` opens with that sample's chain of custody made.
        content = <ReportsPage key={route.id ?? ''} routeId={route.id} />;
        break;
      case 'query':
        // `#/query/saved:<id>` opens with that saved query in the builder.
        content = <QueryPage key={route.id ?? ''} routeId={route.id} />;
        break;
      case 'saved':
        content = <SavedReportsPage />;
        break;
      case 'run':
        content = route.id ? <RunPage key={route.id} runId={route.id} /> : <RunsPage />;
        break;
      case 'setup':
        // `#/setup/guide` is the guided first run; the page itself is every part at once.
        content = route.id === 'guide' ? <SetupGuide /> : <LabSetupPage />;
        break;
      case 'account':
        content = <Account />;
        break;
      case 'sync_issues':
        content = <SyncIssues />;
        break;
      case 'hub':
        content = <HubPage />;
        break;
    }
  }

  return (
    <SessionContext.Provider value={session}>
      <NavigateContext.Provider value={navigate}>
        <ScanProvider>
          <SyncProvider>
            <div className="shell" data-testid="shell">
              <a className="skip-link" href="#main-content">
                Skip to content
              </a>
              <header className="shell-header">
                <div className="brand">
                  <span className="brand-product">Aliquot</span>
                  <span className="brand-lab" data-testid="lab-name">
                    {labName || 'Biobank workstation'}
                  </span>
                </div>
                <div className="header-user">
                  <div className="current-user" data-testid="current-user">
                    <span className="current-user-name">{user.display_name}</span>
                    <span className="role-badge">{roleLabel(user.role)}</span>
                  </div>
                  <button
                    type="button"
                    className="button button-secondary"
                    data-testid="sign-out"
                    disabled={signingOut}
                    onClick={() => {
                      setSigningOut(true);
                      onSignOut();
                    }}
                  >
                    {signingOut ? 'Signing out…' : 'Sign out'}
                  </button>
                </div>
              </header>
              <div className="shell-body">
                <nav className="shell-nav" aria-label="Main">
                  <ul>
                    {visibleNav.map((item, i) => (
                      <li key={item.id}>
                        <a
                          href={`#/${item.id}`}
                          className="nav-link"
                          aria-current={item.id === navPage ? 'page' : undefined}
                          aria-keyshortcuts={`Alt+${i + 1}`}
                          title={`${item.label} (Alt+${i + 1})`}
                          onClick={(e) => {
                            e.preventDefault();
                            go(item.id);
                          }}
                        >
                          {item.label}
                          {item.id === 'sync_issues' && <SyncIssueBadge />}
                          {item.id === 'home' && <UnreadNotificationsBadge />}
                        </a>
                      </li>
                    ))}
                  </ul>
                </nav>
                <main className="shell-main" id="main-content" tabIndex={-1}>
                  <ScanFeedbackBar />
                  {content}
                </main>
              </div>
              <StatusBar device={device} />
            </div>
          </SyncProvider>
        </ScanProvider>
      </NavigateContext.Provider>
    </SessionContext.Provider>
  );
}

function NotFound({ onHome }: { onHome: () => void }) {
  return (
    <section data-testid="not-found">
      <PageHeading>Not found</PageHeading>
      <p>
        Nothing here has the address <code>{window.location.hash}</code>. The link may be mistyped
        or out of date.
      </p>
      <div className="form-actions">
        <a
          href="#/home"
          className="button button-primary"
          onClick={(e) => {
            e.preventDefault();
            onHome();
          }}
        >
          Go to Home
        </a>
      </div>
    </section>
  );
}

function NoAccess() {
  return (
    <section>
      <h1 className="page-heading">Not available</h1>
      <p>Your role does not give access to this page. Ask an administrator if you need it.</p>
    </section>
  );
}

/**
 * How many of the user's notifications are unread, beside Home where they are listed: one
 * count from the core (a page of one, its total), again whenever they change.
 */
function UnreadNotificationsBadge() {
  const client = useClient();
  const [n, setN] = useState(0);
  useEffect(() => {
    let current = true;
    const load = () => {
      client.run('list_notifications', { unread_only: true, page: 1, per_page: 1 }).then(
        (page) => {
          if (current) setN(page.total);
        },
        () => {
          // The count is a hint; Home lists the notifications themselves.
        },
      );
    };
    load();
    const unsubscribe = client.subscribe((e) => {
      if (e.type === 'notifications_changed') load();
    });
    return () => {
      current = false;
      unsubscribe();
    };
  }, [client]);
  if (n === 0) return null;
  return (
    <span className="nav-count" data-testid="notification-count" aria-label={`${n} unread`}>
      {n}
    </span>
  );
}

/** How many sync issues wait for a person, beside the navigation item. */
function SyncIssueBadge() {
  const { status } = useSync();
  const n = status ? issueCount(status.counts) : 0;
  if (n === 0) return null;
  return (
    <span className="nav-count" data-testid="sync-issue-count" aria-label={`${n} waiting`}>
      {n}
    </span>
  );
}

/** The workstation's scanner, label printer and sync state. */
function StatusBar({ device }: { device: DeviceStatus | null }) {
  return (
    <footer className="status-bar" data-testid="status-bar" aria-label="Workstation status">
      <ScannerStatusItem />
      <PrinterStatusItem />
      <SyncStatusItem />
      {device && (
        <span className="status-item status-device" title={device.device_id}>
          Workstation {device.device_id.slice(0, 8)}
        </span>
      )}
    </footer>
  );
}
