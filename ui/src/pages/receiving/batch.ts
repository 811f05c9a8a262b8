// The receiving batch: what the technician has scanned so far, in scan order. Pure, so the
// rules (a tube once, undo the last scan, what counts as "to receive") are tested apart from
// the screen.

import type { ReceiptCandidate, ReceiptCheck, SampleView } from '../../api/types';
import type { FeedbackTone } from '../../scan/ScanContext';
import { count } from '../../lib/words';

/** One scan at receiving, as the core judged it (`check_receipt`). */
export type Scanned = {
  /** The tube's own code when the scan names one (the scan may lack its check character). */
  code: string;
  /** The tube; null for a code no tube has. */
  sample: SampleView | null;
  /** Null when the code names no tube. */
  check: ReceiptCheck | null;
  /** Whether it is received with the batch (receivable, or receivable but flagged). */
  joins: boolean;
  /** What to do next, in the core's words. */
  nextStep: string;
};

export type Batch = { readonly scanned: readonly Scanned[] };

export const EMPTY_BATCH: Batch = { scanned: [] };

/** What a scan did to the batch. */
export type ScanOutcome =
  /** A tube to receive. */
  | 'added'
  /** Joins the batch, but must be kept apart (its participant withdrew consent). */
  | 'flagged'
  /** Does not join: unknown, already in the lab, or used up. Listed to be set aside. */
  | 'set_aside'
  /** Scanned before: nothing changed. */
  | 'duplicate';

export function scannedOf(candidate: ReceiptCandidate): Scanned {
  return {
    code: candidate.sample?.code ?? candidate.code,
    sample: candidate.sample,
    check: candidate.check,
    joins: candidate.joins_batch && candidate.sample !== null,
    nextStep: candidate.next_step,
  };
}

/** The same tube is the same whatever was scanned; an unknown code is known by its text. */
export function keyOf(s: Scanned): string {
  return s.sample ? `sample:${s.sample.id}` : `code:${s.code.trim().toUpperCase()}`;
}

export function addScan(
  batch: Batch,
  candidate: ReceiptCandidate,
): { batch: Batch; outcome: ScanOutcome; scanned: Scanned } {
  const scanned = scannedOf(candidate);
  const key = keyOf(scanned);
  const before = batch.scanned.find((s) => keyOf(s) === key);
  if (before) return { batch, outcome: 'duplicate', scanned: before };
  const outcome: ScanOutcome = !scanned.joins
    ? 'set_aside'
    : scanned.check === 'consent_withdrawn'
      ? 'flagged'
      : 'added';
  return { batch: { scanned: [...batch.scanned, scanned] }, outcome, scanned };
}

/** Takes back the last scan, whatever it was (UNDO). */
export function undoLast(batch: Batch): { batch: Batch; removed: Scanned | null } {
  const removed = batch.scanned[batch.scanned.length - 1] ?? null;
  if (!removed) return { batch, removed: null };
  return { batch: { scanned: batch.scanned.slice(0, -1) }, removed };
}

export function removeScan(batch: Batch, key: string): Batch {
  return { scanned: batch.scanned.filter((s) => keyOf(s) !== key) };
}

/** The tubes the batch receives, in scan order. */
export function toReceive(batch: Batch): (Scanned & { sample: SampleView })[] {
  return batch.scanned.filter((s): s is Scanned & { sample: SampleView } => s.joins);
}

/** Everything that is not a plain "ready to receive": flagged tubes and the ones set aside. */
export function unexpected(batch: Batch): Scanned[] {
  return batch.scanned.filter((s) => s.check !== 'receivable' || !s.joins);
}

/** Whether `sampleId` is among the tubes this batch receives. */
export function inBatch(batch: Batch, sampleId: string): boolean {
  return batch.scanned.some((s) => s.joins && s.sample?.id === sampleId);
}

export function toReceiveText(n: number): string {
  return `${count(n, 'tube')} to receive`;
}

export function receiveButtonText(n: number): string {
  return `Receive ${count(n, 'tube')}`;
}

export function receivedText(n: number): string {
  return `${count(n, 'tube')} received`;
}

/** What a scan is, in the lab's words. */
export function whatItIs(check: ReceiptCheck | null): string {
  switch (check) {
    case 'consent_withdrawn':
      return 'consent withdrawn';
    case 'already_received':
      return 'already in the lab';
    case 'ended':
      return 'used up or disposed of';
    case 'receivable':
      return 'ready to receive';
    case null:
      return 'not a registered tube';
  }
}

/**
 * The manifest's counts: of the `expected` tubes (all pages, of one field event or of all),
 * how many are scanned into this batch and how many are still missing. A tube in the batch is
 * one of the expected ones exactly when it joins the batch (collected or in transit) and comes
 * from the event shown.
 */
export function manifestCounts(
  expected: number,
  batch: Batch,
  eventId: string | null,
): { scanned: number; missing: number } {
  const scanned = toReceive(batch).filter(
    (s) => eventId === null || s.sample.event_id === eventId,
  ).length;
  return { scanned, missing: Math.max(0, expected - scanned) };
}

export type ScanFeedbackText = { tone: FeedbackTone; message: string; nextStep?: string };

/** What the feedback bar says about a scan at receiving. */
export function feedbackFor(
  outcome: ScanOutcome,
  scanned: Scanned,
  batch: Batch,
): ScanFeedbackText {
  const waiting = toReceiveText(toReceive(batch).length);
  switch (outcome) {
    case 'added':
      return { tone: 'accepted', message: `${scanned.code} added: ${waiting}.` };
    case 'flagged':
      return {
        tone: 'warning',
        message: `${scanned.code} added (${waiting}), flagged: consent withdrawn.`,
        nextStep: scanned.nextStep,
      };
    case 'set_aside':
      return {
        tone: scanned.check === null ? 'unknown' : 'refused',
        message: `${scanned.code} was not added to the batch: ${whatItIs(scanned.check)}.`,
        nextStep: scanned.nextStep,
      };
    case 'duplicate':
      return {
        tone: 'refused',
        message: `${scanned.code} is already in this batch; it was not added twice.`,
        nextStep: 'Scan the next tube, or scan CONFIRM to receive the batch.',
      };
  }
}
