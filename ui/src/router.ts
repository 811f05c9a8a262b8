import { createContext, useContext } from 'react';

/** The pages of the shell. Detail pages carry the id of what they show. */
export type PageId =
  | 'home'
  | 'desk'
  | 'receiving'
  | 'storage'
  | 'discards'
  | 'printing'
  | 'instruments'
  | 'runs'
  | 'run'
  | 'result_sets'
  /** `#/reports/custody:<code>` opens a sample's chain of custody (see reportWords). */
  | 'reports'
  /** `#/query/saved:<id>` (and `#/reports/saved:<id>`) opens a saved one in its form. */
  | 'query'
  /** Saved and scheduled reports. */
  | 'saved'
  | 'users'
  | 'sessions'
  | 'audit'
  | 'settings'
  | 'setup'
  | 'account'
  | 'sample'
  | 'box'
  | 'participant'
  | 'sync_issues'
  | 'hub'
  /** A route that names no page (a mistyped or outdated link). */
  | 'not_found';

export type Route = { page: PageId; id?: string };

const PAGES: readonly PageId[] = [
  'home',
  'desk',
  'receiving',
  'storage',
  'discards',
  'printing',
  'instruments',
  'runs',
  'run',
  'result_sets',
  'reports',
  'query',
  'saved',
  'users',
  'sessions',
  'audit',
  'settings',
  'setup',
  'account',
  'sample',
  'box',
  'participant',
  'sync_issues',
  'hub',
];

/**
 * `#/sample/<id>` → {page: 'sample', id}; no route at all is home; a route that names no page
 * is "not found" (showing home instead would hide a wrong link).
 */
export function routeFromHash(hash: string): Route {
  const [page, id] = hash.replace(/^#\/?/, '').split('/');
  if (!page) return { page: 'home' };
  if (!PAGES.includes(page as PageId)) return { page: 'not_found' };
  if (!id) return { page: page as PageId };
  try {
    return { page: page as PageId, id: decodeURIComponent(id) };
  } catch {
    // A malformed escape names nothing.
    return { page: 'not_found' };
  }
}

/** The same screen has the same key, however the hash was written ("", "#/", "#/home"). */
export function screenOf(hash: string): string {
  const route = routeFromHash(hash);
  return route.page === 'not_found' ? hash : hashOf(route);
}

export function hashOf(route: Route): string {
  return route.id ? `#/${route.page}/${encodeURIComponent(route.id)}` : `#/${route.page}`;
}

/** Moves the shell to another page; `useNavigate()` gives it to any component in the shell. */
export type Navigate = (to: Route) => void;

export const NavigateContext = createContext<Navigate | null>(null);

export function useNavigate(): Navigate {
  const navigate = useContext(NavigateContext);
  if (navigate === null) throw new Error('useNavigate outside of the shell');
  return navigate;
}
