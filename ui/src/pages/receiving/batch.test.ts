import { describe, expect, it } from 'vitest';
import type { ReceiptCandidate, ReceiptCheck, SampleView } from '../../api/types';
import {
  EMPTY_BATCH,
  addScan,
  feedbackFor,
  inBatch,
  keyOf,
  manifestCounts,
  receiveButtonText,
  receivedText,
  removeScan,
  toReceive,
  toReceiveText,
  undoLast,
  unexpected,
  type Batch,
} from './batch';

function sample(code: string, over: Partial<SampleView> = {}): SampleView {
  return {
    id: `id-${code}`,
    code,
    sample_type: 'plasma',
    sample_type_code: 'PL',
    sample_type_label: 'Plasma',
    status: 'collected',
    volume_ul: 500,
    parent_id: null,
    event_id: 'event-1',
    collected_at: '2026-05-01T09:00:00Z',
    collector: 'Demo Phlebotomist',
    time_out_seconds: 0,
    checked_out_at: null,
    participant_id: 'p-1',
    participant_code: 'P0001X',
    consent: 'given',
    consent_withdrawn: false,
    site_code: 'NORTH',
    site_name: 'North Clinic',
    location: null,
    next_statuses: [],
    ...over,
  };
}

const STEPS: Record<ReceiptCheck, string> = {
  receivable: 'is ready to receive.',
  consent_withdrawn: 'Receive it, keep it apart and request its discard.',
  already_received: 'Put it with the tubes to store, or scan the next tube.',
  ended: 'set it aside and tell a lab manager.',
};

function tube(code: string, check: ReceiptCheck = 'receivable', over: Partial<SampleView> = {}) {
  const joins = check === 'receivable' || check === 'consent_withdrawn';
  return {
    code,
    sample: sample(code, over),
    check,
    joins_batch: joins,
    next_step: `${code} ${STEPS[check]}`,
  } satisfies ReceiptCandidate;
}

function unknownCode(code: string): ReceiptCandidate {
  return {
    code,
    sample: null,
    check: null,
    joins_batch: false,
    next_step: `${code} is not a tube known to this workstation: check the label`,
  };
}

function scanAll(...candidates: ReceiptCandidate[]): Batch {
  return candidates.reduce((b, c) => addScan(b, c).batch, EMPTY_BATCH);
}

