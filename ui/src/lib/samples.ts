import type { SampleStatus, SampleType } from '../api/types';

// The lab's words for sample types and statuses (as in shared/domain/src/sample.rs).

const SAMPLE_TYPES_LABELS: Record<SampleType, string> = {
  plasma: 'Plasma',
  serum: 'Serum',
  whole_blood: 'Whole blood',
  buffy_coat: 'Buffy coat',
  dna: 'DNA',
  rna: 'RNA',
  pbmc: 'PBMC',
  urine: 'Urine',
  saliva: 'Saliva',
  stool: 'Stool',
};

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

/** Every sample type, in the order people pick them. */
export const SAMPLE_TYPES = Object.keys(SAMPLE_TYPES_LABELS) as SampleType[];

export function sampleTypeLabel(t: SampleType): string {
  return SAMPLE_TYPES_LABELS[t] ?? t;
}

export function statusLabel(s: SampleStatus): string {
  return STATUSES[s] ?? s;
}
