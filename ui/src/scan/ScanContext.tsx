import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import type { ScanKindView } from '../api/types';
import { errorMessage } from '../lib/errors';
import { screenOf, useNavigate } from '../router';
import { whoCan } from '../lib/roles';
import { useClient, useSession } from '../session';
import { playTone } from './tone';
import { DEFAULT_WEDGE_RULES, WedgeDetector } from './wedge';

/** The command barcodes of shared/devices (`AQCMD:` + name). */
export type ScanCommand = 'confirm' | 'cancel' | 'next_box' | 'undo';

const COMMANDS: Record<string, ScanCommand> = {
  'AQCMD:CONFIRM': 'confirm',
  'AQCMD:CANCEL': 'cancel',
  'AQCMD:NEXT-BOX': 'next_box',
  'AQCMD:UNDO': 'undo',
};

/** A scan from the device scanner or a keyboard-wedge scanner, whatever has the focus. */
export type Scan = {
  text: string;
  source: 'keyboard' | 'device';
  /** Set for command barcodes (CONFIRM, CANCEL, NEXT BOX, UNDO). */
  command: ScanCommand | null;
};

export function commandOf(text: string, kind?: ScanKindView): ScanCommand | null {
  if (kind === 'confirm' || kind === 'cancel' || kind === 'next_box' || kind === 'undo') {
    return kind;
  }
  return COMMANDS[text.trim().toUpperCase()] ?? null;
}

/** What a screen makes of a scan: it took it (`true`) or leaves it to the default. */
export type ScanHandler = (scan: Scan) => boolean | Promise<boolean>;

/** `warning`: taken, but the tube needs a second look (e.g. a consent-withdrawn tube received). */
export type FeedbackTone = 'accepted' | 'refused' | 'unknown' | 'warning';
/**
 * The outcome of a scan, for the screen (`screenOf` its route) it was given on. Anything but
 * `accepted` carries a next step (see ScanFeedbackBar).
 */
export type Feedback = {
  tone: FeedbackTone;
  message: string;
  nextStep: string | null;
  at: number;
  screen: string;
};

/**
 * Said when a refusal's caller names no next step of its own (a core message, a driver's).
 * Registering an unknown code is offered only to those who may (`register_samples`).
 */
function generalNextStep(tone: Exclude<FeedbackTone, 'accepted'>, canRegister: boolean): string {
  switch (tone) {
    case 'refused':
      return 'Check what you scanned and try again; if it is refused again, ask a lab manager.';
    case 'unknown':
      return canRegister
        ? 'Check the label and scan it again, or register the code first.'
        : `Check the label and scan it again; a code is known once ${whoCan('register_samples')} registers it.`;
    case 'warning':
      return 'Set the tube aside and tell a lab manager.';
  }
}

export type GiveFeedback = (tone: FeedbackTone, message: string, nextStep?: string) => void;

type ScanApi = {
  /** Registers the screen's handler; the newest registered handler is asked first. */
  register: (handler: ScanHandler) => () => void;
  /** Shows (and sounds) the outcome of a scan or of anything the user did by scanning. */
  feedback: GiveFeedback;
  /** Feeds a scan in as if scanned (the manual "type a code" field uses it). */
  submit: (scan: Scan) => void;
  last: Feedback | null;
  /** A keyboard-wedge scan has been seen in this window: such a scanner works here. */
  wedgeSeen: boolean;
};

const ScanContext = createContext<ScanApi | null>(null);

function useScanApi(): ScanApi {
  const api = useContext(ScanContext);
  if (api === null) throw new Error('scan hooks outside of ScanProvider');
  return api;
}

/** A screen's scan handler, active while the component is shown. */
export function useScanHandler(handler: ScanHandler): void {
  const { register } = useScanApi();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => register((scan) => ref.current(scan)), [register]);
}

export function useScanFeedback(): GiveFeedback {
  return useScanApi().feedback;
}

export function useSubmitScan(): (scan: Scan) => void {
  return useScanApi().submit;
}

export function useLastFeedback(): Feedback | null {
  return useScanApi().last;
}

/** Whether a keyboard-wedge scanner has been seen at work in this window (false outside the shell). */
export function useWedgeSeen(): boolean {
  return useContext(ScanContext)?.wedgeSeen ?? false;
}

const WEDGE_SEEN_KEY = 'aliquot.scanner.wedge-seen';

function loadWedgeSeen(): boolean {
  try {
    return window.sessionStorage.getItem(WEDGE_SEEN_KEY) === 'yes';
  } catch {
    return false;
  }
}

function saveWedgeSeen(): void {
  try {
    window.sessionStorage.setItem(WEDGE_SEEN_KEY, 'yes');
  } catch {
    // Then it is remembered until the window reloads.
  }
}

function isTextEntry(el: Element | null): el is HTMLInputElement | HTMLTextAreaElement {
  if (el instanceof HTMLTextAreaElement) return true;
  return (
    el instanceof HTMLInputElement &&
    ['text', 'search', 'password', 'email', 'number', 'tel', 'url', ''].includes(el.type)
  );
}

/**
 * Takes a wedge scan back out of the text field it was typed into, so a scan made while
 * the focus was in, say, a comment field does not leave the code there. React's controlled
 * inputs need the native setter and an input event to notice.
 */
