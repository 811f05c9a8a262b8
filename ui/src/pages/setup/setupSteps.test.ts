import { describe, expect, it } from 'vitest';
import type { SetupProgress } from '../../api/types';
import { firstStepToDo, setupSummary } from './setupSteps';

const EMPTY: SetupProgress = {
  lab_named: false,
  sites: 0,
  participant_blocks: 0,
  sample_blocks: 0,
  kit_templates: 0,
  lab_managers: 0,
  freezers: 0,
  boxes: 0,
  printers: 0,
  test_prints: 0,
};

describe('the setup guide', () => {
  it('opens a new lab at its first step', () => {
    expect(firstStepToDo(EMPTY, false)).toBe('lab');
    expect(setupSummary(EMPTY, false)).toEqual({ done: 0, total: 8, ready: false });
  });

  it('resumes at the first step not done, whatever was done after it', () => {
    const progress = { ...EMPTY, lab_named: true, sites: 1, kit_templates: 1 };
    expect(firstStepToDo(progress, false)).toBe('numbers');
    // Numbers need both blocks: participant numbers and the sample-code format.
    expect(firstStepToDo({ ...progress, participant_blocks: 1 }, false)).toBe('numbers');
    expect(firstStepToDo({ ...progress, participant_blocks: 1, sample_blocks: 1 }, false)).toBe(
      'people',
    );
  });

  it('is ready for a first kit without a printer or scanner, and done with both', () => {
    const ready = {
      ...EMPTY,
      lab_named: true,
      sites: 1,
      participant_blocks: 1,
      sample_blocks: 1,
      lab_managers: 1,
      kit_templates: 1,
      freezers: 1,
      boxes: 20,
      printers: 1,
    };
    expect(setupSummary(ready, false)).toEqual({ done: 6, total: 8, ready: true });
    expect(firstStepToDo(ready, false)).toBe('printer');
    expect(setupSummary({ ...ready, test_prints: 1 }, true)).toEqual({
      done: 8,
      total: 8,
      ready: true,
    });
  });
});
