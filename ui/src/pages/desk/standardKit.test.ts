import { describe, expect, it } from 'vitest';
import type { KitTemplateRecord } from '../../api/types';
import { standardKitOf } from './standardKit';

const kit = (id: string, name: string): KitTemplateRecord => ({
  id,
  name,
  version: 1,
  items: [],
  tube_count: 1,
  retired_at: null,
  retire_reason: null,
});

// Listed by name, as the core lists them: the standard kit is not the first.
const KITS = [kit('k-saliva', 'Saliva only'), kit('k-std', 'Standard blood and urine')];

describe('the kit the desk starts with', () => {
  it('is the lab’s standard kit, wherever it is in the list, and the hint names it', () => {
    expect(standardKitOf(KITS, 'k-std')).toEqual({
      id: 'k-std',
      start: 'k-std',
      hint: 'Standard blood and urine is the lab’s standard kit.',
    });
  });

  it('is the first kit only when the lab has no standard kit, and the hint says so', () => {
    const chosen = standardKitOf(KITS, null);
    expect(chosen.start).toBe('k-saliva');
    expect(chosen.id).toBeNull();
    expect(chosen.hint).toMatch(/no standard kit set/);
  });

  it('is none when the standard kit is no longer listed: the desk asks instead of guessing', () => {
    const chosen = standardKitOf(KITS, 'k-gone');
    expect(chosen.start).toBeNull();
    expect(chosen.hint).toMatch(/no longer listed/);
  });

  it('waits for the kits and the lab’s settings', () => {
    expect(standardKitOf(null, 'k-std').start).toBeNull();
    expect(standardKitOf(KITS, undefined).start).toBeNull();
    expect(standardKitOf([], null).start).toBeNull();
  });
});
