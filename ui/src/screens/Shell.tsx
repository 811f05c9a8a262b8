import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { DeviceStatus, Role, Settings, UserView } from '../api/types';
import { formatDateTime } from '../lib/format';
import {
  canManageSessions,
  canManageUsers,
  canRegister,
  canViewAudit,
  roleLabel,
} from '../lib/roles';
import { PrinterStatusItem, ScannerStatusItem } from '../components/DeviceStatus';
import { Account } from '../pages/Account';
import { Sessions } from '../pages/admin/Sessions';
import { AuditTrail } from '../pages/admin/AuditTrail';
import { Home } from '../pages/Home';
import { SettingsPage } from '../pages/SettingsPage';
import { Users } from '../pages/admin/Users';
import { RegistrationDesk } from '../pages/desk/RegistrationDesk';
import { PrintingPage } from '../pages/printing/PrintingPage';
import { DiscardRequests } from '../pages/samples/DiscardRequests';
import { ParticipantPage } from '../pages/samples/ParticipantPage';
import { SamplePage } from '../pages/samples/SamplePage';
import { BoxPage } from '../pages/storage/BoxPage';
import { StoragePage } from '../pages/storage/StoragePage';
import { hashOf, NavigateContext, routeFromHash, type PageId, type Route } from '../router';
import { ScanFeedbackBar } from '../scan/ScanFeedbackBar';
import { ScanProvider } from '../scan/ScanContext';
import { SessionContext, useClient, type Session } from '../session';

type NavItem = { id: PageId; label: string; allowed: (role: Role) => boolean };

const NAV: readonly NavItem[] = [
  { id: 'home', label: 'Home', allowed: () => true },
  { id: 'desk', label: 'Registration desk', allowed: canRegister },
  { id: 'storage', label: 'Storage', allowed: () => true },
  { id: 'discards', label: 'Discard requests', allowed: () => true },
  { id: 'printing', label: 'Printing', allowed: () => true },
  { id: 'users', label: 'Users', allowed: canManageUsers },
  { id: 'sessions', label: 'Sessions', allowed: canManageSessions },
  { id: 'audit', label: 'Audit trail', allowed: canViewAudit },
  { id: 'settings', label: 'Settings', allowed: () => true },
  { id: 'account', label: 'My account', allowed: () => true },
];

/** Detail pages, reached by scanning or from a list, under the navigation item they belong to. */
const DETAIL_PARENT: Partial<Record<PageId, PageId>> = {
  sample: 'home',
  participant: 'home',
  box: 'storage',
};

function currentRoute(): Route {
  return routeFromHash(window.location.hash);
}

type Props = {
  user: UserView;
  expiresAt: string;
  initialLabName: string;
  onSignOut: () => void;
};

/** Everything after sign-in: header, navigation, the current page and the status bar. */
export function Shell({ user, expiresAt, initialLabName, onSignOut }: Props) {
  const client = useClient();
  const [route, setRoute] = useState<Route>(currentRoute);
  const page = route.page;
  const [settings, setSettings] = useState<Settings | null>(null);
  const [device, setDevice] = useState<DeviceStatus | null>(null);
  const [deviceError, setDeviceError] = useState(false);
  const [auditGeneration, setAuditGeneration] = useState(0);
  const [signingOut, setSigningOut] = useState(false);

  const loadSettings = useCallback(() => {
    client.getSettings().then(setSettings, () => {
      // Settings are shown where they are used; the shell keeps its defaults meanwhile.
    });
  }, [client]);

  const loadDevice = useCallback(() => {
    client.deviceStatus().then(
      (status) => {
        setDevice(status);
        setDeviceError(false);
      },
      () => setDeviceError(true),
    );
  }, [client]);

  useEffect(() => {
    loadSettings();
    loadDevice();
    return client.subscribe((event) => {
      if (event.type === 'settings_changed') loadSettings();
      if (event.type === 'audit_appended') setAuditGeneration((g) => g + 1);
      loadDevice();
    });
  }, [client, loadSettings, loadDevice]);

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const visibleNav = useMemo(() => NAV.filter((n) => n.allowed(user.role)), [user.role]);

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
  const timeZone = settings?.display_timezone ?? null;

  const session: Session = useMemo(
    () => ({
      user,
      expiresAt,
      settings,
      labName,
      setSettings,
      formatTime: (iso: string) => formatDateTime(iso, timeZone),
      auditGeneration,
    }),
    [user, expiresAt, settings, labName, timeZone, auditGeneration],
  );

  const navPage = DETAIL_PARENT[page] ?? page;
  const current = NAV.find((n) => n.id === navPage);
  let content: ReactNode;
  if (!current || !current.allowed(user.role)) {
    content = <NoAccess />;
  } else {
    switch (page) {
      case 'home':
        content = <Home onNavigate={go} />;
        break;
      case 'desk':
        content = <RegistrationDesk />;
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
        content = <PrintingPage />;
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
      case 'account':
        content = <Account />;
        break;
    }
  }

  return (
    <SessionContext.Provider value={session}>
      <NavigateContext.Provider value={navigate}>
        <ScanProvider>
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
            <StatusBar device={device} deviceError={deviceError} />
          </div>
        </ScanProvider>
      </NavigateContext.Provider>
    </SessionContext.Provider>
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

/** The workstation's scanner, label printer and sync state; sync fills its slot later. */
function StatusBar({ device, deviceError }: { device: DeviceStatus | null; deviceError: boolean }) {
  const outbox = deviceError
    ? 'unknown'
    : device === null
      ? '…'
      : `${device.outbox_pending} pending`;
  return (
    <footer className="status-bar" data-testid="status-bar" aria-label="Workstation status">
      <ScannerStatusItem />
      <PrinterStatusItem />
      <span className="status-item" data-testid="status-sync">
        <span className="status-dot status-dot-idle" aria-hidden="true" />
        Sync: stand-alone
      </span>
      <span className="status-item" data-testid="status-outbox">
        Outbox: {outbox}
      </span>
      {device && (
        <span className="status-item status-device" title={device.device_id}>
          Workstation {device.device_id.slice(0, 8)}
        </span>
      )}
    </footer>
  );
}
