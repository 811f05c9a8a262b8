import { useState } from 'react';
import type { PrintJobRecord, PrinterSettings, Settings } from '../../api/types';
import { ErrorAlert, StatusMessage } from '../../components/forms';
import type { AsyncData } from '../../lib/useAsyncData';
import { errorMessage } from '../../lib/errors';
import { whoCan } from '../../lib/roles';
import { useClient } from '../../session';
import { RemovePrinterDialog, RenamePrinterDialog } from './PrinterDialogs';
import { PrinterForm, type PrinterDraft } from './PrinterForm';
import {
  describeAddress,
  jobState,
  LANGUAGE_LABELS,
  savedPrinterNotice,
  STOCK_LABELS,
} from './printingText';

const PILL = {
  ok: 'pill pill-ok',
  busy: 'pill pill-busy',
  warn: 'pill pill-warn',
  error: 'pill pill-danger',
  idle: 'pill pill-muted',
} as const;

export function PrintersPanel({
  printers,
  settings,
  canConfigure,
  canPrint,
  canRoute,
  draft,
  draftKey,
  onDraft,
  recentJobs,
  testJob,
  onTestPrinted,
}: {
  printers: AsyncData<PrinterSettings[]>;
  settings: Settings | null;
  canConfigure: boolean;
  /** Test prints are `print_labels`, which administrators do not have. */
  canPrint: boolean;
  /** Routing labels to a printer is a setting (`change_settings`). */
  canRoute: boolean;
  draft: PrinterDraft | null;
  /** Changes whenever a new draft is started, so the form starts afresh. */
  draftKey: number;
  onDraft: (draft: PrinterDraft | null) => void;
  /** The newest jobs, to follow the last test print. */
  recentJobs: readonly PrintJobRecord[];
  testJob: PrintJobRecord | null;
  onTestPrinted: (job: PrintJobRecord) => void;
}) {
  const client = useClient();
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<PrinterSettings | null>(null);
  const [removing, setRemoving] = useState<PrinterSettings | null>(null);
  const list = printers.data;
  const routesTo = (name: string) =>
    [
      settings?.sample_label_printer === name ? 'sample labels' : null,
      settings?.box_label_printer === name ? 'box labels' : null,
    ].filter((route): route is string => route !== null);

  async function testPrint(printer: PrinterSettings) {
    setTesting(printer.name);
    setError(null);
    setNotice(null);
    try {
      onTestPrinted(await client.run('test_print', { printer: printer.name }));
    } catch (err: unknown) {
      setError(errorMessage(err));
    } finally {
      setTesting(null);
    }
  }

  // The test job as the queue last showed it (the call's answer until the queue has it).
  const followed = testJob ? (recentJobs.find((j) => j.id === testJob.id) ?? testJob) : null;
  const followedState = followed ? jobState(followed, canPrint) : null;

  return (
    <>
      <div className="card printing-card" data-testid="printers">
        <div className="card-heading-row">
          <h2 id="printers-heading">Printers</h2>
          {canConfigure && (
            <button
              type="button"
              className="button button-primary"
              onClick={() => {
                setNotice(null);
                onDraft({ mode: 'new', address: null, suggestedName: '' });
              }}
            >
              Add a printer
            </button>
          )}
        </div>
        <StatusMessage message={notice} testId="printers-notice" />
        <ErrorAlert message={error ?? printers.error} />
        {followed && followedState && (
          <div
            className={`test-print-result test-print-${followedState.tone}`}
            data-testid="test-print-result"
            data-state={followed.state}
            role="status"
          >
            <span className={PILL[followedState.tone]}>{followedState.label}</span>
            <span>
              Test label on <strong>{followed.printer}</strong>
              {followed.state === 'done'
                ? ' printed. Check that it is sharp and the code scans.'
                : followedState.detail
                  ? `: ${followedState.detail}`
                  : '.'}
            </span>
          </div>
        )}
        {list && list.length === 0 ? (
          <p className="empty-state" data-testid="printers-empty">
            No printer is set up on this workstation.{' '}
            {canConfigure
              ? 'Press “Add a printer”, or pick one under Attached devices.'
              : `Ask ${whoCan('configure_devices')} to add one.`}
          </p>
        ) : (
          <div className="table-wrap">
            <table
              className="data-table"
              aria-labelledby="printers-heading"
              aria-busy={printers.loading}
            >
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Connection</th>
                  <th scope="col">Language</th>
                  <th scope="col">Labels loaded</th>
                  <th scope="col">Darkness</th>
                  {(canPrint || canConfigure) && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {list?.map((p) => (
                  <tr key={p.name} data-testid="printer-row" data-printer={p.name}>
                    <td>
                      <strong>{p.name}</strong>
                      <div className="route-badges">
                        {settings?.sample_label_printer === p.name && (
                          <span className="pill pill-ok">Sample labels</span>
                        )}
                        {settings?.box_label_printer === p.name && (
                          <span className="pill pill-ok">Box labels</span>
                        )}
                      </div>
                    </td>
                    <td>{describeAddress(p.address)}</td>
                    <td>
                      {LANGUAGE_LABELS[p.language]}, {p.dpi} dpi
                    </td>
                    <td>{STOCK_LABELS[p.stock]}</td>
                    <td>{p.darkness === null ? 'Printer’s own' : p.darkness}</td>
                    {(canPrint || canConfigure) && (
                      <td>
                        <div className="row-actions">
                          {canPrint && (
                            <button
                              type="button"
                              className="button button-small button-secondary"
                              disabled={testing !== null}
                              aria-busy={testing === p.name}
                              onClick={() => void testPrint(p)}
                            >
                              {testing === p.name ? 'Queuing…' : 'Test print'}
                              <span className="visually-hidden"> on {p.name}</span>
                            </button>
                          )}
                          {canConfigure &&
                            (
                              [
                                ['Edit', () => onDraft({ mode: 'edit', printer: p })],
                                ['Rename', () => setRenaming(p)],
                                ['Remove', () => setRemoving(p)],
                              ] as const
                            ).map(([action, open]) => (
                              <button
                                key={action}
                                type="button"
                                className="button button-small button-secondary"
                                onClick={() => {
                                  setNotice(null);
                                  open();
                                }}
                              >
                                {action}
                                <span className="visually-hidden"> {p.name}</span>
                              </button>
                            ))}
                        </div>
                      </td>
                    )}
                  </tr>
                ))}
                {!list && printers.loading && (
                  <tr>
                    <td colSpan={6} className="empty">
                      Loading printers…
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {renaming && (
        <RenamePrinterDialog
          printer={renaming}
          existingNames={list?.map((p) => p.name) ?? []}
          onClose={() => setRenaming(null)}
          onDone={(renamed) => {
            setNotice(
              `${renaming.name} is now called ${renamed.name}; its jobs and label routes went with it.`,
            );
            setRenaming(null);
            printers.reload();
          }}
        />
      )}
      {removing && (
        <RemovePrinterDialog
          printer={removing}
          routes={routesTo(removing.name)}
          onClose={() => setRemoving(null)}
          onDone={() => {
            setNotice(`${removing.name} was removed from this workstation.`);
            setRemoving(null);
            printers.reload();
          }}
        />
      )}
      {canConfigure && draft && (
        <PrinterForm
          key={draftKey}
          draft={draft}
          existingNames={list?.map((p) => p.name) ?? []}
          onCancel={() => onDraft(null)}
          onSaved={(saved) => {
            onDraft(null);
            setNotice(savedPrinterNotice(saved.name, canPrint, canRoute));
            printers.reload();
          }}
        />
      )}
    </>
  );
}
