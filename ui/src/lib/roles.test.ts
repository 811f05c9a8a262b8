import { describe, expect, it } from 'vitest';
import type { Permission } from '../api/types';
import { permissionCheck, roleLabel, whoCan } from './roles';

// What `whoami` answers for the demo lab's manager and administrator (shared/domain access.rs).
const MANAGER: Permission[] = [
  'change_own_password',
  'read_settings',
  'change_settings',
  'read_users',
  'read_audit',
  'manage_sites',
  'register_participants',
  'manage_field_events',
  'manage_kit_templates',
  'register_samples',
  'process_samples',
  'manage_storage',
  'place_samples',
  'request_discard',
  'decide_discard',
  'read_samples',
  'use_own_notifications',
  'configure_devices',
  'print_labels',
  'manage_instruments',
  'run_instruments',
  'decide_runs',
];

const ADMIN: Permission[] = [
  'change_own_password',
  'read_settings',
  'change_settings',
  'manage_users',
  'read_users',
  'reset_passwords',
  'read_audit',
  'manage_sites',
  'manage_number_blocks',
  'manage_kit_templates',
  'manage_storage',
  'read_samples',
  'use_own_notifications',
  'configure_devices',
  'manage_instruments',
];

describe('can: what the core says the user may do, nothing more', () => {
  it('a lab manager reads users but neither manages them nor resets passwords', () => {
    const can = permissionCheck(MANAGER);
    expect(can('read_users')).toBe(true);
    expect(can('manage_users')).toBe(false);
    expect(can('reset_passwords')).toBe(false);
    expect(can('decide_discard')).toBe(true);
  });

  it('an administrator configures printers but does not print labels', () => {
    const can = permissionCheck(ADMIN);
    expect(can('configure_devices')).toBe(true);
    expect(can('print_labels')).toBe(false);
    expect(can('manage_users')).toBe(true);
    expect(can('place_samples')).toBe(false);
  });

  it('no permissions (not yet loaded, or none given) allows nothing', () => {
    const can = permissionCheck([]);
    expect(can('read_samples')).toBe(false);
    expect(can('change_own_password')).toBe(false);
  });

  it('is not fooled by a name that is not a permission', () => {
    const can = permissionCheck(MANAGER);
    expect(can('root' as Permission)).toBe(false);
  });
});

describe('the words of roles', () => {
  it('names roles and who to ask', () => {
    expect(roleLabel('lab_manager')).toBe('Lab manager');
    expect(whoCan('print_labels')).toMatch(/technician/);
    expect(whoCan('manage_users')).toBe('an administrator');
  });
});
