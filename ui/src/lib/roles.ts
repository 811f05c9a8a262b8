import type { Permission, Role } from '../api/types';

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

/** Whether the signed-in user may do something: `can('manage_users')`. */
export type Can = (permission: Permission) => boolean;

/**
 * The check for one user, from the permissions `whoami` gave (the core's one role matrix,
 * `Role::may`), so the UI keeps no copy of the matrix. It only decides what is offered: the
 * core checks every operation again.
 */
export function permissionCheck(permissions: readonly Permission[]): Can {
  const held = new Set<Permission>(permissions);
  return (permission) => held.has(permission);
}

/**
 * Who to ask, in words, when a message must say who can do what the user cannot. Words only:
 * nothing is decided from this table (decisions use `can`); it names the roles the core's
 * matrix gives each permission today, for messages such as "Ask a lab manager".
 */
const WHO_CAN: Partial<Record<Permission, string>> = {
  manage_users: 'an administrator',
  reset_passwords: 'an administrator',
  change_settings: 'a lab manager or an administrator',
  configure_devices: 'a lab manager or an administrator',
  manage_storage: 'a lab manager or an administrator',
  manage_kit_templates: 'a lab manager or an administrator',
  manage_instruments: 'a lab manager or an administrator',
  run_instruments: 'a lab manager or a technician',
  decide_runs: 'a lab manager',
  print_labels: 'a lab manager, a technician or a field coordinator',
  process_samples: 'a lab manager or a technician',
  place_samples: 'a lab manager or a technician',
  request_discard: 'a lab manager or a technician',
  decide_discard: 'a lab manager',
  register_participants: 'a lab manager, a technician or a field coordinator',
  register_samples: 'a lab manager, a technician or a field coordinator',
};

/** "a lab manager or an administrator": who to ask for something the user may not do. */
export function whoCan(permission: Permission): string {
  return WHO_CAN[permission] ?? 'an administrator';
}
