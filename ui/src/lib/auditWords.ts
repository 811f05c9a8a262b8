import type { SampleStatus } from '../api/types';
import { statusLabel } from './samples';

// What was done, in the lab's words, for the audit trail and a tube's history. The core
// records actions by name (`place_samples`, `login_failed`, shared/domain command.rs and
// audit.rs); people read these words instead.

/** Every action the audit trail records, in words. */
export const ACTION_WORDS: Readonly<Record<string, string>> = {
  // Commands (shared/domain/src/command.rs `command_kinds!`).
  create_first_admin: 'First administrator created',
  create_user: 'User created',
  change_role: 'Role changed',
  deactivate_user: 'User deactivated',
  change_password: 'Password changed',
  issue_password_reset: 'Password reset issued',
  redeem_password_reset: 'Password reset used',
  change_setting: 'Setting changed',
  change_settings: 'Settings changed',
  create_site: 'Site created',
  update_site: 'Site changed',
  void_site: 'Site voided',
  assign_number_block: 'Number block assigned',
  register_participant: 'Participant registered',
  record_consent: 'Consent recorded',
  create_field_event: 'Field event created',
  check_in_participant: 'Participant checked in',
  create_kit_template: 'Kit template created',
  revise_kit_template: 'Kit template changed (new version)',
  retire_kit_template: 'Kit template retired',
  create_sample_type: 'Sample type added',
  retire_sample_type: 'Sample type retired',
  register_kit: 'Kit registered',
  transition_sample: 'Sample status changed',
  receive_samples: 'Received',
  create_aliquots: 'Aliquots made',
  request_discard: 'Discard requested',
  decide_discard: 'Discard decided',
  create_freezer: 'Freezer added',
  create_rack: 'Rack added',
  create_box: 'Box added',
  add_racks_and_boxes: 'Racks and boxes added together',
  move_box: 'Box moved',
  void_storage: 'Storage retired',
  register_instrument: 'Instrument registered',
  edit_instrument: 'Instrument corrected',
  set_instrument_status: 'Instrument status changed',
  add_control_lot: 'Control lot added',
  create_plate_template: 'Plate template made',
  create_run: 'Run planned',
  fill_well: 'Put on a plate',
  clear_well: 'Taken off a plate',
  import_results: 'Results imported',
  decide_run: 'Held run decided',
  set_watch_folder: 'Watch folder set',
  import_result_set: 'Result set imported',
  set_partner_mapping: 'Partner mapping set',
  edit_storage: 'Storage corrected',
  place_samples: 'Placed in box',
  resolve_sync_issue: 'Sync issue settled',
  check_out_samples: 'Checked out',
  check_in_samples: 'Checked back in',
  unplace_sample: 'Taken out of its box',
  reactivate_user: 'User reactivated',
  configure_printer: 'Printer set up',
  rename_printer: 'Printer renamed',
  remove_printer: 'Printer removed',
  queue_print: 'Label printed',
  save_report: 'Report saved',
  change_saved_report: 'Saved report changed',
  void_saved_report: 'Saved report voided',
  schedule_report: 'Report scheduled',
  void_schedule: 'Report schedule voided',
  record_report_run: 'Scheduled report run',
  mark_notification_read: 'Notification read',
  // Sessions, printing and the trail itself (shared/domain/src/audit.rs `AuditAction`).
  login_succeeded: 'Signed in',
  login_failed: 'Sign-in refused',
  logout: 'Signed out',
  session_revoked: 'Session ended by an administrator',
  print_job_cancelled: 'Print job cancelled',
  print_job_retried: 'Print job retried',
  print_job_confirmed: 'Print job confirmed as printed',
  password_change_refused: 'Password change refused',
  permission_denied: 'Refused: not allowed for the role',
  audit_chain_alarm: 'Audit trail alarm',
};

/** An action in words; an action this UI does not know yet is still shown as a phrase. */
export function actionWords(action: string): string {
  const known = ACTION_WORDS[action];
  if (known !== undefined) return known;
  const phrase = action.replace(/_/g, ' ').trim();
  return phrase.charAt(0).toUpperCase() + phrase.slice(1);
}

/**
 * The recorded action a filter means: its words (any case) or its name; text that names
 * neither is passed on as typed.
 */
export function actionFromWords(text: string): string {
  const wanted = text.trim().toLowerCase();
  const found = Object.entries(ACTION_WORDS).find(
    ([name, words]) => words.toLowerCase() === wanted || name === wanted,
  );
  return found ? found[0] : text.trim();
}

/** How a status change came about (`Via` of shared/domain sample.rs, and the first status). */
const VIA_WORDS: Readonly<Record<string, string>> = {
  manual: 'set by hand',
  receipt: 'received at the lab',
  placement: 'placed in a box',
  check_out: 'checked out',
  check_in: 'checked back in',
  aliquot: 'aliquoted',
  discard: 'discard approved',
  unplace: 'taken out of its box',
  registration: 'kit registered',
};

export function viaWords(via: string): string {
  return VIA_WORDS[via] ?? via.replace(/_/g, ' ');
}

/** A line of a tube's status history: "Received", "Stored → Disposed (discard approved)". */
export function statusChangeWords(
  from: SampleStatus | null,
  to: SampleStatus,
  via: string,
): string {
  if (from === null) return `${statusLabel(to)} (${viaWords(via)})`;
  if (via === 'manual') return `${statusLabel(from)} → ${statusLabel(to)}`;
  return `${statusLabel(from)} → ${statusLabel(to)} (${viaWords(via)})`;
}

/** Where a placement came from (`PlacementSource`), or why a tube left its place (a `Via`). */
const PLACEMENT_SOURCE_WORDS: Readonly<Record<string, string>> = {
  scan: 'by scanning',
  manual: 'by hand',
  rack_import: 'from a rack scan',
};

/** Why a tube left its place without going to another (the status change's `Via`). */
const RELEASE_WORDS: Readonly<Record<string, string>> = {
  manual: 'used up',
  discard: 'discarded',
  unplace: 'onto the bench',
};

/** A line of a tube's placement history: "Placed in box at B4 (by scanning)". */
export function placementWords(toPosition: string | null, placed: boolean, source: string): string {
  if (!placed) return `Taken out of its box (${RELEASE_WORDS[source] ?? viaWords(source)})`;
  const how = PLACEMENT_SOURCE_WORDS[source] ?? source.replace(/_/g, ' ');
  return `${ACTION_WORDS.place_samples}${toPosition ? ` at ${toPosition}` : ''} (${how})`;
}
