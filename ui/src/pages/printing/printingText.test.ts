import { describe, expect, it } from 'vitest';
import type { PrintJobRecord } from '../../api/types';
import { IN_DOUBT_LABEL, isInDoubt, jobState } from './printingText';

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
