import { useCallback, useEffect, useState } from 'react';
import { SESSION_EXPIRED_MESSAGE, type ApiClient } from './api/client';
import type { Permission, Release, UserView } from './api/types';
import { errorCode, errorMessage } from './lib/errors';
import { FirstRun } from './screens/FirstRun';
import { JoinProgress } from './sync/JoinProgress';
import { Login } from './screens/Login';
import { Shell } from './screens/Shell';
import { ClientContext } from './session';

type Phase =
  | { kind: 'loading' }
  | { kind: 'unavailable'; message: string }
  | { kind: 'first-run'; labName: string }
  /** Connected to the lab's hub, still copying the lab (a restart finds it here too). */
  | { kind: 'joining' }
  /** Left the lab's hub: nothing more until the app starts again. */
  | { kind: 'left'; archive: string }
  | {
      kind: 'login';
      labName: string;
      error: string | null;
      notice: string | null;
      username: string;
      /** Changes on every visit so the form starts fresh. */
      visit: number;
    }
  | {
      kind: 'shell';
      user: UserView;
      expiresAt: string;
      /** What the user may do, from `whoami` (the core's role matrix). */
      permissions: Permission[];
      labName: string;
    };

let visits = 0;

function loginPhase(
  labName: string,
  extra: { error?: string | null; notice?: string | null; username?: string } = {},
): Phase {
  visits += 1;
  return {
    kind: 'login',
    labName,
    error: extra.error ?? null,
    notice: extra.notice ?? null,
    username: extra.username ?? '',
    visit: visits,
  };
}

