import { useEffect, useState, type FormEvent } from 'react';
import type { PrinterSettings, SampleLabelCode, Setting, Settings } from '../../api/types';
import {
  ErrorAlert,
  Field,
  SelectField,
  StatusMessage,
  SubmitButton,
} from '../../components/forms';
import { errorMessage } from '../../lib/errors';
import { useClient } from '../../session';
import { carriesBoxLabels, carriesSampleLabels, STOCK_LABELS } from './printingText';

const CODE_LABELS: Record<SampleLabelCode, string> = {
  data_matrix: 'DataMatrix',
  qr: 'QR code',
};

type Form = {
  sample: string;
  box: string;
  code: SampleLabelCode;
  copies: string;
};

function formOf(settings: Settings): Form {
  return {
    sample: settings.sample_label_printer ?? '',
    box: settings.box_label_printer ?? '',
    code: settings.sample_label_code,
    copies: String(settings.label_copies),
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

const LABELS: Record<
  'sample_label_printer' | 'box_label_printer' | 'sample_label_code' | 'label_copies',
  string
> = {
  sample_label_printer: 'sample label printer',
  box_label_printer: 'box label printer',
  sample_label_code: 'cryovial label code',
  label_copies: 'label copies',
};

/** Which printer sample and box labels go to, the cryovial code and how many copies. */
export function LabelRouting({
  settings,
  printers,
  editable,
  onSaved,
}: {
  settings: Settings;
  printers: readonly PrinterSettings[];
  editable: boolean;
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

  const changes: Setting[] = [];
  const orNull = (v: string) => (v === '' ? null : v);
  if (orNull(form.sample) !== settings.sample_label_printer)
    changes.push({ key: 'sample_label_printer', value: orNull(form.sample) });
  if (orNull(form.box) !== settings.box_label_printer)
    changes.push({ key: 'box_label_printer', value: orNull(form.box) });
  if (form.code !== settings.sample_label_code)
    changes.push({ key: 'sample_label_code', value: form.code });
  const copies = Number(form.copies);
  if (form.copies !== String(settings.label_copies))
    changes.push({ key: 'label_copies', value: copies });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    if (!Number.isInteger(copies) || copies < 1 || copies > 10) {
      setError('Label copies is a whole number from 1 to 10.');
      return;
    }
    if (reason.trim() === '') {
      setError('Give the reason for the change; it is recorded in the audit trail.');
      return;
    }
    setBusy(true);
    setError(null);
    const saved: string[] = [];
    try {
      let latest = settings;
      for (const setting of changes) {
        latest = await client.changeSettings({ settings: [setting], reason: reason.trim() });
        saved.push(LABELS[setting.key as keyof typeof LABELS]);
      }
      onSaved(latest);
      setDirty(false);
      setReason('');
      setDone(`Saved: ${saved.join(', ')}.`);
    } catch (err: unknown) {
      const partly = saved.length > 0 ? ` (Saved before the problem: ${saved.join(', ')}.)` : '';
      setError(`${errorMessage(err)}${partly}`);
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
        {editable && printers.length === 0 && ' Add a printer above first.'}
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
        <SelectField
          id="route-label-code"
          label="Code on cryovial labels"
          value={form.code}
          onChange={(v) => set('code', v)}
          options={(['data_matrix', 'qr'] as const).map((c) => ({
            value: c,
            label: CODE_LABELS[c],
          }))}
          disabled={!editable}
        />
        <Field
          id="route-label-copies"
          label="Copies of each label"
          type="number"
          min={1}
          max={10}
          value={form.copies}
          onChange={(v) => set('copies', v)}
          hint="From 1 to 10."
          disabled={!editable}
        />
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
        <p className="hint">Only administrators and lab managers can change label routing.</p>
      )}
    </form>
  );
}
