import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { LabelStock, PrinterAddress, PrinterLanguage, PrinterSettings } from '../../api/types';
import { ErrorAlert, Field, SelectField, SubmitButton } from '../../components/forms';
import { errorMessage } from '../../lib/errors';
import { useClient } from '../../session';
import { hex4, LANGUAGE_LABELS, PRINTER_BAUDS, STOCK_LABELS } from './printingText';

type AddressKind = PrinterAddress['kind'];

/** What the form starts from: a printer to edit, or a new one (maybe with a found address). */
export type PrinterDraft =
  | { mode: 'edit'; printer: PrinterSettings }
  | { mode: 'new'; address: PrinterAddress | null; suggestedName: string };

type FormState = {
  name: string;
  kind: AddressKind;
  host: string;
  port: string;
  serialPort: string;
  baud: string;
  hardwareFlow: boolean;
  path: string;
  vendorId: string;
  productId: string;
  serialNumber: string;
  fakeName: string;
  language: PrinterLanguage;
  dpi: '203' | '300' | '600';
  stock: LabelStock;
  darkness: string;
};

const BLANK: FormState = {
  name: '',
  kind: 'tcp',
  host: '',
  port: '9100',
  serialPort: '',
  baud: '9600',
  hardwareFlow: false,
  path: '',
  vendorId: '',
  productId: '',
  serialNumber: '',
  fakeName: '',
  language: 'zpl',
  dpi: '203',
  stock: 'cryovial',
  darkness: '',
};

function withAddress(state: FormState, address: PrinterAddress): FormState {
  switch (address.kind) {
    case 'tcp':
      return { ...state, kind: 'tcp', host: address.host, port: String(address.port) };
    case 'serial':
      return {
        ...state,
        kind: 'serial',
        serialPort: address.port,
        baud: String(address.baud),
        hardwareFlow: address.hardware_flow_control,
      };
    case 'device_file':
      return { ...state, kind: 'device_file', path: address.path };
    case 'usb':
      return {
        ...state,
        kind: 'usb',
        vendorId: hex4(address.vendor_id),
        productId: hex4(address.product_id),
        serialNumber: address.serial_number ?? '',
      };
    case 'fake':
      return { ...state, kind: 'fake', fakeName: address.name };
  }
}

function initialState(draft: PrinterDraft): FormState {
  if (draft.mode === 'new') {
    const start = { ...BLANK, name: draft.suggestedName };
    return draft.address ? withAddress(start, draft.address) : start;
  }
  const p = draft.printer;
  const dpi = p.dpi === 300 ? '300' : p.dpi === 600 ? '600' : '203';
  return withAddress(
    {
      ...BLANK,
      name: p.name,
      language: p.language,
      dpi,
      stock: p.stock,
      darkness: p.darkness === null ? '' : String(p.darkness),
    },
    p.address,
  );
}

function parseHexId(text: string): number | null {
  const t = text.trim();
  if (!/^(0x)?[0-9a-f]{1,4}$/i.test(t)) return null;
  return Number.parseInt(t.replace(/^0x/i, ''), 16);
}

/** The form as printer settings, or a sentence saying what to correct. */
function toSettings(f: FormState): PrinterSettings | string {
  const name = f.name.trim();
  if (name === '') return 'Give the printer a name people will recognise, e.g. “Bench Zebra”.';
  let address: PrinterAddress;
  switch (f.kind) {
    case 'tcp': {
      const port = Number(f.port.trim());
      if (f.host.trim() === '') return 'Give the printer’s IP address or host name.';
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        return 'The port is a number from 1 to 65535; label printers usually listen on 9100.';
      address = { kind: 'tcp', host: f.host.trim(), port };
      break;
    }
    case 'serial':
      if (f.serialPort.trim() === '')
        return 'Give the serial port the printer is on, e.g. /dev/ttyUSB0 or COM3.';
      address = {
        kind: 'serial',
        port: f.serialPort.trim(),
        baud: Number(f.baud),
        hardware_flow_control: f.hardwareFlow,
      };
      break;
    case 'device_file':
      if (f.path.trim() === '') return 'Give the printer’s device file, e.g. /dev/usb/lp0.';
      address = { kind: 'device_file', path: f.path.trim() };
      break;
    case 'usb': {
      const vendor = parseHexId(f.vendorId);
      const product = parseHexId(f.productId);
      if (vendor === null || product === null)
        return 'Give the USB vendor and product ids as four hexadecimal digits, e.g. 0x0A5F.';
      address = {
        kind: 'usb',
        vendor_id: vendor,
        product_id: product,
        serial_number: f.serialNumber.trim() === '' ? null : f.serialNumber.trim(),
      };
      break;
    }
    case 'fake':
      address = { kind: 'fake', name: f.fakeName };
      break;
  }
  let darkness: number | null = null;
  if (f.darkness.trim() !== '') {
    const d = Number(f.darkness.trim());
    if (!Number.isInteger(d) || d < 0 || d > 30)
      return 'Darkness is a whole number from 0 to 30, or empty to keep the printer’s own setting.';
    darkness = d;
  }
  return { name, address, language: f.language, dpi: Number(f.dpi), stock: f.stock, darkness };
}

const KIND_OPTIONS: { value: AddressKind; label: string }[] = [
  { value: 'tcp', label: 'Network (TCP/IP)' },
  { value: 'usb', label: 'USB, direct' },
  { value: 'device_file', label: 'USB printer device file' },
  { value: 'serial', label: 'Serial port' },
];

