import type { SampleStatus } from '../../api/types';
import { statusLabel } from '../../lib/samples';
import { statusClass } from '../storage/storageLabels';

/** A sample's status in the colours of the box map, so a status looks the same everywhere. */
export function StatusBadge({ status }: { status: SampleStatus }) {
  return (
    <span
      className={`status-badge ${statusClass(status)}`}
      data-testid="sample-status"
      data-status={status}
    >
      {statusLabel(status)}
    </span>
  );
}
