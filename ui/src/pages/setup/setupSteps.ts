import type { Permission, SetupProgress } from '../../api/types';

// The guided setup's steps, in the order a new lab takes them. Whether a step is done is
// read from the core (`setup_progress`), so a guide left half-way resumes where the lab
// stands; only the scanner's test scan is this workstation's own, kept in the browser.

export type StepId =
  'lab' | 'site' | 'numbers' | 'people' | 'kits' | 'storage' | 'printer' | 'scanner';

export type SetupStep = {
  id: StepId;
  title: string;
  /** What the step is for, in the lab's words. */
  purpose: string;
  /** Who may do it (the core checks it again). */
  permission: Permission;
  /** A lab can start work without it (a printer or scanner can come later). */
  optional: boolean;
  done: (progress: SetupProgress, scannerTested: boolean) => boolean;
};

export const SETUP_STEPS: readonly SetupStep[] = [
  {
    id: 'lab',
    title: 'The lab’s name and time zone',
    purpose:
      'The name heads the screens, label sheets and reports. The time zone sets how dates and times are shown, and which day a field event falls on.',
    permission: 'change_settings',
    optional: false,
    done: (p) => p.lab_named,
  },
  {
    id: 'site',
    title: 'A collection site',
    purpose:
      'Participants are enrolled at a site. Each site has its own range of participant numbers, so two sites never give out the same number.',
    permission: 'manage_sites',
    optional: false,
    done: (p) => p.sites > 0,
  },
  {
    id: 'numbers',
    title: 'Numbers and sample codes for this workstation',
    purpose:
      'This workstation gives out participant numbers from a block of its site’s range, and sample codes in the lab’s format (prefix and digits) from a block of its own, so it keeps registering with no network.',
    permission: 'manage_number_blocks',
    optional: false,
    done: (p) => p.participant_blocks > 0 && p.sample_blocks > 0,
  },
  {
    id: 'people',
    title: 'A lab manager',
    purpose:
      'Lab managers run the lab day to day: they set up kits, storage and printers, and decide discards. The administrator manages the accounts.',
    permission: 'manage_users',
    optional: false,
    done: (p) => p.lab_managers > 0,
  },
  {
    id: 'kits',
    title: 'A kit template',
    purpose:
      'A kit is the set of tubes collected from a participant at once. The desk registers a whole kit in one step and prints its labels.',
    permission: 'manage_kit_templates',
    optional: false,
    done: (p) => p.kit_templates > 0,
  },
  {
    id: 'storage',
    title: 'A freezer with racks and boxes',
    purpose:
      'Tubes are stored in boxes, in racks, in freezers. Add a freezer, then its racks and boxes in one go, with the boxes’ labels.',
    permission: 'manage_storage',
    optional: false,
    done: (p) => p.boxes > 0,
  },
  {
    id: 'printer',
    title: 'A label printer, checked with a test print',
    purpose:
      'Tube and box labels print on this workstation’s label printer. A test label shows that the printer is reached and its labels are loaded.',
    permission: 'configure_devices',
    optional: true,
    done: (p) => p.test_prints > 0,
  },
  {
    id: 'scanner',
    title: 'A barcode scanner, checked with a test scan',
    purpose:
      'Everything at the bench is found by scanning. A test scan shows that this workstation reads the scanner.',
    permission: 'read_samples',
    optional: true,
    done: (_p, scannerTested) => scannerTested,
  },
];

/** The step the guide opens at: the first not done, or the last when all are done. */
export function firstStepToDo(progress: SetupProgress, scannerTested: boolean): StepId {
  const step = SETUP_STEPS.find((s) => !s.done(progress, scannerTested));
  return (step ?? SETUP_STEPS[SETUP_STEPS.length - 1]!).id;
}

/** Steps done, and whether every step a lab needs before its first kit is. */
export function setupSummary(
  progress: SetupProgress,
  scannerTested: boolean,
): { done: number; total: number; ready: boolean } {
  const done = SETUP_STEPS.filter((s) => s.done(progress, scannerTested)).length;
  const ready = SETUP_STEPS.every((s) => s.optional || s.done(progress, scannerTested));
  return { done, total: SETUP_STEPS.length, ready };
}

const SCANNER_TESTED_KEY = 'aliquot.setup.scanner-tested';

/** The test scan belongs to this workstation (its scanner), not to the lab. */
export function scannerTested(): boolean {
  try {
    return window.localStorage.getItem(SCANNER_TESTED_KEY) !== null;
  } catch {
    return false;
  }
}

export function rememberScannerTested(): void {
  try {
    window.localStorage.setItem(SCANNER_TESTED_KEY, new Date().toISOString());
  } catch {
    // Private windows may refuse storage: the step shows done for this visit only.
  }
}
