import { useEffect, useState } from 'react';
import type { PrintJobRecord, ScannerSettings } from '../../api/types';
import { PrinterStatusItem, ScannerStatusItem } from '../../components/DeviceStatus';
import { ErrorAlert, PageHeading } from '../../components/forms';
import { useAsyncData } from '../../lib/useAsyncData';
import { useClient, useSession } from '../../session';
import { DevicesPanel } from './DevicesPanel';
import { LabelRouting } from './LabelRouting';
import type { PrinterDraft } from './PrinterForm';
import { PrintersPanel } from './PrintersPanel';
import { PrintQueue } from './PrintQueue';
import { ScannerPanel } from './ScannerPanel';
import { PICKER_PAGE } from '../../lib/paging';
import './printing.css';

const PER_PAGE = 25;

const SECTIONS = [
  { id: 'printing-queue', label: 'Print queue', configure: false },
  { id: 'printing-printers', label: 'Printers', configure: false },
  { id: 'printing-devices', label: 'Attached devices', configure: true },
  { id: 'printing-routing', label: 'Label routing', configure: false },
  { id: 'printing-scanner', label: 'Scanner', configure: false },
] as const;

function scrollTo(id: string) {
  document.getElementById(id)?.scrollIntoView({ block: 'start' });
}

/** Printers have a name up to 60 characters; a found device's name starts from its product. */
function nameFromDevice(deviceName: string): string {
  return deviceName.replace(/\s*\(.*$/, '').slice(0, 60);
}

/** `section` ("routing", "scanner" …) is the part of the page to open at, from a link. */
export function PrintingPage({ section }: { section?: string }) {
  const client = useClient();
  const session = useSession();
  // Printers and devices are `configure_devices`; routing and the scanner are settings
  // (`change_settings`); test prints, reprints and settling jobs are `print_labels`.
  const canConfigure = session.can('configure_devices');
  const canChangeSettings = session.can('change_settings');
  const canPrint = session.can('print_labels');

  const [queuePage, setQueuePage] = useState(1);
  const queue = useAsyncData(
    () => client.run('list_print_jobs', { page: queuePage, per_page: PER_PAGE }),
    [client, queuePage],
  );
  const printers = useAsyncData(
    () => client.run('list_printers', PICKER_PAGE).then((p) => p.items),
    [client],
  );
  const devices = useAsyncData(
    () =>
      canConfigure
        ? client.run('list_devices', PICKER_PAGE).then((p) => p.items)
        : Promise.resolve([]),
    [client, canConfigure],
  );
  // The shell's copy follows `settings_changed`; load once here so the page works alone.
  const loadedSettings = useAsyncData(() => client.getSettings(), [client]);
  const settings = session.settings ?? loadedSettings.data;

  const [testJob, setTestJob] = useState<PrintJobRecord | null>(null);
  const [draft, setDraft] = useState<PrinterDraft | null>(null);
  const [draftKey, setDraftKey] = useState(0);
  const [scannerPrefill, setScannerPrefill] = useState<ScannerSettings | null>(null);
  const [scannerKey, setScannerKey] = useState(0);

  const reloadQueue = queue.reload;
  useEffect(
    () =>
      client.subscribe((event) => {
        if (event.type === 'print_job_changed') reloadQueue();
      }),
    [client, reloadQueue],
  );

  // Opened from a link to one section: go there once it is drawn (it needs the settings).
  const haveSettings = settings !== null;
  useEffect(() => {
    if (section && haveSettings) scrollTo(`printing-${section}`);
  }, [section, haveSettings]);

  function startDraft(next: PrinterDraft | null) {
    setDraft(next);
    setDraftKey((k) => k + 1);
  }

  const serialPorts = (devices.data ?? [])
    .map((d) => (d.scanner?.kind === 'serial' ? d.scanner.port : null))
    .filter((p): p is string => p !== null);

  return (
    <section className="printing-page">
      <PageHeading>Printing</PageHeading>
      <p className="lead">
        The labels this workstation prints, its label printers and its barcode scanner.
      </p>
      <nav className="printing-sections" aria-label="Sections of this page">
        {SECTIONS.filter((s) => canConfigure || !s.configure).map((s) => (
          <button
            key={s.id}
            type="button"
            className="button button-small button-secondary"
            onClick={() => scrollTo(s.id)}
          >
            {s.label}
          </button>
        ))}
      </nav>

      <div className="card printing-card workstation-panel" data-testid="workstation-status">
        <h2>This workstation</h2>
        <div className="workstation-items">
          <ScannerStatusItem />
          <PrinterStatusItem />
        </div>
      </div>

      <div id="printing-queue">
        <PrintQueue
          queue={queue}
          onPage={setQueuePage}
          canReprint={canPrint}
          highlight={testJob?.id ?? null}
        />
      </div>

      <div id="printing-printers">
        <PrintersPanel
          printers={printers}
          settings={settings}
          canConfigure={canConfigure}
          canPrint={canPrint}
          canRoute={canChangeSettings}
          draft={draft}
          draftKey={draftKey}
          onDraft={startDraft}
          recentJobs={queuePage === 1 ? (queue.data?.items ?? []) : []}
          testJob={testJob}
          onTestPrinted={(job) => {
            setTestJob(job);
            setQueuePage(1);
            reloadQueue();
          }}
        />
      </div>

      {canConfigure && (
        <div id="printing-devices">
          <DevicesPanel
            devices={devices}
            onUsePrinter={(address, name) =>
              startDraft({ mode: 'new', address, suggestedName: nameFromDevice(name) })
            }
            onUseScanner={(scanner) => {
              setScannerPrefill(scanner);
              setScannerKey((k) => k + 1);
              window.setTimeout(() => scrollTo('printing-scanner'), 0);
            }}
          />
        </div>
      )}

      <ErrorAlert message={settings ? null : loadedSettings.error} />
      {settings && (
        <>
          <div id="printing-routing">
            <LabelRouting
              settings={settings}
              printers={printers.data ?? []}
              editable={canChangeSettings}
              canAddPrinters={canConfigure}
              onSaved={session.setSettings}
            />
          </div>
          <div id="printing-scanner">
            <ScannerPanel
              key={scannerKey}
              settings={settings}
              prefill={scannerPrefill}
              serialPorts={serialPorts}
              editable={canChangeSettings}
              onSaved={(saved) => {
                setScannerPrefill(null);
                session.setSettings(saved);
              }}
            />
          </div>
        </>
      )}
      {!settings && loadedSettings.loading && <p className="loading">Loading settings…</p>}
    </section>
  );
}
