import { useEffect, useState, type FormEvent } from 'react';
import type {
  FlowControl,
  FramingSettings,
  ScannerSettings,
  Settings,
  Terminator,
} from '../../api/types';
import { useScannerStatus } from '../../components/DeviceStatus';
import {
  ErrorAlert,
  Field,
  SelectField,
  StatusMessage,
  SubmitButton,
} from '../../components/forms';
import { errorMessage } from '../../lib/errors';
import { useWedgeSeen } from '../../scan/ScanContext';
import { useClient } from '../../session';
import {
  FLOW_CONTROL_LABELS,
  hex4,
  SCANNER_BAUDS,
  scannerText,
  TERMINATOR_LABELS,
} from './printingText';
import { whoCan } from '../../lib/roles';

type Kind = 'none' | ScannerSettings['kind'];

type Form = {
  kind: Kind;
  port: string;
  baud: string;
  flow: FlowControl;
  terminator: Terminator;
  prefix: string;
  suffix: string;
  maxLength: string;
  vendorId: string;
  productId: string;
};

const BLANK: Form = {
  kind: 'none',
  port: '',
  baud: '9600',
  flow: 'none',
  terminator: 'cr',
  prefix: '',
  suffix: '',
  maxLength: '128',
  vendorId: '',
  productId: '',
};

function withFraming(form: Form, framing: FramingSettings): Form {
  return {
    ...form,
    terminator: framing.terminator,
    prefix: framing.prefix,
    suffix: framing.suffix,
    maxLength: String(framing.max_length),
  };
}

function formOf(scanner: ScannerSettings | null): Form {
  if (scanner === null) return BLANK;
  if (scanner.kind === 'serial')
    return withFraming(
      {
        ...BLANK,
        kind: 'serial',
        port: scanner.port,
        baud: String(scanner.baud),
        flow: scanner.flow_control,
      },
      scanner.framing,
    );
  return withFraming(
    {
      ...BLANK,
      kind: 'usb_hid_pos',
      vendorId: hex4(scanner.vendor_id),
      productId: hex4(scanner.product_id),
    },
    scanner.framing,
  );
}

function parseHexId(text: string): number | null {
  const t = text.trim();
  if (!/^(0x)?[0-9a-f]{1,4}$/i.test(t)) return null;
  return Number.parseInt(t.replace(/^0x/i, ''), 16);
}

function toScanner(f: Form): ScannerSettings | null | string {
  if (f.kind === 'none') return null;
  const maxLength = Number(f.maxLength.trim());
  if (!Number.isInteger(maxLength) || maxLength < 8 || maxLength > 1024)
    return 'The longest code is a whole number of characters from 8 to 1024.';
  const framing: FramingSettings = {
    terminator: f.terminator,
    prefix: f.prefix,
    suffix: f.suffix,
    max_length: maxLength,
  };
  if (f.kind === 'serial') {
    if (f.port.trim() === '') return 'Give the scanner’s serial port, e.g. /dev/ttyACM0 or COM3.';
    return {
      kind: 'serial',
      port: f.port.trim(),
      baud: Number(f.baud),
      flow_control: f.flow,
      framing,
    };
  }
  const vendor = parseHexId(f.vendorId);
  const product = parseHexId(f.productId);
  if (vendor === null || product === null)
    return 'Give the USB vendor and product ids as four hexadecimal digits, e.g. 0x0C2E.';
  return { kind: 'usb_hid_pos', vendor_id: vendor, product_id: product, framing };
}

const KIND_OPTIONS: { value: Kind; label: string }[] = [
  { value: 'none', label: 'None (keyboard wedge)' },
  { value: 'serial', label: 'Serial or USB serial (CDC)' },
  { value: 'usb_hid_pos', label: 'USB HID POS' },
];

/** The device scanner's state, large, with what to do when it cannot be read. */
export function ScannerStatusPanel() {
  const { status, failed } = useScannerStatus();
  const shown = scannerText(status, failed, useWedgeSeen());
  return (
    <div
      className={`scanner-status scanner-status-${shown.tone}`}
      data-testid="scanner-status"
      data-state={status?.state ?? 'unknown'}
      role="status"
    >
      <span className={`status-dot status-dot-${shown.tone}`} aria-hidden="true" />
      <div>
        <strong>{shown.text}</strong>
        {shown.detail && <p className="hint">{shown.detail}</p>}
      </div>
    </div>
  );
}

