import type {
  PlateFormat,
  PreviewMatch,
  Reading,
  Rule,
  RunState,
  Verdict,
  WellRole,
} from '../../api/types';

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

/** A value as the instrument wrote it: a number, a censored value, or a flag. */
export function readingText(value: Reading): string {
  switch (value.kind) {
    case 'number':
      return String(value.value);
    case 'censored':
      return `${value.text} (${value.bound === 'below' ? 'below range' : 'above range'})`;
    case 'flagged':
      return `${value.text} (${flagWords(value.flag)})`;
  }
}

function flagWords(flag: Extract<Reading, { kind: 'flagged' }>['flag']): string {
  switch (flag) {
    case 'overflow':
      return "over the detector's range";
    case 'missed':
      return 'read missed the well';
    case 'undetermined':
      return 'no amplification';
    case 'not_a_number':
      return 'not a number';
    case 'other':
      return 'instrument flag';
  }
}
