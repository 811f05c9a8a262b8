import type { SampleStatus, SampleTypeRecord } from '../api/types';

// The lab's words for sample statuses (as in shared/domain/src/sample.rs). Sample types are
// the lab's own (`list_sample_types`): the shell reads them once and pages name them through
// the session's `sampleTypeLabel`.

const STATUSES: Record<SampleStatus, string> = {
  collected: 'Collected',
  in_transit: 'In transit',
  received: 'Received',
  processing: 'Processing',
  stored: 'Stored',
  checked_out: 'Checked out',
  depleted: 'Depleted',
  disposed: 'Disposed',
};

/** The name of a type among the lab's types; a code the list lacks is shown as it is. */
export function labelOfSampleType(types: readonly SampleTypeRecord[], code: string): string {
  return types.find((t) => t.code === code)?.label ?? code;
}

/** The types new tubes may be made of: the lab's types not retired, in the list's order. */
export function sampleTypesInUse(types: readonly SampleTypeRecord[]): SampleTypeRecord[] {
  return types.filter((t) => t.retired_at === null);
}

export function statusLabel(s: SampleStatus): string {
  return STATUSES[s] ?? s;
}
