import type { PlateFormat, PreviewMatch, Rule, RunState, Verdict, WellRole } from '../../api/types';

/** Where a run stands, in the words the bench uses. */
export function stateLabel(state: RunState): string {
  switch (state) {
    case 'planned':
      return 'Planned: plates being filled';
    case 'resulted':
      return 'Resulted';
    case 'held':
      return 'Held by QC';
    case 'released':
      return 'Released by a lab manager';
    case 'repeat':
      return 'To be repeated';
  }
}

export const STATES: readonly { value: RunState; label: string }[] = (
  ['planned', 'resulted', 'held', 'released', 'repeat'] as const
).map((value) => ({ value, label: stateLabel(value) }));

export const PLATE_FORMATS: readonly { value: PlateFormat; label: string }[] = [
  { value: '96', label: '96 wells (8 × 12)' },
  { value: '384', label: '384 wells (16 × 24)' },
  { value: '1536', label: '1536 wells (32 × 48)' },
];

export function plateShape(format: PlateFormat): { rows: number; columns: number } {
  switch (format) {
    case '96':
      return { rows: 8, columns: 12 };
    case '384':
      return { rows: 16, columns: 24 };
    case '1536':
      return { rows: 32, columns: 48 };
  }
}

/** Row letters as plates print them: A … Z, then AA … AF. */
export function rowName(row: number): string {
  return row < 26 ? String.fromCharCode(65 + row) : `A${String.fromCharCode(65 + row - 26)}`;
}

export function verdictLabel(verdict: Verdict | null, rules: readonly Rule[]): string {
  if (verdict === null) return 'No control on the plates: not judged by QC';
  const broken = rules.length > 0 ? ` (${rules.join(', ')})` : '';
  switch (verdict) {
    case 'accepted':
      return 'Controls in range';
    case 'warning':
      return `Accepted with a warning${broken}: look at the controls before the next run`;
    case 'rejected':
      return `Rejected${broken}: patient results held until a lab manager decides`;
  }
}

export function roleLabel(role: WellRole): string {
  switch (role) {
    case 'sample':
      return 'Sample';
    case 'control':
      return 'Control';
    case 'standard':
      return 'Standard';
    case 'blank':
      return 'Blank';
  }
}

/** How a value of a result file stands against the plate map. */
export function matchLabel(match: PreviewMatch): string {
  switch (match) {
    case 'sample':
      return 'Matched to the tube';
    case 'control':
      return 'Control';
    case 'standard':
      return 'Standard';
    case 'blank':
      return 'Blank';
    case 'no_sample_there':
      return 'No sample in this well: not imported';
    case 'not_on_plate':
      return 'Sample not on this run: not imported';
    case 'unknown_plate':
      return 'Plate not in this run: not imported';
  }
}

/** A value as the instrument wrote it: one wording everywhere (the tube's page's). */
export { readingWords as readingText } from '../samples/resultWords';
