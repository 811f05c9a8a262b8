import type {
  Reading,
  ResultSetFileArgs,
  ResultSetFormat,
  ResultSetOutcome,
  ResultSetPreview,
  SetValueFilter,
} from '../../api/types';
import { count } from '../../lib/words';
import { readingWords } from '../samples/resultWords';

// Result sets (a panel's or a partner lab's values) in the bench's words. Each switch is over
// the core's enum, so a format or filter the core adds does not compile without words.

/** What kind of file a result set is. */
export function formatLabel(format: ResultSetFormat): string {
  switch (format) {
    case 'olink_npx':
      return 'Olink NPX export (long)';
    case 'long_csv':
      return 'Long CSV: sample, analyte, value, unit, flag';
  }
}

export const FORMATS: readonly { value: ResultSetFormat; label: string }[] = (
  ['olink_npx', 'long_csv'] as const
).map((value) => ({ value, label: formatLabel(value) }));

/** Which of a set's values are listed. */
export function filterLabel(filter: SetValueFilter): string {
  switch (filter) {
    case 'all':
      return 'All';
    case 'unknown_codes':
      return 'Unknown codes only';
    case 'unmapped':
      return 'Unmapped partner codes only';
  }
}

export const FILTERS: readonly { value: SetValueFilter; label: string }[] = (
  ['all', 'unknown_codes', 'unmapped'] as const
).map((value) => ({ value, label: filterLabel(value) }));

/** Whose results a set holds: the partner lab's, or the lab's own. */
export function partnerLabel(partner: string | null): string {
  return partner ?? "The lab's own";
}

/** "and 12 more" when a list shows fewer codes than there are; nothing when it shows them all. */
export function moreWords(listed: number, total: number): string | null {
  return total > listed ? `and ${total - listed} more` : null;
}

/** A factor as typed, without a float's noise: 0.0555, not 0.055499999999999994. */
export function factorText(factor: number): string {
  return String(Number(factor.toPrecision(12)));
}

/**
 * How a partner's value becomes the lab's: "mg/dL × 0.0555 → mmol/L"; "× 1 (the same value)"
 * when nothing changes. A unit not stated is said so.
 */
export function conversionWords(m: {
  partner_unit: string | null;
  unit: string | null;
  factor: number;
}): string {
  const from = m.partner_unit?.trim() || 'partner value';
  const to = m.unit?.trim() || 'lab value';
  const same = m.factor === 1 ? ' (the same value)' : '';
  return `${from} × ${factorText(m.factor)} → ${to}${same}`;
}

/** A value as the file gave it, or that the file gave none. */
export function valueWords(value: Reading | null | undefined): string {
  return value ? readingWords(value) : 'no value';
}

/** A value converted to the lab's unit; nothing when the set needs no conversion or it has none. */
export function convertedWords(converted: Reading | number | null | undefined): string {
  if (converted === null || converted === undefined) return '—';
  return typeof converted === 'number' ? factorText(converted) : readingWords(converted);
}

/** What the preview found: "120 values: 40 tubes matched, 3 analytes, 2 controls." */
export function summaryWords(
  p: Pick<ResultSetPreview, 'values' | 'samples_matched' | 'analytes' | 'controls'>,
): string {
  return `${count(p.values, 'value')}: ${count(p.samples_matched, 'tube')} matched, ${count(p.analytes, 'analyte')}, ${count(p.controls, 'control')}.`;
}

/** What importing did, for the page's notice. */
export function outcomeWords(outcome: ResultSetOutcome, fileName: string): string {
  switch (outcome.outcome) {
    case 'imported': {
      const s = outcome.set;
      const unknown = s.unknown_codes > 0 ? `, ${count(s.unknown_codes, 'unknown code')}` : '';
      const unmapped =
        s.unmapped_codes > 0 ? `, ${count(s.unmapped_codes, 'partner code')} with no mapping` : '';
      return `Result set ${s.name} imported: ${count(s.value_count, 'value')}, ${count(s.samples_matched, 'tube')} matched${unknown}${unmapped}.`;
    }
    case 'already_imported':
      return `${fileName} was imported already; nothing changed.`;
  }
}

/** The arguments of a preview or an import: the partner and name only when typed. */
export function fileArgs(form: {
  format: ResultSetFormat;
  partner: string;
  name: string;
  fileName: string;
  base64: string;
}): ResultSetFileArgs {
  const partner = form.partner.trim();
  const name = form.name.trim();
  return {
    format: form.format,
    file_name: form.fileName,
    file_base64: form.base64,
    ...(partner ? { partner } : {}),
    ...(name ? { name } : {}),
  };
}

/** A file's bytes as base64, for the core (in chunks: a long file would overflow the stack). */
export function base64Of(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * A factor typed in the mapping form (a decimal point or comma), or null when it is no number
 * above zero.
 */
export function parseFactor(text: string): number | null {
  const trimmed = text.trim().replace(',', '.');
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) && n > 0 ? n : null;
}
