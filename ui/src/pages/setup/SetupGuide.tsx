import { useEffect, useState, type FormEvent } from 'react';
import type { FreezerRecord, SetupProgress } from '../../api/types';
import {
  ErrorAlert,
  Field,
  PageHeading,
  StatusMessage,
  SubmitButton,
} from '../../components/forms';
import { PICKER_PAGE } from '../../lib/paging';
import { whoCan } from '../../lib/roles';
import { useAsyncData } from '../../lib/useAsyncData';
import { useSubmit } from '../../lib/useSubmit';
import { count } from '../../lib/words';
import { useNavigate } from '../../router';
import { useScanHandler, type Scan } from '../../scan/ScanContext';
import { useClient, useSession } from '../../session';
import { zoneGroups, zoneLabel } from '../settingsForm';
import { CreateFreezerDialog } from '../storage/StoragePage';
import { RacksAndBoxesDialog, racksAndBoxesNotice } from '../storage/RacksAndBoxesDialog';
import { KitTemplatesPanel, NumberBlocksPanel, SitesPanel } from './LabSetupPage';
import {
  firstStepToDo,
  rememberScannerTested,
  scannerTested,
  SETUP_STEPS,
  setupSummary,
  type StepId,
} from './setupSteps';
import './setup.css';

/**
 * The guided first run of a real lab: each step says what it is for, shows whether it is
 * done (read from the core), and is done here through the same commands as the screens.
 * Leaving and coming back opens the first step still to do.
 */
export function SetupGuide() {
  const client = useClient();
  const { can } = useSession();
  const navigate = useNavigate();
  const progress = useAsyncData(() => client.run('setup_progress', {}), [client]);
  const [tested, setTested] = useState(scannerTested);
  const [current, setCurrent] = useState<StepId | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  // Whatever anyone changes (here, on another screen, on another workstation through sync)
  // may finish a step.
  const reload = progress.reload;
  useEffect(
    () =>
      client.subscribe((event) => {
        if (event.type === 'audit_appended' || event.type === 'print_job_changed') reload();
      }),
    [client, reload],
  );

  const data = progress.data;
  useEffect(() => {
    if (data && current === null) setCurrent(firstStepToDo(data, tested));
  }, [data, current, tested]);

  if (!data || current === null) {
    return (
      <section>
        <PageHeading>Set up the lab</PageHeading>
        <ErrorAlert message={progress.error} />
        {progress.loading && <p className="loading">Reading what is set up…</p>}
      </section>
    );
  }

  const summary = setupSummary(data, tested);
  const index = SETUP_STEPS.findIndex((s) => s.id === current);
  const step = SETUP_STEPS[index]!;
  const allowed = can(step.permission);
  const next = SETUP_STEPS.slice(index + 1).find((s) => !s.done(data, tested));

  return (
    <section className="setup-guide" data-testid="setup-guide">
      <PageHeading>Set up the lab</PageHeading>
      <p className="lead" data-testid="setup-summary">
        {summary.done} of {summary.total} steps done.{' '}
        {summary.ready
          ? 'The lab is ready for its first kit.'
          : 'You can leave at any time: the guide opens here again at the first step still to do.'}
      </p>
      <ol className="setup-steps" aria-label="Steps">
        {SETUP_STEPS.map((s, i) => {
          const done = s.done(data, tested);
          return (
            <li key={s.id}>
              <button
                type="button"
                className={`setup-step${s.id === current ? ' setup-step-current' : ''}`}
                aria-current={s.id === current ? 'step' : undefined}
                data-step={s.id}
                data-done={done}
                onClick={() => {
                  setNotice(null);
                  setCurrent(s.id);
                }}
              >
                <span className={`setup-step-mark${done ? ' done' : ''}`} aria-hidden="true">
                  {done ? '✓' : i + 1}
                </span>
                <span>
                  {s.title}
                  <span className="visually-hidden">{done ? ' (done)' : ' (to do)'}</span>
                  {s.optional && <span className="hint"> (can wait)</span>}
                </span>
              </button>
            </li>
          );
        })}
      </ol>
      <article className="setup-step-panel" data-testid={`setup-step-${step.id}`}>
        <h2>
          {index + 1}. {step.title}
        </h2>
        <p className="hint">{step.purpose}</p>
        <StatusMessage message={notice} testId="guide-notice" />
        {!allowed && step.id !== 'scanner' && (
          <p className="empty-state">
            {step.done(data, tested) ? 'Done. ' : ''}This step is for {whoCan(step.permission)}: ask
            them, or sign in as one, and the guide opens here.
          </p>
        )}
        {allowed && (
          <StepBody
            id={step.id}
            progress={data}
            onNotice={setNotice}
            onScanned={() => {
              rememberScannerTested();
              setTested(true);
            }}
            onChanged={reload}
            onOpen={(page, id) => navigate(id ? { page, id } : { page })}
          />
        )}
        <div className="form-actions">
          {next && (
            <button
              type="button"
              className="button button-primary"
              onClick={() => {
                setNotice(null);
                setCurrent(next.id);
              }}
            >
              Next: {next.title}
            </button>
          )}
          {!next && summary.ready && (
            <button
              type="button"
              className="button button-primary"
              onClick={() => navigate({ page: 'home' })}
            >
              Done: go to Home
            </button>
          )}
        </div>
      </article>
    </section>
  );
}

