import type { Role } from '../api/types';

export const ROLES: readonly Role[] = [
  'admin',
  'lab_manager',
  'technician',
  'field_coordinator',
  'viewer',
];

const ROLE_LABELS: Record<Role, string> = {
  admin: 'Administrator',
  lab_manager: 'Lab manager',
  technician: 'Technician',
  field_coordinator: 'Field coordinator',
  viewer: 'Viewer',
};

export function roleLabel(role: Role): string {
  return ROLE_LABELS[role] ?? role;
}

/**
 * What the UI offers to each role. This only hides what a role cannot use: the core checks
 * every permission again.
 */
export function canManageUsers(role: Role): boolean {
  return role === 'admin' || role === 'lab_manager';
}

export function canViewAudit(role: Role): boolean {
  return role === 'admin' || role === 'lab_manager';
}

export function canChangeSettings(role: Role): boolean {
  return role === 'admin' || role === 'lab_manager';
}
