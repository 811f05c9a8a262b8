import { describe, expect, it } from 'vitest';
import type { PrintJobRecord } from '../../api/types';
import {
  IN_DOUBT_LABEL,
  isInDoubt,
  jobState,
  savedPrinterNotice,
  scannerText,
} from './printingText';

function job(fields: Partial<PrintJobRecord>): PrintJobRecord {
  return {
    id: '0190f3a0-0000-7000-8000-000000000001',
    printer: 'Desk Zebra',
    template: 'cryovial-datamatrix',
    subject: 'kit of P0000012X',
    records: [],
    copies: 1,
    state: 'queued',
    attempts: 0,
    last_error: null,
    waiting_for: null,
    reprint_of: null,
    reason: null,
    cancel_reason: null,
    in_doubt_since: null,
    created_at: '2026-05-04T09:00:00.000000Z',
    updated_at: '2026-05-04T09:00:00.000000Z',
    ...fields,
  };
}

describe("a print job's state in words", () => {
  it('a job being sent now is "Sending"', () => {
    const sending = job({ state: 'sent', attempts: 1 });
    expect(isInDoubt(sending)).toBe(false);
    expect(jobState(sending)).toMatchObject({ tone: 'busy', label: 'Sending' });
  });

  it('a job a crash caught while sending may have printed: check the printer', () => {
    const held = job({
      state: 'sent',
      attempts: 1,
      in_doubt_since: '2026-05-04T09:01:00.000000Z',
      last_error: 'interrupted while printing: it may have printed.',
    });
    expect(isInDoubt(held)).toBe(true);
    const state = jobState(held);
    expect(state.tone).toBe('warn');
    expect(state.label).toBe(IN_DOUBT_LABEL);
    expect(state.label).toBe('May have printed — check the printer');
    expect(state.detail).toMatch(/not sent again by itself/);
  });

  it('only a job still "sent" is in doubt', () => {
    // Settled: printed, or queued again; the core clears `in_doubt_since` either way, but the
    // words follow the state even if it did not.
    for (const state of ['done', 'queued', 'failed', 'cancelled']) {
      expect(isInDoubt(job({ state, in_doubt_since: '2026-05-04T09:01:00.000000Z' }))).toBe(false);
    }
  });

  it('a queued job with an error is retrying by itself', () => {
    expect(jobState(job({ attempts: 2, last_error: 'connection refused' }))).toEqual({
      tone: 'warn',
      label: 'Retrying',
      detail: 'Connection refused. Trying again by itself (attempt 3).',
    });
  });
});

describe('the scanner in the status bar', () => {
  const none = { state: 'not_configured' } as const;

  it('a keyboard-wedge scanner that has scanned here shows as working', () => {
    expect(scannerText(none, false, true)).toMatchObject({
      tone: 'ok',
      text: 'Scanner: keyboard',
    });
    // Even before (or without) the core's answer about device scanners.
    expect(scannerText(null, false, true)).toMatchObject({ tone: 'ok', text: 'Scanner: keyboard' });
    expect(scannerText(null, true, true)).toMatchObject({ tone: 'ok', text: 'Scanner: keyboard' });
  });

  it('no scanner set and no wedge scan yet is "none", in grey', () => {
    expect(scannerText(none, false, false)).toMatchObject({ tone: 'idle', text: 'Scanner: none' });
  });

  it('a device scanner keeps its state, and names the keyboard too once it has scanned', () => {
    const connected = { state: 'connected', source: '/dev/ttyACM0' } as const;
    expect(scannerText(connected, false, false).text).toBe('Scanner: connected (/dev/ttyACM0)');
    expect(scannerText(connected, false, true).text).toBe(
      'Scanner: connected (/dev/ttyACM0) · keyboard',
    );
    const gone = { state: 'unavailable', source: '/dev/ttyACM0', problem: 'unplugged' } as const;
    expect(scannerText(gone, false, false).tone).toBe('error');
    expect(scannerText(gone, false, true)).toMatchObject({
      tone: 'warn',
      text: 'Scanner: unavailable (/dev/ttyACM0) · keyboard works',
    });
  });
});

describe('what a message offers follows what the user may do', () => {
  it('after saving a printer, a test print is offered only to those who print labels', () => {
    const printer = savedPrinterNotice('Bench Zebra', true, true);
    expect(printer).toBe(
      'Printer “Bench Zebra” saved. Press “Test print” to check it, and route labels to it under Label routing below.',
    );
    // An administrator sets printers up and routes labels, but does not print.
    const admin = savedPrinterNotice('Bench Zebra', false, true);
    expect(admin).not.toMatch(/Press “Test print”/);
    expect(admin).toMatch(/Route labels to it under Label routing below\./);
    expect(admin).toMatch(/A test print checks it; that is for a lab manager, a technician/);
    expect(savedPrinterNotice('Bench Zebra', false, false)).toBe(
      'Printer “Bench Zebra” saved. A test print checks it; that is for a lab manager, a technician or a field coordinator.',
    );
  });

  it('a failed or held job tells someone who cannot print who does it', () => {
    const failed = job({ state: 'failed', attempts: 3, last_error: 'connection refused' });
    expect(jobState(failed).detail).toMatch(/Fix the printer, then retry the job/);
    expect(jobState(failed, false).detail).not.toMatch(/Fix the printer, then retry/);
    expect(jobState(failed, false).detail).toMatch(/a technician or a field coordinator can retry/);
    const held = job({ state: 'sent', in_doubt_since: '2026-05-04T09:01:00.000000Z' });
    expect(jobState(held, false).detail).toMatch(/field coordinator looks at the printer/);
  });
});