export function App({ client }: { client: ApiClient }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [labName, setLabName] = useState('');
  const [release, setRelease] = useState<Release | null>(null);

  // The shell starts from `whoami`: who is signed in and what their role may do, so every
  // screen offers what the core's matrix allows (sign-in alone does not say).
  const enterShell = useCallback(
    async (name: string) => {
      try {
        const me = await client.whoami();
        setPhase({
          kind: 'shell',
          user: me.user,
          expiresAt: me.expires_at,
          permissions: me.permissions,
          labName: name,
        });
      } catch (e: unknown) {
        // `unauthenticated` is handled by the session-expired listener below.
        if (errorCode(e) !== 'unauthenticated') {
          setPhase({ kind: 'unavailable', message: errorMessage(e) });
        }
      }
    },
    [client],
  );

  const start = useCallback(async () => {
    setPhase({ kind: 'loading' });
    try {
      const status = await client.setupStatus();
      setLabName(status.lab_name);
      setRelease(status.release);
      if (status.left_hub !== null) {
        setPhase({ kind: 'left', archive: status.left_hub.archive });
        return;
      }
      if (status.joining !== null) {
        setPhase({ kind: 'joining' });
        return;
      }
      if (status.needs_first_admin) {
        setPhase({ kind: 'first-run', labName: status.lab_name });
        return;
      }
      if (!client.hasToken) {
        setPhase(loginPhase(status.lab_name));
        return;
      }
      await enterShell(status.lab_name);
    } catch (e: unknown) {
      setPhase({ kind: 'unavailable', message: errorMessage(e) });
    }
  }, [client, enterShell]);

  useEffect(() => {
    void start();
  }, [start]);

  // The copy of the lab is done: the lab's name and accounts are this workstation's now.
  const joined = useCallback(() => {
    void client.setupStatus().then(
      (s) => {
        setLabName(s.lab_name);
        setPhase(
          loginPhase(s.lab_name, {
            notice: 'This workstation holds the lab now. Sign in with your lab account.',
          }),
        );
      },
      (e: unknown) => setPhase({ kind: 'unavailable', message: errorMessage(e) }),
    );
  }, [client]);

  // Any call that finds the session gone brings back the sign-in screen with an explanation.
  useEffect(
    () =>
      client.onSessionExpired(() => {
        setPhase((current) =>
          loginPhase(current.kind === 'shell' ? current.labName : labName, {
            error: SESSION_EXPIRED_MESSAGE,
            username: current.kind === 'shell' ? current.user.username : '',
          }),
        );
      }),
    [client, labName],
  );

  useEffect(() => {
    const name = phase.kind === 'shell' ? phase.labName : labName;
    document.title = name ? `${name} · Aliquot` : 'Aliquot';
  }, [phase, labName]);

  let screen;
  switch (phase.kind) {
    case 'loading':
      screen = (
        <main className="entry-screen" aria-busy="true">
          <p className="loading">Starting Aliquot…</p>
        </main>
      );
      break;
    case 'unavailable':
      screen = (
        <main className="entry-screen">
          <div className="entry-card">
            <p className="entry-brand">Aliquot</p>
            <h1>Aliquot is not available</h1>
            <div role="alert" className="alert alert-error">
              {phase.message}
            </div>
            <div className="form-actions">
              <button
                type="button"
                className="button button-primary"
                onClick={() => void start()}
                autoFocus
              >
                Try again
              </button>
            </div>
          </div>
        </main>
      );
      break;
    case 'joining':
      screen = (
        <main className="entry-screen">
          <div className="entry-card" data-testid="joining">
            <p className="entry-brand">Aliquot</p>
            <h1>Joining your lab’s hub</h1>
            <p className="lead">
              This workstation is copying the lab from the hub. If the network drops or the app is
              closed, the copy goes on where it stopped by itself; then everyone signs in with their
              lab account.
            </p>
            <JoinProgress onDone={joined} />
          </div>
        </main>
      );
      break;
    case 'left':
      screen = (
        <main className="entry-screen">
          <div className="entry-card" data-testid="left-hub">
            <p className="entry-brand">Aliquot</p>
            <h1>This workstation has left the lab’s hub</h1>
            <p className="lead">
              Everything done here had reached the hub. Close Aliquot and start it again: its copy
              of the lab is then set aside, not deleted, and it begins at the first screen, to join
              a hub or set up a lab.
            </p>
            <dl className="facts">
              <dt>Copy of the lab set aside in</dt>
              <dd data-testid="left-hub-archive">{phase.archive}</dd>
            </dl>
          </div>
        </main>
      );
      break;
    case 'first-run':
      screen = (
        <FirstRun
          labName={phase.labName}
          release={release}
          onCreated={(username) =>
            setPhase(
              loginPhase(phase.labName, {
                notice: 'The administrator account has been created. Sign in to continue.',
                username,
              }),
            )
          }
          onJoined={(deviceName) => {
            // The lab came with the hub: its name and accounts are this workstation's now.
            void client.setupStatus().then(
              (s) => {
                setLabName(s.lab_name);
                setPhase(
                  loginPhase(s.lab_name, {
                    notice: `This workstation joined the lab’s hub as “${deviceName}”. Sign in with your lab account.`,
                  }),
                );
              },
              (e: unknown) => setPhase({ kind: 'unavailable', message: errorMessage(e) }),
            );
          }}
        />
      );
      break;
    case 'login':
      screen = (
        <Login
          key={phase.visit}
          labName={phase.labName}
          release={release}
          initialError={phase.error}
          initialNotice={phase.notice}
          initialUsername={phase.username}
          onSignedIn={() => void enterShell(phase.labName)}
        />
      );
      break;
    case 'shell':
      screen = (
        <Shell
          key={phase.user.id}
          user={phase.user}
          expiresAt={phase.expiresAt}
          permissions={phase.permissions}
          initialLabName={phase.labName}
          onSignOut={async () => {
            await client.logout();
            // Refresh the lab name, which may have been changed in the meantime.
            const name = await client.setupStatus().then(
              (s) => s.lab_name,
              () => phase.labName,
            );
            setLabName(name);
            setPhase(loginPhase(name));
          }}
        />
      );
      break;
  }

  return <ClientContext.Provider value={client}>{screen}</ClientContext.Provider>;
}
