import type { InstrumentKind, InstrumentStatus, ResultFormat } from '../../api/types';

// The lab's words for instruments (as in shared/domain/src/instruments.rs). Each map is typed
// by the core's enum, so a kind, status or format the core adds does not compile without words.

const KIND_WORDS: Record<InstrumentKind, string> = {
  plate_reader: 'Plate reader',
  qpcr: 'qPCR',
  bead_array: 'Bead array',
  nucleic_acid_qc: 'Nucleic-acid QC',
  cell_counter: 'Cell counter',
  other: 'Other',
};

const STATUS_WORDS: Record<InstrumentStatus, string> = {
  in_service: 'In service',
  out_of_service: 'Out of service',
  calibration_due: 'Calibration due',
};

const FORMAT_WORDS: Record<ResultFormat, string> = {
  gen5: 'BioTek Gen5 text',
  quantstudio: 'QuantStudio results (.txt)',
  bmg_mars: 'BMG MARS CSV',
  softmax_pro: 'SoftMax Pro text',
  luminex: 'Luminex xPONENT CSV',
  cfx: 'Bio-Rad CFX Maestro CSV',
  nanodrop: 'NanoDrop Eight',
  qubit: 'Qubit 4 CSV',
  vi_cell: 'Vi-CELL BLU CSV',
  mapped_csv: 'Generic CSV (mapped)',
};

function options<V extends string>(words: Record<V, string>): { value: V; label: string }[] {
  return (Object.keys(words) as V[]).map((value) => ({ value, label: words[value] }));
}

export const KINDS = options(KIND_WORDS);
export const STATUSES = options(STATUS_WORDS);
export const FORMATS = options(FORMAT_WORDS);

export function kindLabel(kind: InstrumentKind): string {
  return KIND_WORDS[kind] ?? kind;
}

export function statusLabel(status: InstrumentStatus): string {
  return STATUS_WORDS[status] ?? status;
}

export function formatLabel(format: ResultFormat): string {
  return FORMAT_WORDS[format] ?? format;
}
