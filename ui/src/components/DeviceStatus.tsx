// The scanner's and the label printer's state, for the shell's status bar (and the Printing page).

import { useCallback, useEffect, useState } from 'react';
import type { PrintJobRecord, PrinterSettings, ScannerStatus, Settings } from '../api/types';
import { whoCan, type Can } from '../lib/roles';
import { jobState, scannerText, type Tone } from '../pages/printing/printingText';
import { useWedgeSeen } from '../scan/ScanContext';
import { useClient, useSession } from '../session';
import { PICKER_PAGE } from '../lib/paging';
import './DeviceStatus.css';

/** How many of the newest jobs are searched for the label printer's last one. */
const RECENT_JOBS = 50;

function Dot({ tone }: { tone: Tone }) {
  return <span className={`status-dot status-dot-${tone}`} aria-hidden="true" />;
}

/** The scanner state as the core's supervisor last saw it; follows `scanner_changed` events. */
export function useScannerStatus(): { status: ScannerStatus | null; failed: boolean } {
  const client = useClient();
  const [status, setStatus] = useState<ScannerStatus | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let current = true;
    // An event newer than the first read wins: the read may answer after it, with the state
    // from before (seen as a status stuck at "not connected" on a busy machine).
    let heard = false;
    client.run('scanner_status', {}).then(
      (s) => {
        if (!current || heard) return;
        setStatus(s);
        setFailed(false);
      },
      () => {
        if (current) setFailed(true);
      },
    );
    const unsubscribe = client.subscribe((event) => {
      if (event.type === 'scanner_changed') {
        heard = true;
        setStatus(event.status);
        setFailed(false);
      }
    });
    return () => {
      current = false;
      unsubscribe();
    };
  }, [client]);

  return { status, failed };
}

export function ScannerStatusItem() {
  const { status, failed } = useScannerStatus();
  const wedgeSeen = useWedgeSeen();
  const shown = scannerText(status, failed, wedgeSeen);
  return (
    <span
      className="status-item"
      data-testid="status-scanner"
      data-state={status?.state ?? 'unknown'}
      data-tone={shown.tone}
      data-wedge={wedgeSeen ? 'seen' : undefined}
      title={shown.detail ?? undefined}
    >
      <Dot tone={shown.tone} />
      {shown.text}
    </span>
  );
}

type PrinterState = {
  tone: Tone;
  text: string;
  detail: string | null;
};

function printerState(
  settings: Settings | null,
  printers: PrinterSettings[] | null,
  jobs: PrintJobRecord[] | null,
  failed: boolean,
  can: Can,
): PrinterState {
  if (settings === null) {
    return failed
      ? { tone: 'idle', text: 'Printer: unknown', detail: null }
      : { tone: 'idle', text: 'Printer: …', detail: null };
  }
  const name = settings.sample_label_printer;
  if (name === null)
    return {
      tone: 'idle',
      text: 'Printer: none',
      detail: can('change_settings')
        ? 'No printer is set for sample labels; choose one under Label routing on the Printing page.'
        : `No printer is set for sample labels; ${whoCan('change_settings')} chooses one on the Printing page.`,
    };
  if (printers !== null && !printers.some((p) => p.name === name))
    return {
      tone: 'error',
      text: `Printer: ${name} (not set up)`,
      detail: `Sample labels go to “${name}”, but no printer by that name is set up on this workstation.`,
    };
  const last = jobs?.find((j) => j.printer === name);
  if (!last) return { tone: 'ok', text: `Printer: ${name}`, detail: 'No recent labels.' };
  const state = jobState(last, can('print_labels'));
  switch (last.state) {
    case 'done':
      return { tone: 'ok', text: `Printer: ${name} · last job printed`, detail: null };
    case 'failed':
      return { tone: 'error', text: `Printer: ${name} · last job failed`, detail: state.detail };
    case 'cancelled':
      return { tone: 'idle', text: `Printer: ${name} · last job cancelled`, detail: null };
    default:
      if (last.waiting_for)
        return {
          tone: 'warn',
          text: `Printer: ${name} · waiting: ${last.waiting_for}`,
          detail: state.detail,
        };
      return {
        tone: state.tone,
        text: `Printer: ${name} · ${state.label.toLowerCase()}`,
        detail: state.detail,
      };
  }
}

/**
 * The sample label printer (the `sample_label_printer` setting) and how its last job went, from the
 * newest jobs; follows `print_job_changed`, `settings_changed` and printer changes.
 */
export function PrinterStatusItem() {
  const client = useClient();
  const session = useSession();
  const [ownSettings, setOwnSettings] = useState<Settings | null>(null);
  const [printers, setPrinters] = useState<PrinterSettings[] | null>(null);
  const [jobs, setJobs] = useState<PrintJobRecord[] | null>(null);
  const [failed, setFailed] = useState(false);
  const settings = session.settings ?? ownSettings;

  const loadJobs = useCallback(() => {
    client.run('list_print_jobs', { page: 1, per_page: RECENT_JOBS }).then(
      (page) => setJobs(page.items),
      () => setFailed(true),
    );
  }, [client]);

  const loadPrinters = useCallback(() => {
    client.run('list_printers', PICKER_PAGE).then(
      (page) => setPrinters(page.items),
      () => setFailed(true),
    );
  }, [client]);

  useEffect(() => {
    loadJobs();
    loadPrinters();
    // The shell keeps the settings; this copy serves until (or where) it has none.
    client.getSettings().then(setOwnSettings, () => setFailed(true));
    return client.subscribe((event) => {
      if (event.type === 'print_job_changed') loadJobs();
      // Configuring a printer is an audited command: its audit entry says the list may differ.
      if (event.type === 'audit_appended') loadPrinters();
      if (event.type === 'settings_changed')
        client.getSettings().then(setOwnSettings, () => setFailed(true));
    });
  }, [client, loadJobs, loadPrinters]);

  const shown = printerState(settings, printers, jobs, failed, session.can);
  return (
    <span
      className="status-item"
      data-testid="status-printer"
      data-tone={shown.tone}
      title={shown.detail ?? undefined}
    >
      <Dot tone={shown.tone} />
      {shown.text}
    </span>
  );
}
