import { createContext, useContext } from 'react';

/** The pages of the shell. Detail pages carry the id of what they show. */
export type PageId =
  | 'home'
  | 'desk'
  | 'storage'
  | 'discards'
  | 'printing'
  | 'users'
  | 'sessions'
  | 'audit'
  | 'settings'
  | 'account'
  | 'sample'
  | 'box'
  | 'participant';

export type Route = { page: PageId; id?: string };

const PAGES: readonly PageId[] = [
  'home',
  'desk',
  'storage',
  'discards',
  'printing',
  'users',
  'sessions',
  'audit',
  'settings',
  'account',
  'sample',
  'box',
  'participant',
];

/** `#/sample/<id>` → {page: 'sample', id}; anything unknown is home. */
export function routeFromHash(hash: string): Route {
  const [page, id] = hash.replace(/^#\/?/, '').split('/');
  if (!page || !PAGES.includes(page as PageId)) return { page: 'home' };
  return id ? { page: page as PageId, id: decodeURIComponent(id) } : { page: page as PageId };
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