function StepBody({
  id,
  progress,
  onNotice,
  onScanned,
  onChanged,
  onOpen,
}: {
  id: StepId;
  progress: SetupProgress;
  onNotice: (m: string) => void;
  onScanned: () => void;
  onChanged: () => void;
  onOpen: (page: 'users' | 'printing', id?: string) => void;
}) {
  switch (id) {
    case 'lab':
      return <LabStep onNotice={onNotice} />;
    case 'site':
      return <SitesPanel editable onNotice={onNotice} onChanged={onChanged} />;
    case 'numbers':
      return <NumberBlocksPanel editable onNotice={onNotice} sitesChanged={0} />;
    case 'people':
      return (
        <div className="setup-open">
          <p>
            {progress.lab_managers === 0
              ? 'No lab manager yet.'
              : `${count(progress.lab_managers, 'lab manager')} can sign in.`}{' '}
            Accounts are made on the Users page; come back here afterwards.
          </p>
          <button type="button" className="button button-primary" onClick={() => onOpen('users')}>
            Open Users
          </button>
        </div>
      );
    case 'kits':
      return <KitTemplatesPanel editable onNotice={onNotice} />;
    case 'storage':
      return <StorageStep progress={progress} onNotice={onNotice} />;
    case 'printer':
      return (
        <div className="setup-open">
          <p>
            {count(progress.printers, 'printer')} on this workstation,{' '}
            {count(progress.test_prints, 'test label')} printed. Add the printer on the Printing
            page and press its Test print; come back here afterwards.
          </p>
          <button
            type="button"
            className="button button-primary"
            onClick={() => onOpen('printing', 'printers')}
          >
            Open Printing
          </button>
        </div>
      );
    case 'scanner':
      return <ScannerStep onScanned={onScanned} onOpen={() => onOpen('printing', 'scanner')} />;
  }
}

