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

/** Registering participants and kits: the collection desk and the lab. */
export function canRegister(role: Role): boolean {
  return role === 'lab_manager' || role === 'technician' || role === 'field_coordinator';
}

/** Placing, moving, checking out, aliquoting, requesting discards: the bench. */
export function canHandleSamples(role: Role): boolean {
  return role === 'lab_manager' || role === 'technician';
}

export function canDecideDiscard(role: Role): boolean {
  return role === 'lab_manager';
}

/** Freezers, racks and boxes. */
export function canManageStorage(role: Role): boolean {
  return role === 'admin' || role === 'lab_manager';
}

export function canPrintLabels(role: Role): boolean {
  return role === 'lab_manager' || role === 'technician' || role === 'field_coordinator';
}

/** Printers and the scanner of this workstation. */
export function canConfigureDevices(role: Role): boolean {
  return role === 'admin' || role === 'lab_manager';
}

/** Seeing and ending other people's sessions: administrators. */
export function canManageSessions(role: Role): boolean {
  return role === 'admin';
}

/** Field events: their coordinators and lab managers. */
export function canManageFieldEvents(role: Role): boolean {
  return role === 'lab_manager' || role === 'field_coordinator';
}
