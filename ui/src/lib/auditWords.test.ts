import { describe, expect, it } from 'vitest';
import commandRs from '../../../shared/domain/src/command.rs?raw';
import auditRs from '../../../shared/domain/src/audit.rs?raw';
import {
  ACTION_WORDS,
  actionFromWords,
  actionWords,
  placementWords,
  statusChangeWords,
} from './auditWords';

// Every action the core records (its commands and its other audit actions, read from the Rust
// source) has words, so the audit trail never shows a bare name such as `place_samples`.
const recorded = [
  ...[...commandRs.matchAll(/^\s*\w+ => "([a-z_]+)", \w+;/gm)].map((m) => m[1] ?? ''),
  ...[...auditRs.matchAll(/AuditAction::\w+ => "([a-z_]+)"/g)].map((m) => m[1] ?? ''),
];

describe('the audit trail’s words for actions', () => {
  it('finds the actions the core records', () => {
    expect(recorded).toContain('place_samples');
    expect(recorded).toContain('login_failed');
    expect(recorded.length).toBeGreaterThan(30);
  });

  it.each(recorded)('%s has words', (action) => {
    expect(ACTION_WORDS[action]).toBeDefined();
    expect(actionWords(action)).not.toMatch(/_/);
  });

  it('uses the lab’s words', () => {
    expect(actionWords('place_samples')).toBe('Placed in box');
    expect(actionWords('queue_print')).toBe('Label printed');
    expect(actionWords('receive_samples')).toBe('Received');
  });

  it('an action it does not know yet is still words, not a name', () => {
    expect(actionWords('weigh_tubes')).toBe('Weigh tubes');
  });

  it('a filter typed in words, or as the name, finds the recorded action', () => {
    expect(actionFromWords('placed in box')).toBe('place_samples');
    expect(actionFromWords(' Session ended by an administrator ')).toBe('session_revoked');
    expect(actionFromWords('session_revoked')).toBe('session_revoked');
    expect(actionFromWords('something else')).toBe('something else');
  });
});

describe('a tube’s history in words', () => {
  it('says how a status changed, not the path’s name', () => {
    expect(statusChangeWords('collected', 'received', 'manual')).toBe('Collected → Received');
    expect(statusChangeWords('stored', 'disposed', 'discard')).toBe(
      'Stored → Disposed (discard approved)',
    );
    expect(statusChangeWords('received', 'stored', 'placement')).toBe(
      'Received → Stored (placed in a box)',
    );
    expect(statusChangeWords(null, 'collected', 'registration')).toBe('Collected (kit registered)');
  });

  it('says where a tube was placed and how', () => {
    expect(placementWords('B4', true, 'scan')).toBe('Placed in box at B4 (by scanning)');
    expect(placementWords(null, true, 'rack_import')).toBe('Placed in box (from a rack scan)');
    expect(placementWords(null, false, 'discard')).toBe('Taken out of its box (discarded)');
    expect(placementWords(null, false, 'unplace')).toBe('Taken out of its box (onto the bench)');
  });
});
