import { describe, expect, it } from 'vitest';
import { count } from './words';

describe('counts in the lab’s words', () => {
  it('one is singular, every other number plural', () => {
    expect(count(1, 'tube')).toBe('1 tube');
    expect(count(5, 'tube')).toBe('5 tubes');
    expect(count(0, 'kit')).toBe('0 kits');
    expect(count(1, 'label')).toBe('1 label');
    expect(count(2, 'change')).toBe('2 changes');
    expect(count(1, 'entry', 'entries')).toBe('1 entry');
    expect(count(3, 'entry', 'entries')).toBe('3 entries');
  });
});
