// Words for printers, print jobs and scanners, shared by the Printing page and the status bar.

import type {
  FlowControl,
  LabelStock,
  PrintJobRecord,
  PrinterAddress,
  PrinterLanguage,
  ScannerStatus,
  Terminator,
} from '../../api/types';
import { whoCan } from '../../lib/roles';

/** The colour of a status dot or pill. */
export type Tone = 'idle' | 'ok' | 'busy' | 'warn' | 'error';

export const STOCK_LABELS: Record<LabelStock, string> = {
  cryovial: 'Cryovial labels',
  tube_2x1: '2″ × 1″ tube labels',
  box_3x1: '3″ × 1″ box labels',
};

export const LANGUAGE_LABELS: Record<PrinterLanguage, string> = {
  zpl: 'ZPL (Zebra)',
  tspl: 'TSPL (TSC and compatibles)',
};

export const TERMINATOR_LABELS: Record<Terminator, string> = {
  cr: 'CR (carriage return)',
  lf: 'LF (line feed)',
  cr_lf: 'CR LF',
  any: 'Any of CR, LF or CR LF',
};

export const FLOW_CONTROL_LABELS: Record<FlowControl, string> = {
  none: 'None',
  software: 'Software (XON/XOFF)',
  hardware: 'Hardware (RTS/CTS)',
};

/** Baud rates a scanner can be set to (shared/domain/src/scanning.rs `SCANNER_BAUDS`). */
export const SCANNER_BAUDS = [9600, 19200, 38400, 57600, 115200, 230400] as const;

/** Baud rates label printers' serial ports offer. */
export const PRINTER_BAUDS = [9600, 19200, 38400, 57600, 115200] as const;

/** Stocks that carry sample labels and box labels (the core refuses the others). */
export function carriesSampleLabels(stock: LabelStock): boolean {
  return stock === 'cryovial' || stock === 'tube_2x1';
}

export function carriesBoxLabels(stock: LabelStock): boolean {
  return stock === 'box_3x1';
}