/** The lab's name and time zone, saved together as one change. */
function LabStep({ onNotice }: { onNotice: (m: string) => void }) {
  const client = useClient();
  const session = useSession();
  const choices = useAsyncData(() => client.run('setting_choices', {}), [client]);
  const [name, setName] = useState(session.labName ?? '');
  const [zone, setZone] = useState(session.timeZone);
  const { busy, error, submit } = useSubmit(
    () =>
      client.changeSettings({
        settings: [
          { key: 'lab_name', value: name },
          { key: 'display_timezone', value: zone },
        ],
        reason: 'First setup of the lab',
      }),
    (saved) => {
      session.setSettings(saved);
      onNotice(`Saved: ${saved.lab_name}, ${zoneLabel(saved.display_timezone)}.`);
    },
  );
  return (
    <form onSubmit={(e: FormEvent) => void submit(e)} data-testid="guide-lab-form">
      <ErrorAlert message={error ?? choices.error} />
      <Field id="guide-lab-name" label="Lab name" value={name} onChange={setName} required />
      <div className="field">
        <label htmlFor="guide-time-zone">Time zone</label>
        <select id="guide-time-zone" value={zone} onChange={(e) => setZone(e.target.value)}>
          {zoneGroups(choices.data?.time_zones ?? [zone]).map((g) => (
            <optgroup key={g.region} label={g.region}>
              {g.zones.map((z) => (
                <option key={z} value={z}>
                  {zoneLabel(z)}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <SubmitButton busy={busy} busyLabel="Saving…">
        Save the name and time zone
      </SubmitButton>
    </form>
  );
}

/** A freezer, then its racks and boxes in one go (with their labels). */
function StorageStep({
  progress,
  onNotice,
}: {
  progress: SetupProgress;
  onNotice: (m: string) => void;
}) {
  const client = useClient();
  const freezers = useAsyncData(() => client.run('list_freezers', PICKER_PAGE), [client]);
  const [chosen, setChosen] = useState<string>('');
  const [dialog, setDialog] = useState<'freezer' | 'fill' | null>(null);
  const items = freezers.data?.items ?? [];
  const freezer: FreezerRecord | undefined = items.find((f) => f.id === chosen) ?? items[0];
  return (
    <div className="setup-open">
      <ErrorAlert message={freezers.error} />
      <p>
        {count(progress.freezers, 'freezer')} with {count(progress.boxes, 'box', 'boxes')} in all.
      </p>
      {items.length > 1 && (
        <div className="field">
          <label htmlFor="guide-freezer">Freezer to fill</label>
          <select
            id="guide-freezer"
            value={freezer?.id ?? ''}
            onChange={(e) => setChosen(e.target.value)}
          >
            {items.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </select>
        </div>
      )}
      <div className="toolbar">
        <button
          type="button"
          className={`button ${freezer ? 'button-secondary' : 'button-primary'}`}
          onClick={() => setDialog('freezer')}
        >
          Add a freezer
        </button>
        {freezer && (
          <button type="button" className="button button-primary" onClick={() => setDialog('fill')}>
            Add racks and boxes to {freezer.name}
          </button>
        )}
      </div>
      {dialog === 'freezer' && (
        <CreateFreezerDialog
          onClose={() => setDialog(null)}
          onCreated={(f) => {
            setDialog(null);
            setChosen(f.id);
            onNotice(`Freezer “${f.name}” added. Now add its racks and boxes.`);
            freezers.reload();
          }}
        />
      )}
      {dialog === 'fill' && freezer && (
        <RacksAndBoxesDialog
          freezer={freezer}
          onClose={() => setDialog(null)}
          onAdded={(outcome) => {
            setDialog(null);
            onNotice(racksAndBoxesNotice(freezer.name, outcome));
            freezers.reload();
          }}
        />
      )}
    </div>
  );
}

/** Scan anything: what this workstation read, and from which scanner. */
function ScannerStep({ onScanned, onOpen }: { onScanned: () => void; onOpen: () => void }) {
  const [last, setLast] = useState<Scan | null>(null);
  useScanHandler((scan) => {
    setLast(scan);
    onScanned();
    // Taken here: a test scan opens nothing.
    return true;
  });
  return (
    <div className="setup-open" data-testid="guide-scan">
      <p>
        Scan any barcode now (a tube, a box, this page’s code on a sheet). A keyboard-wedge scanner
        works as it is; a serial or USB scanner is set up on the Printing page.
      </p>
      <p className="setup-scan-result" role="status" data-testid="guide-scan-result">
        {last
          ? `Read “${last.text}” from the ${last.source === 'device' ? 'device scanner' : 'keyboard-wedge scanner'}.`
          : 'Waiting for a scan…'}
      </p>
      <button type="button" className="button button-secondary" onClick={onOpen}>
        Set up a serial or USB scanner
      </button>
    </div>
  );
}