export function PrinterForm({
  draft,
  existingNames,
  onSaved,
  onCancel,
}: {
  draft: PrinterDraft;
  existingNames: readonly string[];
  onSaved: (printer: PrinterSettings) => void;
  onCancel: () => void;
}) {
  const client = useClient();
  const [form, setForm] = useState<FormState>(() => initialState(draft));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLFormElement>(null);
  const editing = draft.mode === 'edit';

  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'start' });
    ref.current?.querySelector<HTMLElement>('input:not([disabled]), select')?.focus();
  }, []);

  function set<K extends keyof FormState>(key: K, value: FormState[K]) {
    setForm((f) => ({ ...f, [key]: value }));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const settings = toSettings(form);
    if (typeof settings === 'string') {
      setError(settings);
      return;
    }
    if (!editing && existingNames.includes(settings.name)) {
      setError(
        `A printer named “${settings.name}” is already set up. Edit it in the list above, or choose another name.`,
      );
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSaved(await client.run('configure_printer', settings));
    } catch (err: unknown) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  const kinds =
    form.kind === 'fake'
      ? [...KIND_OPTIONS, { value: 'fake' as const, label: 'In-memory test printer' }]
      : KIND_OPTIONS;

  return (
    <form
      ref={ref}
      className="card printing-card"
      onSubmit={submit}
      data-testid="printer-form"
      aria-labelledby="printer-form-heading"
    >
      <h2 id="printer-form-heading">{editing ? `Edit ${form.name}` : 'Add a printer'}</h2>
      <div className="form-grid">
        <Field
          id="printer-name"
          label="Name"
          value={form.name}
          onChange={(v) => set('name', v)}
          disabled={editing}
          hint={
            editing
              ? 'A printer is known by its name, so the name cannot change here.'
              : 'What people choose it by, e.g. “Bench Zebra”.'
          }
          required
          spellCheck
        />
        <SelectField
          id="printer-connection"
          label="Connection"
          value={form.kind}
          onChange={(v) => set('kind', v)}
          options={kinds}
        />
        {form.kind === 'tcp' && (
          <>
            <Field
              id="printer-host"
              label="IP address or host name"
              value={form.host}
              onChange={(v) => set('host', v)}
              placeholder="e.g. 192.168.1.50"
              required
            />
            <Field
              id="printer-port"
              label="Port"
              type="number"
              min={1}
              max={65535}
              value={form.port}
              onChange={(v) => set('port', v)}
              hint="Label printers listen on 9100."
              required
            />
          </>
        )}
        {form.kind === 'serial' && (
          <>
            <Field
              id="printer-serial-port"
              label="Serial port"
              value={form.serialPort}
              onChange={(v) => set('serialPort', v)}
              placeholder="e.g. /dev/ttyUSB0 or COM3"
              required
            />
            <SelectField
              id="printer-baud"
              label="Baud rate"
              value={form.baud}
              onChange={(v) => set('baud', v)}
              options={PRINTER_BAUDS.map((b) => ({ value: String(b), label: `${b} baud` }))}
            />
            <div className="field field-checkbox">
              <input
                id="printer-hardware-flow"
                type="checkbox"
                checked={form.hardwareFlow}
                onChange={(e) => set('hardwareFlow', e.target.checked)}
              />
              <label htmlFor="printer-hardware-flow">Hardware flow control (RTS/CTS)</label>
            </div>
          </>
        )}
        {form.kind === 'device_file' && (
          <Field
            id="printer-path"
            label="Device file"
            value={form.path}
            onChange={(v) => set('path', v)}
            placeholder="/dev/usb/lp0"
            hint="Attached printers are listed under Attached devices."
            required
          />
        )}
        {form.kind === 'usb' && (
          <>
            <Field
              id="printer-vendor-id"
              label="USB vendor id"
              value={form.vendorId}
              onChange={(v) => set('vendorId', v)}
              placeholder="0x0A5F"
              hint="Zebra is 0x0A5F."
              required
            />
            <Field
              id="printer-product-id"
              label="USB product id"
              value={form.productId}
              onChange={(v) => set('productId', v)}
              placeholder="0x0000"
              required
            />
            <Field
              id="printer-serial-number"
              label="USB serial number (optional)"
              value={form.serialNumber}
              onChange={(v) => set('serialNumber', v)}
              hint="Needed only when several printers of the same model are attached."
            />
          </>
        )}
        {form.kind === 'fake' && (
          <p className="hint form-grid-full">
            An in-memory printer for demonstrations: its labels go nowhere.
          </p>
        )}
        <SelectField
          id="printer-language"
          label="Printer language"
          value={form.language}
          onChange={(v) => set('language', v)}
          options={(['zpl', 'tspl'] as const).map((l) => ({ value: l, label: LANGUAGE_LABELS[l] }))}
        />
        <SelectField
          id="printer-dpi"
          label="Resolution"
          value={form.dpi}
          onChange={(v) => set('dpi', v)}
          options={(['203', '300', '600'] as const).map((d) => ({ value: d, label: `${d} dpi` }))}
        />
        <SelectField
          id="printer-stock"
          label="Labels loaded"
          value={form.stock}
          onChange={(v) => set('stock', v)}
          options={(['cryovial', 'tube_2x1', 'box_3x1'] as const).map((s) => ({
            value: s,
            label: STOCK_LABELS[s],
          }))}
        />
        <Field
          id="printer-darkness"
          label="Darkness (0–30, optional)"
          type="number"
          min={0}
          max={30}
          value={form.darkness}
          onChange={(v) => set('darkness', v)}
          hint="Empty keeps the printer’s own setting. Raise it if labels print faint."
        />
        <div className="form-grid-full">
          <ErrorAlert message={error} testId="printer-form-error" />
          <div className="form-actions">
            <SubmitButton busy={busy} busyLabel="Saving…">
              Save printer
            </SubmitButton>
            <button type="button" className="button button-secondary" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </div>
      </div>
    </form>
  );
}
