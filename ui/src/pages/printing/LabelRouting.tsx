import { useEffect, useState, type FormEvent } from 'react';
import type { PrinterSettings, Setting, Settings } from '../../api/types';
import {
  ErrorAlert,
  Field,
  SelectField,
  StatusMessage,
  SubmitButton,
} from '../../components/forms';
import { errorMessage } from '../../lib/errors';
import { whoCan } from '../../lib/roles';
import { useClient } from '../../session';
import { CODE_LABELS, copiesText } from '../settingsForm';
import { carriesBoxLabels, carriesSampleLabels, STOCK_LABELS } from './printingText';

type Form = { sample: string; box: string };

function formOf(settings: Settings): Form {
  return {
    sample: settings.sample_label_printer ?? '',
    box: settings.box_label_printer ?? '',
  };
}

/** Choices for one route: printers loaded with fitting labels, and the current one whatever it is. */
function routeOptions(
  printers: readonly PrinterSettings[],
  fits: (p: PrinterSettings) => boolean,
  current: string | null,
): { value: string; label: string }[] {
  const options = [{ value: '', label: 'None' }];
  for (const p of printers) if (fits(p)) options.push({ value: p.name, label: p.name });
  if (current && !options.some((o) => o.value === current)) {
    const printer = printers.find((p) => p.name === current);
    options.push({
      value: current,
      label: printer
        ? `${current} (loaded with ${STOCK_LABELS[printer.stock].toLowerCase()})`
        : `${current} (not set up on this workstation)`,
    });
  }
  return options;
}

const LABELS = {
  sample_label_printer: 'sample label printer',
  box_label_printer: 'box label printer',
} as const;

/**
 * Which printer sample labels and box labels go to: the one place they are set (the Settings
 * page shows them and links here). Both are saved as one change with one reason.
 */
export function LabelRouting({
  settings,
  printers,
  editable,
  canAddPrinters,
  onSaved,
}: {
  settings: Settings;
  printers: readonly PrinterSettings[];
  /** Routing is saved as settings: `change_settings`. */
  editable: boolean;
  /** Adding a printer is `configure_devices`. */
  canAddPrinters: boolean;
  onSaved: (settings: Settings) => void;
}) {
  const client = useClient();
  const [form, setForm] = useState<Form>(() => formOf(settings));
  const [dirty, setDirty] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Follow changes made elsewhere unless the user is editing.
  useEffect(() => {
    if (!dirty) setForm(formOf(settings));
  }, [settings, dirty]);

  function set<K extends keyof Form>(key: K, value: Form[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    setDirty(true);
    setDone(null);
  }

  const changes: (Setting & { key: keyof typeof LABELS })[] = [];
  const orNull = (v: string) => (v === '' ? null : v);
  if (orNull(form.sample) !== settings.sample_label_printer)
    changes.push({ key: 'sample_label_printer', value: orNull(form.sample) });
  if (orNull(form.box) !== settings.box_label_printer)
    changes.push({ key: 'box_label_printer', value: orNull(form.box) });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    if (reason.trim() === '') {
      setError('Give the reason for the change; it is recorded in the audit trail.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // One change set: both routes are saved together or neither is.
      const saved = await client.changeSettings({ settings: changes, reason: reason.trim() });
      onSaved(saved);
      setDirty(false);
      setReason('');
      setDone(`Saved: ${changes.map((c) => LABELS[c.key]).join(', ')}.`);
    } catch (err: unknown) {
      setError(`${errorMessage(err)} Nothing was saved.`);
    } finally {
      setBusy(false);
    }
  }

  const sampleOptions = routeOptions(
    printers,
    (p) => carriesSampleLabels(p.stock),
    settings.sample_label_printer,
  );
  const boxOptions = routeOptions(
    printers,
    (p) => carriesBoxLabels(p.stock),
    settings.box_label_printer,
  );

  return (
    <form
      className="card printing-card"
      onSubmit={submit}
      data-testid="label-routing"
      aria-labelledby="routing-heading"
    >
      <h2 id="routing-heading">Label routing</h2>
      <p className="hint printing-intro">
        Sample labels go to a printer loaded with cryovial or 2″ × 1″ labels; box labels to one
        loaded with 3″ × 1″ labels.
        {editable && canAddPrinters && printers.length === 0 && ' Add a printer above first.'}
      </p>
      <div className="form-grid">
        <SelectField
          id="route-sample-printer"
          label="Sample label printer"
          value={form.sample}
          onChange={(v) => set('sample', v)}
          options={sampleOptions}
          disabled={!editable}
        />
        <SelectField
          id="route-box-printer"
          label="Box label printer"
          value={form.box}
          onChange={(v) => set('box', v)}
          options={boxOptions}
          disabled={!editable}
        />
        <p
          className="hint form-grid-full routing-label-settings"
          data-testid="routing-label-settings"
        >
          Cryovial labels carry a {CODE_LABELS[settings.sample_label_code]} code;{' '}
          {copiesText(settings.label_copies)} of each label{' '}
          {settings.label_copies === 1 ? 'is' : 'are'} printed. Both are lab settings, on the{' '}
          <a className="inline-link" href="#/settings">
            Settings
          </a>{' '}
          page.
        </p>
        {editable && (
          <div className="form-grid-full">
            <Field
              id="route-reason"
              label="Reason for the change"
              value={reason}
              onChange={setReason}
              hint="Recorded in the audit trail."
              required
              spellCheck
            />
            <ErrorAlert message={error} />
            <StatusMessage message={done} testId="routing-saved" />
            <div className="form-actions">
              <SubmitButton busy={busy} busyLabel="Saving…" disabled={changes.length === 0}>
                Save label routing
              </SubmitButton>
            </div>
          </div>
        )}
      </div>
      {!editable && (
        <p className="hint">Changing label routing is for {whoCan('change_settings')}.</p>
      )}
    </form>
  );
}