function removeTyped(el: HTMLInputElement | HTMLTextAreaElement, count: number): void {
  const end = el.selectionStart ?? el.value.length;
  const start = Math.max(0, end - count);
  const value = el.value.slice(0, start) + el.value.slice(end);
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement : HTMLInputElement;
  Object.getOwnPropertyDescriptor(proto.prototype, 'value')?.set?.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

/**
 * Scan anywhere: keyboard-wedge bursts (told from typing by timing and terminator, wherever
 * the focus is, except in fields marked `data-scan-input`, which take scans as their own
 * input) and device scans from the core's `scanned` events go to the screen's handler;
 * otherwise the code is looked up and its sample, box or participant opened.
 */
export function ScanProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const navigate = useNavigate();
  const canRegister = useSession().can('register_samples');
  const handlers = useRef<ScanHandler[]>([]);
  const [last, setLast] = useState<Feedback | null>(null);
  const [wedgeSeen, setWedgeSeen] = useState(loadWedgeSeen);

  // Feedback belongs to the screen it was given on; a scan that opens another screen gives
  // its feedback after navigating there.
  const feedback = useCallback(
    (tone: FeedbackTone, message: string, nextStep?: string) => {
      setLast({
        tone,
        message,
        nextStep: nextStep ?? (tone === 'accepted' ? null : generalNextStep(tone, canRegister)),
        at: Date.now(),
        screen: screenOf(window.location.hash),
      });
      playTone(tone);
    },
    [canRegister],
  );

  // Leaving the screen takes its message away: a red "no such code" must not follow the user
  // to an unrelated page.
  useEffect(() => {
    const onHash = () => {
      const screen = screenOf(window.location.hash);
      setLast((current) => (current && current.screen !== screen ? null : current));
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const noteWedge = useCallback(() => {
    setWedgeSeen((seen) => {
      if (!seen) saveWedgeSeen();
      return true;
    });
  }, []);

  const register = useCallback((handler: ScanHandler) => {
    handlers.current = [...handlers.current, handler];
    return () => {
      handlers.current = handlers.current.filter((h) => h !== handler);
    };
  }, []);

  const lookUp = useCallback(
    async (scan: Scan) => {
      if (scan.command) {
        feedback(
          'refused',
          `Nothing on this screen takes the ${scan.text} command.`,
          'Scan a tube, a box or a participant card to open it.',
        );
        return;
      }
      try {
        const found = await client.run('lookup_scan', { code: scan.text });
        switch (found.kind) {
          case 'sample':
            navigate({ page: 'sample', id: found.sample.id });
            feedback('accepted', `Sample ${found.sample.code}`);
            break;
          case 'box':
            navigate({ page: 'box', id: found.storage_box.id });
            feedback('accepted', `Box ${found.storage_box.name}`);
            break;
          case 'participant':
            navigate({ page: 'participant', id: found.participant.id });
            feedback('accepted', `Participant ${found.participant.code}`);
            break;
          case 'plate':
            navigate({ page: 'run', id: found.plate.run_id });
            feedback('accepted', `Plate ${found.plate.name}`);
            break;
          case 'unknown':
            feedback(
              'unknown',
              `No sample, box or participant has the code ${found.code}.`,
              'Check the label, or register it first.',
            );
            break;
        }
      } catch (e: unknown) {
        feedback('refused', errorMessage(e));
      }
    },
    [client, navigate, feedback],
  );

  const submit = useCallback(
    (scan: Scan) => {
      void (async () => {
        for (const handler of [...handlers.current].reverse()) {
          try {
            if (await handler(scan)) return;
          } catch (e: unknown) {
            feedback('refused', errorMessage(e));
            return;
          }
        }
        await lookUp(scan);
      })();
    },
    [lookUp, feedback],
  );

  // Keyboard-wedge scanners.
  useEffect(() => {
    const detector = new WedgeDetector(DEFAULT_WEDGE_RULES);
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.altKey || e.metaKey || e.isComposing) return;
      const target = document.activeElement;
      const step = detector.key(e.key, e.timeStamp);
      if (step.kind !== 'scan') return;
      noteWedge();
      // A field marked as taking scans keeps the code as its own input.
      if (target instanceof HTMLElement && target.closest('[data-scan-input]')) return;
      e.preventDefault();
      e.stopPropagation();
      if (isTextEntry(target)) removeTyped(target, step.length);
      submit({ text: step.text, source: 'keyboard', command: commandOf(step.text) });
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [submit, noteWedge]);

  // The workstation's device scanner, through the core.
  useEffect(
    () =>
      client.subscribe((event) => {
        if (event.type !== 'scanned') return;
        if (event.scan.result === 'refused') {
          feedback('refused', event.scan.message);
          return;
        }
        submit({
          text: event.scan.text,
          source: 'device',
          command: commandOf(event.scan.text, event.scan.kind),
        });
      }),
    [client, submit, feedback],
  );

  const api = useMemo(
    () => ({ register, feedback, submit, last, wedgeSeen }),
    [register, feedback, submit, last, wedgeSeen],
  );
  return <ScanContext.Provider value={api}>{children}</ScanContext.Provider>;
}