/** The `scanner` setting: a serial or USB HID POS scanner, or none. */
export function ScannerPanel({
  settings,
  prefill,
  serialPorts,
  editable,
  onSaved,
}: {
  settings: Settings;
  /** A scanner picked under Attached devices, to start the form from. */
  prefill: ScannerSettings | null;
  serialPorts: readonly string[];
  editable: boolean;
  onSaved: (settings: Settings) => void;
}) {
  const client = useClient();
  const [form, setForm] = useState<Form>(() => formOf(prefill ?? settings.scanner));
  const [dirty, setDirty] = useState(prefill !== null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!dirty) setForm(formOf(settings.scanner));
  }, [settings.scanner, dirty]);

  function set<K extends keyof Form>(key: K, value: Form[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    setDirty(true);
    setDone(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    const scanner = toScanner(form);
    if (typeof scanner === 'string') {
      setError(scanner);
      return;
    }
    if (reason.trim() === '') {
      setError('Give the reason for the change; it is recorded in the audit trail.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const saved = await client.changeSettings({
        settings: [{ key: 'scanner', value: scanner }],
        reason: reason.trim(),
      });
      onSaved(saved);
      setDirty(false);
      setReason('');
      setDone(
        scanner === null
          ? 'Scanner setting removed.'
          : 'Scanner setting saved. The status above shows whether the scanner answers.',
      );
    } catch (err: unknown) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="card printing-card"
      onSubmit={submit}
      data-testid="scanner-settings"
      aria-labelledby="scanner-heading"
    >
      <h2 id="scanner-heading">Scanner</h2>
      <ScannerStatusPanel />
      <p className="hint printing-intro">
        Set a scanner here when it is connected as a serial (or USB serial) device or in USB HID POS
        mode, with the baud rate and terminator it is set to. Keyboard-wedge scanners need nothing
        here.
      </p>
      <datalist id="scanner-ports">
        {serialPorts.map((p) => (
          <option key={p} value={p} />
        ))}
      </datalist>
      <div className="form-grid">
        <SelectField
          id="scanner-kind"
          label="Scanner connection"
          value={form.kind}
          onChange={(v) => set('kind', v)}
          options={KIND_OPTIONS}
          disabled={!editable}
        />
        {form.kind === 'serial' && (
          <>
            <Field
              id="scanner-port"
              label="Serial port"
              value={form.port}
              onChange={(v) => set('port', v)}
              list="scanner-ports"
              placeholder="e.g. /dev/ttyACM0 or COM3"
              required
              disabled={!editable}
            />
            <SelectField
              id="scanner-baud"
              label="Baud rate"
              value={form.baud}
              onChange={(v) => set('baud', v)}
              options={SCANNER_BAUDS.map((b) => ({ value: String(b), label: `${b} baud` }))}
              disabled={!editable}
            />
            <SelectField
              id="scanner-flow"
              label="Flow control"
              value={form.flow}
              onChange={(v) => set('flow', v)}
              options={(['none', 'software', 'hardware'] as const).map((f) => ({
                value: f,
                label: FLOW_CONTROL_LABELS[f],
              }))}
              disabled={!editable}
            />
            <SelectField
              id="scanner-terminator"
              label="Each code ends with"
              value={form.terminator}
              onChange={(v) => set('terminator', v)}
              options={(['cr', 'lf', 'cr_lf', 'any'] as const).map((t) => ({
                value: t,
                label: TERMINATOR_LABELS[t],
              }))}
              disabled={!editable}
            />
          </>
        )}
        {form.kind === 'usb_hid_pos' && (
          <>
            <Field
              id="scanner-vendor-id"
              label="USB vendor id"
              value={form.vendorId}
              onChange={(v) => set('vendorId', v)}
              placeholder="0x0C2E"
              hint="Honeywell is 0x0C2E, Zebra 0x05E0."
              required
              disabled={!editable}
            />
            <Field
              id="scanner-product-id"
              label="USB product id"
              value={form.productId}
              onChange={(v) => set('productId', v)}
              placeholder="0x0000"
              required
              disabled={!editable}
            />
          </>
        )}
        {form.kind !== 'none' && (
          <>
            <Field
              id="scanner-prefix"
              label="Prefix to remove (optional)"
              value={form.prefix}
              onChange={(v) => set('prefix', v)}
              hint="Text the scanner puts before every code."
              disabled={!editable}
            />
            <Field
              id="scanner-suffix"
              label="Suffix to remove (optional)"
              value={form.suffix}
              onChange={(v) => set('suffix', v)}
              hint="Text the scanner puts after every code."
              disabled={!editable}
            />
            <Field
              id="scanner-max-length"
              label="Longest code (characters)"
              type="number"
              min={8}
              max={1024}
              value={form.maxLength}
              onChange={(v) => set('maxLength', v)}
              hint="Longer reads are refused as misreads."
              disabled={!editable}
            />
          </>
        )}
        {editable && (
          <div className="form-grid-full">
            <Field
              id="scanner-reason"
              label="Reason for the change"
              value={reason}
              onChange={setReason}
              hint="Recorded in the audit trail."
              required
              spellCheck
            />
            <ErrorAlert message={error} />
            <StatusMessage message={done} testId="scanner-saved" />
            <div className="form-actions">
              <SubmitButton busy={busy} busyLabel="Saving…" disabled={!dirty}>
                Save scanner setting
              </SubmitButton>
              {dirty && (
                <button
                  type="button"
                  className="button button-secondary"
                  onClick={() => {
                    setDirty(false);
                    setError(null);
                    setForm(formOf(settings.scanner));
                  }}
                >
                  Undo changes
                </button>
              )}
            </div>
          </div>
        )}
      </div>
      {!editable && (
        <p className="hint">Changing the scanner setting is for {whoCan('change_settings')}.</p>
      )}
    </form>
  );
}
