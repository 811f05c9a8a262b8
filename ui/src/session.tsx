import { createContext, useContext } from 'react';
import type { ApiClient } from './api/client';
import type { SampleTypeRecord, Settings, UserView } from './api/types';
import type { Can } from './lib/roles';

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
  /**
   * Whether the user may do something (`can('manage_users')`), from the permissions `whoami`
   * gave at sign-in: what a screen offers follows the core's one role matrix.
   */
  can: Can;
  settings: Settings | null;
  labName: string;
  /** Replaces the settings after a change, so the header and time display update at once. */
  setSettings: (settings: Settings) => void;
  /** The lab's time zone (the `display_timezone` setting): days and times are the lab's. */
  timeZone: string;
  /**
   * Formats a UTC timestamp (or a calendar day) as the lab reads it: in its time zone, its
   * dates in its `date_format`, times 24-hour.
   */
  formatTime: (iso: string) => string;
  /** Increases on every `audit_appended` event, for pages that show audited data. */
  auditGeneration: number;
  /** The lab's sample types, retired ones too (old tubes are still named by them). */
  sampleTypes: readonly SampleTypeRecord[];
  /** A type's name, e.g. "Buffy coat" for `buffy_coat`. */
  sampleTypeLabel: (code: string) => string;
  /** Reads the sample types again, after Lab setup adds or retires one. */
  reloadSampleTypes: () => void;
};

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside of the shell');
  return session;
}

/** `const can = useCan(); can('print_labels')`: what the signed-in user may do. */
export function useCan(): Can {
  return useSession().can;
}
