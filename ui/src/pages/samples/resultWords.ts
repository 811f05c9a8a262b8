import type { Flag, Reading, ResultStanding } from '../../api/types';

// A tube's results in the bench's words. Each switch is over the core's enum, so a kind, flag,
// standing or state the core adds does not compile without words.

/** What an instrument's flag means. */
export function flagWords(flag: Flag): string {
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

/** A value as the instrument gave it: "12.5", "< 40 (below range)", "OVRFLW (over the detector's range)". */
export function readingWords(value: Reading): string {
  switch (value.kind) {
    case 'number':
      return String(value.value);
    case 'censored':
      return `${value.text} (${value.bound === 'below' ? 'below range' : 'above range'})`;
    case 'flagged':
      return `${value.text} (${flagWords(value.flag)})`;
  }
}

/** Whether a value counts, and if not, why. */
export function standingWords(standing: ResultStanding): string {
  switch (standing) {
    case 'reported':
      return 'reported';
    case 'held':
      return 'held: QC rejected the run; a lab manager decides';
    case 'withdrawn':
      return 'withdrawn: the run is repeated';
    case 'superseded':
      return 'replaced by a corrected file';
  }
}