describe('the receiving batch', () => {
  it('counts the tubes to receive, in the lab’s words', () => {
    const batch = scanAll(tube('A1'), tube('A2'), tube('A3'));
    expect(toReceive(batch).map((s) => s.code)).toEqual(['A1', 'A2', 'A3']);
    expect(toReceiveText(toReceive(batch).length)).toBe('3 tubes to receive');
    expect(toReceiveText(1)).toBe('1 tube to receive');
    expect(receiveButtonText(3)).toBe('Receive 3 tubes');
    expect(receiveButtonText(1)).toBe('Receive 1 tube');
    expect(receivedText(5)).toBe('5 tubes received');
  });

  it('takes a tube once, however often it is scanned, and says so', () => {
    const once = scanAll(tube('A1'), tube('A2'));
    const again = addScan(once, tube('A1'));
    expect(again.outcome).toBe('duplicate');
    expect(again.batch).toBe(once);
    expect(toReceive(again.batch)).toHaveLength(2);
    const said = feedbackFor(again.outcome, again.scanned, again.batch);
    expect(said.tone).toBe('refused');
    expect(said.message).toMatch(/A1 is already in this batch; it was not added twice/);
    expect(said.nextStep).toBeTruthy();
  });

  it('knows a tube scanned without its check character as the same tube', () => {
    const batch = scanAll(tube('A1'));
    // The core resolves the short code to the tube: the same sample id.
    const short = { ...tube('A1'), code: 'A' };
    expect(addScan(batch, short).outcome).toBe('duplicate');
  });

  it('an unknown code is set aside once, with the core’s next step', () => {
    const first = addScan(EMPTY_BATCH, unknownCode('zz9'));
    expect(first.outcome).toBe('set_aside');
    expect(toReceive(first.batch)).toHaveLength(0);
    expect(unexpected(first.batch).map((s) => s.code)).toEqual(['zz9']);
    expect(addScan(first.batch, unknownCode('ZZ9 ')).outcome).toBe('duplicate');
    const said = feedbackFor(first.outcome, first.scanned, first.batch);
    expect(said.tone).toBe('unknown');
    expect(said.nextStep).toMatch(/check the label/);
  });

  it('a consent-withdrawn tube joins the batch but is called out', () => {
    const r = addScan(EMPTY_BATCH, tube('W1', 'consent_withdrawn'));
    expect(r.outcome).toBe('flagged');
    expect(toReceive(r.batch).map((s) => s.code)).toEqual(['W1']);
    expect(unexpected(r.batch).map((s) => s.code)).toEqual(['W1']);
    const said = feedbackFor(r.outcome, r.scanned, r.batch);
    expect(said.tone).toBe('warning');
    expect(said.message).toMatch(/1 tube to receive/);
    expect(said.nextStep).toMatch(/keep it apart/);
  });

  it('a tube already in the lab, or used up, does not join and is called out', () => {
    const batch = scanAll(tube('A1'), tube('S1', 'already_received'), tube('D1', 'ended'));
    expect(toReceive(batch).map((s) => s.code)).toEqual(['A1']);
    expect(unexpected(batch).map((s) => s.code)).toEqual(['S1', 'D1']);
    const r = addScan(EMPTY_BATCH, tube('S1', 'already_received'));
    const said = feedbackFor(r.outcome, r.scanned, r.batch);
    expect(said.tone).toBe('refused');
    expect(said.message).toBe('S1 was not added to the batch: already in the lab.');
    expect(said.nextStep).toMatch(/scan the next tube/);
  });

  it('UNDO takes back the last scan, whatever it was, then the one before', () => {
    let batch = scanAll(tube('A1'), tube('A2'), unknownCode('ZZ'));
    let r = undoLast(batch);
    expect(r.removed?.code).toBe('ZZ');
    batch = r.batch;
    expect(unexpected(batch)).toHaveLength(0);
    r = undoLast(batch);
    expect(r.removed?.code).toBe('A2');
    expect(toReceive(r.batch).map((s) => s.code)).toEqual(['A1']);
    // An undone tube can be scanned again.
    expect(addScan(r.batch, tube('A2')).outcome).toBe('added');
  });

  it('UNDO on an empty batch removes nothing', () => {
    const r = undoLast(EMPTY_BATCH);
    expect(r.removed).toBeNull();
    expect(r.batch).toBe(EMPTY_BATCH);
  });

  it('a tube can be taken out by its key', () => {
    const batch = scanAll(tube('A1'), tube('A2'));
    const [first] = toReceive(batch);
    const left = removeScan(batch, keyOf(first!));
    expect(toReceive(left).map((s) => s.code)).toEqual(['A2']);
    expect(inBatch(left, 'id-A1')).toBe(false);
    expect(inBatch(left, 'id-A2')).toBe(true);
  });

  it('the manifest counts what is scanned and what is still missing, per event', () => {
    const batch = scanAll(
      tube('A1'),
      tube('A2'),
      tube('B1', 'receivable', { event_id: 'event-2' }),
      tube('S1', 'already_received'),
      unknownCode('ZZ'),
    );
    expect(manifestCounts(10, batch, 'event-1')).toEqual({ scanned: 2, missing: 8 });
    expect(manifestCounts(10, batch, 'event-2')).toEqual({ scanned: 1, missing: 9 });
    expect(manifestCounts(12, batch, null)).toEqual({ scanned: 3, missing: 9 });
    expect(manifestCounts(1, batch, null)).toEqual({ scanned: 3, missing: 0 });
  });

  it('an accepted tube needs no next step; every refusal has one', () => {
    const r = addScan(EMPTY_BATCH, tube('A1'));
    expect(feedbackFor(r.outcome, r.scanned, r.batch)).toEqual({
      tone: 'accepted',
      message: 'A1 added: 1 tube to receive.',
    });
    for (const c of [
      unknownCode('ZZ'),
      tube('S1', 'already_received'),
      tube('D1', 'ended'),
      tube('W1', 'consent_withdrawn'),
    ]) {
      const x = addScan(EMPTY_BATCH, c);
      expect(feedbackFor(x.outcome, x.scanned, x.batch).nextStep).toBeTruthy();
    }
  });
});
