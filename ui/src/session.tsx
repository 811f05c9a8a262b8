import { createContext, useContext } from 'react';
import type { ApiClient } from './api/client';
import type { Settings, UserView } from './api/types';

/** The API client, for every component below the app root. */
export const ClientContext = createContext<ApiClient | null>(null);

export function useClient(): ApiClient {
  const client = useContext(ClientContext);
  if (client === null) throw new Error('useClient outside of ClientContext');
  return client;
}

/** What the signed-in shell knows: who is signed in and the lab's settings. */
export type Session = {
  user: UserView;
  expiresAt: string;
  settings: Settings | null;
  labName: string;
  /** Replaces the settings after a change, so the header and time display update at once. */
  setSettings: (settings: Settings) => void;
  /** Formats a UTC timestamp in the lab's display time zone. */
  formatTime: (iso: string) => string;
  /** Increases on every `audit_appended` event, for pages that show audited data. */
  auditGeneration: number;
};

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside of the shell');
  return session;
}
