import type {
  BoxLayout,
  BoxRecord,
  FreezerKind,
  RackScanDiff,
  SampleStatus,
} from '../../api/types';
import { statusLabel } from '../../lib/samples';
import { count } from '../../lib/words';

// Words and colours of the storage screens.

export const FREEZER_KINDS: readonly { value: FreezerKind; label: string; temperature: number }[] =
  [
    { value: 'ultra_low', label: 'Ultra-low freezer (−100 to −60 °C)', temperature: -80 },
    { value: 'freezer', label: 'Freezer (−40 to −10 °C)', temperature: -20 },
    { value: 'liquid_nitrogen', label: 'Liquid nitrogen (−200 to −130 °C)', temperature: -196 },
    { value: 'refrigerator', label: 'Refrigerator (0 to 10 °C)', temperature: 4 },
    { value: 'ambient', label: 'Ambient (10 to 35 °C)', temperature: 20 },
  ];

export function freezerKindLabel(kind: FreezerKind): string {
  return FREEZER_KINDS.find((k) => k.value === kind)?.label.replace(/ \(.*\)$/, '') ?? kind;
}

/** "45 / 96" for a grid or a bag with a capacity, "12 tubes" (or "1 tube") for a bag without one. */
export function occupancy(box: BoxRecord): string {
  return box.capacity === null ? count(box.occupied, 'tube') : `${box.occupied} / ${box.capacity}`;
}

export function occupancyRatio(box: BoxRecord): number {
  if (box.capacity === null || box.capacity === 0) return 0;
  return Math.min(1, box.occupied / box.capacity);
}

export function layoutLabel(layout: BoxLayout): string {
  if (layout.kind === 'grid') return `${layout.rows} × ${layout.columns} grid`;
  return layout.capacity === null
    ? 'Bag (no positions)'
    : `Bag of ${layout.capacity} (no positions)`;
}

/** Row letter for a zero-based row. */
export function rowLetter(row: number): string {
  return String.fromCharCode(65 + row);
}

export function positionName(row: number, column: number): string {
  return `${rowLetter(row)}${column + 1}`;
}

/** Normalises a position as the core names it (A01 → A1). */
export function normalisePosition(text: string): string {
  const m = /^([A-Za-z])0*(\d+)$/.exec(text.trim());
  return m ? `${m[1]!.toUpperCase()}${m[2]}` : text.trim().toUpperCase();
}

export const STATUS_COLOURS: Record<SampleStatus, string> = {
  collected: 'tone-1',
  in_transit: 'tone-2',
  received: 'tone-3',
  processing: 'tone-4',
  stored: 'tone-5',
  checked_out: 'tone-6',
  depleted: 'tone-7',
  disposed: 'tone-8',
};

/** The colours of the types every lab starts with; a type the lab adds gets one by its code. */
const TYPE_COLOURS: Record<string, string> = {
  plasma: 'type-1',
  serum: 'type-2',
  whole_blood: 'type-3',
  buffy_coat: 'type-4',
  dna: 'type-5',
  rna: 'type-6',
  pbmc: 'type-7',
  urine: 'type-8',
  saliva: 'type-9',
  stool: 'type-10',
};

export function statusClass(status: SampleStatus): string {
  return STATUS_COLOURS[status] ?? 'tone-7';
}

export function typeClass(type: string): string {
  const known = TYPE_COLOURS[type];
  if (known) return known;
  let hash = 0;
  for (const c of type) hash = (hash * 31 + c.charCodeAt(0)) % 10007;
  return `type-${(hash % 10) + 1}`;
}

export { statusLabel };

/** What a rack scan says about a well, for colouring the map. */
export type DiffKind =
  'match' | 'move_in' | 'move_out' | 'arrival' | 'missing' | 'unknown' | 'unreadable' | 'conflict';

export const DIFF_KINDS: readonly { kind: DiffKind; label: string; help: string }[] = [
  { kind: 'match', label: 'Match', help: 'the tube is where the records have it' },
  { kind: 'move_in', label: 'Moved here', help: 'a tube of this box found in this well' },
  {
    kind: 'move_out',
    label: 'Moved away',
    help: 'the records have a tube here that was found in another well',
  },
  { kind: 'arrival', label: 'Arriving', help: 'a tube the records have elsewhere, found here' },
  {
    kind: 'missing',
    label: 'Missing',
    help: 'the records have a tube here the scan did not find; it stays recorded',
  },
  {
    kind: 'unknown',
    label: 'Unknown code',
    help: 'a code the lab does not know; it is not placed',
  },
  {
    kind: 'unreadable',
    label: 'Unreadable',
    help: 'the scanner could not read this well; nothing changes',
  },
  {
    kind: 'conflict',
    label: 'Conflict',
    help: 'the well is still held by a tube that stays; not imported',
  },
];

export type DiffCell = { kind: DiffKind; code: string; detail: string };

/** One entry per position the diff speaks about (a conflict wins over what else is said). */
export function diffByPosition(diff: RackScanDiff): Map<string, DiffCell> {
  const cells = new Map<string, DiffCell>();
  const set = (position: string, cell: DiffCell) => cells.set(normalisePosition(position), cell);
  for (const m of diff.missing)
    set(m.position, { kind: 'missing', code: m.code, detail: `${m.code} not found by the scan` });
  for (const m of diff.misplaced) {
    if (!cells.has(normalisePosition(m.from)))
      set(m.from, { kind: 'move_out', code: m.code, detail: `${m.code} was found at ${m.to}` });
  }
  for (const m of diff.matched)
    set(m.position, { kind: 'match', code: m.code, detail: `${m.code} as recorded` });
  for (const u of diff.unreadable)
    set(u.position, {
      kind: 'unreadable',
      code: u.expected_code ?? '',
      detail: u.expected_code ? `could not read; probably ${u.expected_code}` : 'could not read',
    });
  for (const u of diff.unknown)
    set(u.position, { kind: 'unknown', code: u.code, detail: `${u.code} is not known to the lab` });
  for (const m of diff.misplaced)
    set(m.to, { kind: 'move_in', code: m.code, detail: `${m.code} moves here from ${m.from}` });
  for (const a of diff.extra)
    set(a.position, {
      kind: 'arrival',
      code: a.code,
      detail: a.from_box
        ? `${a.code} arrives from box ${a.from_box}${a.from_position ? ` ${a.from_position}` : ''}`
        : `${a.code} arrives (not in a box before)`,
    });
  for (const c of diff.conflicts)
    set(c.position, {
      kind: 'conflict',
      code: c.code,
      detail: `${c.code} was found here, but ${c.occupant_code} stays recorded here`,
    });
  return cells;
}
