import type { DeviceKind, DeviceListing, PrinterAddress, ScannerSettings } from '../../api/types';
import { ErrorAlert } from '../../components/forms';
import type { AsyncData } from '../../lib/useAsyncData';
import { describeAddress } from './printingText';

const KIND_LABELS: Record<DeviceKind, string> = {
  printer: 'Label printer',
  scanner: 'Barcode scanner (USB HID POS)',
  serial_port: 'Serial port',
};

/** Printers, scanners and serial ports attached to this workstation (list_devices). */
export function DevicesPanel({
  devices,
  onUsePrinter,
  onUseScanner,
}: {
  devices: AsyncData<DeviceListing[]>;
  onUsePrinter: (address: PrinterAddress, name: string) => void;
  onUseScanner: (scanner: ScannerSettings) => void;
}) {
  const list = devices.data;
  return (
    <div className="card printing-card" data-testid="devices">
      <div className="card-heading-row">
        <h2 id="devices-heading">Attached devices</h2>
        <button
          type="button"
          className="button button-secondary"
          onClick={devices.reload}
          disabled={devices.loading}
          aria-busy={devices.loading}
        >
          {devices.loading ? 'Looking…' : 'Look again'}
        </button>
      </div>
      <p className="hint printing-intro">
        USB printers and scanners, printer device files and serial ports this computer sees. Network
        printers are not listed: add them with their IP address. After plugging something in, press
        “Look again”.
      </p>
      <ErrorAlert message={devices.error} />
      {list && list.length === 0 && (
        <p className="empty-state" data-testid="devices-empty">
          Nothing is attached. Plug the printer or scanner in (and switch it on), then press “Look
          again”.
        </p>
      )}
      {list && list.length > 0 && (
        <ul className="device-list" aria-labelledby="devices-heading">
          {list.map((d, i) => (
            <li key={`${d.kind}-${d.name}-${i}`} className="device" data-testid="device">
              <div className="device-text">
                <span className="device-kind">{KIND_LABELS[d.kind]}</span>
                <span className="device-name">{d.name}</span>
                {d.printer_address && d.kind !== 'serial_port' && (
                  <span className="hint">{describeAddress(d.printer_address)}</span>
                )}
                {d.problem ? (
                  <p className="device-problem" data-testid="device-problem">
                    <strong>Cannot be opened now:</strong> {d.problem}
                  </p>
                ) : (
                  <span className="device-ready">Ready to use</span>
                )}
              </div>
              <div className="row-actions">
                {d.printer_address && (
                  <button
                    type="button"
                    className="button button-secondary"
                    onClick={() => d.printer_address && onUsePrinter(d.printer_address, d.name)}
                  >
                    {d.scanner ? 'Use as printer' : 'Use this device'}
                    <span className="visually-hidden"> {d.name}</span>
                  </button>
                )}
                {d.scanner && (
                  <button
                    type="button"
                    className="button button-secondary"
                    onClick={() => d.scanner && onUseScanner(d.scanner)}
                  >
                    {d.printer_address ? 'Use as scanner' : 'Use this device'}
                    <span className="visually-hidden"> {d.name}</span>
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {!list && devices.loading && <p className="muted">Looking for attached devices…</p>}
    </div>
  );
}