export function hex4(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Where a printer is, in words: "TCP 10.0.0.7:9100". */
export function describeAddress(address: PrinterAddress): string {
  switch (address.kind) {
    case 'tcp':
      return `Network ${address.host}:${address.port}`;
    case 'serial':
      return `Serial ${address.port} at ${address.baud} baud${
        address.hardware_flow_control ? ', hardware flow control' : ''
      }`;
    case 'device_file':
      return `Device file ${address.path}`;
    case 'usb':
      return `USB ${hex4(address.vendor_id)}:${hex4(address.product_id)}${
        address.serial_number ? ` serial ${address.serial_number}` : ''
      }`;
    case 'fake':
      return `In-memory test printer “${address.name}”`;
  }
}

/** What kind of label a job printed. */
export function describeTemplate(template: string): string {
  switch (template) {
    case 'test':
      return 'Test label';
    case 'cryovial-datamatrix':
      return 'Cryovial labels (DataMatrix)';
    case 'cryovial-qr':
      return 'Cryovial labels (QR)';
    case 'tube-2x1':
      return '2″ × 1″ tube labels';
    case 'box':
      return 'Box labels';
    default:
      return template;
  }
}

/** The state of a job a crash caught while it was being sent, in everyone's words. */
export const IN_DOUBT_LABEL = 'May have printed — check the printer';

/**
 * A job held after an interruption: the core set it aside ("sent", `in_doubt_since`) and never
 * resends it by itself; a person settles it (`settle_print_job`).
 */
export function isInDoubt(job: PrintJobRecord): boolean {
  return job.state === 'sent' && job.in_doubt_since !== null;
}

export type JobState = {
  tone: Tone;
  /** One or two words: "Printed", "Waiting". */
  label: string;
  /** What the worker is doing about it, or what to do; null when there is nothing to say. */
  detail: string | null;
};

/**
 * A job's state as the print worker left it. The worker retries queued jobs by itself and keeps a
 * job waiting while its printer reports a fault (`waiting_for` names what to do). What a person
 * does about a failed or held job (retry, confirm, print again) needs `print_labels`: `canPrint`
 * false says who does it instead.
 */
export function jobState(job: PrintJobRecord, canPrint = true): JobState {
  switch (job.state) {
    case 'done':
      return { tone: 'ok', label: 'Printed', detail: null };
    case 'sent':
      if (isInDoubt(job))
        return {
          tone: 'warn',
          label: IN_DOUBT_LABEL,
          detail: `The workstation stopped while this job was being sent, so its labels may have printed. It is not sent again by itself: ${
            canPrint
              ? 'look at the printer, then confirm the labels are there or print them again.'
              : `${whoCan('print_labels')} looks at the printer, then confirms the labels are there or prints them again.`
          }`,
        };
      return { tone: 'busy', label: 'Sending', detail: 'Sending to the printer now.' };
    case 'failed':
      return {
        tone: 'error',
        label: 'Failed',
        detail: `${job.last_error ? `${sentence(job.last_error)} ` : ''}Gave up after ${
          job.attempts
        } ${job.attempts === 1 ? 'attempt' : 'attempts'}. ${
          canPrint
            ? 'Fix the printer, then retry the job from the print queue.'
            : `Once the printer is fixed, ${whoCan('print_labels')} can retry the job from the print queue.`
        }`,
      };
    case 'queued':
      if (job.waiting_for)
        return {
          tone: 'warn',
          label: 'Waiting',
          detail: `The printer needs attention: ${job.waiting_for}. Printing resumes by itself.`,
        };
      if (job.last_error)
        return {
          tone: 'warn',
          label: 'Retrying',
          detail: `${sentence(job.last_error)} Trying again by itself (attempt ${
            job.attempts + 1
          }).`,
        };
      return { tone: 'busy', label: 'Queued', detail: 'Waiting for its turn.' };
    case 'cancelled':
      return {
        tone: 'idle',
        label: 'Cancelled',
        detail: job.cancel_reason ? `Cancelled: ${job.cancel_reason}` : 'Taken off the queue.',
      };
    default:
      return { tone: 'idle', label: job.state, detail: null };
  }
}

/** Capitalises and ends a message from the core with a full stop. */
function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

export type ScannerText = { tone: Tone; text: string; detail: string | null };

/**
 * The scanners' state in the "Scanner: …" form of the status bar: the device scanner as the
 * core's supervisor sees it, and a keyboard-wedge scanner once one has scanned in this window
 * (`wedgeSeen`; it needs no setting and the core never sees it, so only its scans show it works).
 */
export function scannerText(
  status: ScannerStatus | null,
  failed: boolean,
  wedgeSeen = false,
): ScannerText {
  const wedge = 'A keyboard-wedge scanner has scanned in this window.';
  if (failed || status === null) {
    if (wedgeSeen) return { tone: 'ok', text: 'Scanner: keyboard', detail: wedge };
    return { tone: 'idle', text: failed ? 'Scanner: unknown' : 'Scanner: …', detail: null };
  }
  switch (status.state) {
    case 'not_configured':
      if (wedgeSeen)
        return {
          tone: 'ok',
          text: 'Scanner: keyboard',
          detail: `${wedge} No serial or USB HID POS scanner is set.`,
        };
      return {
        tone: 'idle',
        text: 'Scanner: none',
        detail:
          'No serial or USB HID POS scanner is set. A keyboard-wedge scanner needs no setting; it shows here once it has scanned.',
      };
    case 'connected':
      return {
        tone: 'ok',
        text: `Scanner: connected (${status.source})${wedgeSeen ? ' · keyboard' : ''}`,
        detail: wedgeSeen ? wedge : null,
      };
    case 'unavailable':
      return {
        tone: wedgeSeen ? 'warn' : 'error',
        text: `Scanner: unavailable (${status.source})${wedgeSeen ? ' · keyboard works' : ''}`,
        detail: sentence(status.problem),
      };
  }
}

/**
 * What to do next with a printer just saved, offering only what the user may do: a test print
 * needs `print_labels` (administrators set printers up but do not print), routing labels to it
 * needs `change_settings`.
 */
export function savedPrinterNotice(name: string, canPrint: boolean, canRoute: boolean): string {
  const next: string[] = [];
  if (canPrint) next.push('Press “Test print” to check it');
  if (canRoute)
    next.push(`${next.length ? 'route' : 'Route'} labels to it under Label routing below`);
  const steps = next.length ? ` ${next.join(', and ')}.` : '';
  const test = canPrint ? '' : ` A test print checks it; that is for ${whoCan('print_labels')}.`;
  return `Printer “${name}” saved.${steps}${test}`;
}
