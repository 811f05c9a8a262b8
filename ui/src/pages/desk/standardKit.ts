import type { KitTemplateRecord } from '../../api/types';

/** The kit the desk starts with, the standard one if the lab has one listed, and why, in words. */
export type StandardKit = {
  /** The lab's standard kit, when it is listed. */
  id: string | null;
  /** The kit to preselect; null to let the desk choose. */
  start: string | null;
  /** Which kit the desk starts with and why, for the kit step's hint. */
  hint: string | null;
};

/**
 * The desk starts with the lab's standard kit (the `standard_kit` setting). Only when the lab
 * has none set does it start with the first kit listed; a standard kit no longer listed is
 * said so, and nothing is preselected (the first kit would be a guess). `standardKit` is
 * undefined while the lab's settings are loading: nothing is chosen until they are known.
 */
export function standardKitOf(
  templates: readonly KitTemplateRecord[] | null,
  standardKit: string | null | undefined,
): StandardKit {
  const first = templates?.[0];
  if (!templates || !first || standardKit === undefined) {
    return { id: null, start: null, hint: null };
  }
  if (standardKit === null) {
    return {
      id: null,
      start: first.id,
      hint: `The lab has no standard kit set, so the desk starts with ${first.name}.`,
    };
  }
  const standard = templates.find((t) => t.id === standardKit);
  if (standard) {
    return {
      id: standard.id,
      start: standard.id,
      hint: `${standard.name} is the lab’s standard kit.`,
    };
  }
  return {
    id: null,
    start: null,
    hint: 'The lab’s standard kit is no longer listed: choose the kit.',
  };
}
