import type { BoxMap, RecordSyncView, Well } from '../../api/types';
import {
  DIFF_KINDS,
  positionName,
  rowLetter,
  statusClass,
  statusLabel,
  typeClass,
  type DiffCell,
} from './storageLabels';
import { useSession } from '../../session';

export type ColourBy = 'status' | 'type' | 'diff';

type Props = {
  map: BoxMap;
  colourBy: ColourBy;
  selected: string | null;
  /** The well the next scanned tube goes to, chosen by clicking a free well. */
  target: string | null;
  /** Wells placed this session; the last one is highlighted. */
  placed: readonly string[];
  diff: Map<string, DiffCell> | null;
  /** Each tube's sync state, by code (empty on a stand-alone workstation). */
  syncStates: ReadonlyMap<string, RecordSyncView>;
  onSelect: (position: string, well: Well | null) => void;
};

/** How many of a code's last characters a well shows, large enough to read at arm's length. */
const TAIL = 4;

/** The end of a code, which tells the tubes of one box apart (the start is the lab's prefix). */
export function codeTail(code: string): string {
  return code.length <= TAIL + 1 ? code : code.slice(-TAIL);
}

function wellClass(well: Well | null, colourBy: ColourBy, diffCell: DiffCell | undefined): string {
  if (colourBy === 'diff')
    return diffCell ? `diff-${diffCell.kind}` : well ? 'diff-none' : 'well-empty';
  if (!well) return 'well-empty';
  return colourBy === 'type' ? typeClass(well.sample_type) : statusClass(well.status);
}

/** The box map: a grid of wells coloured by status, sample type or a rack scan's findings. */
/** The wells' sync marks: what is not yet on the hub, or was refused by it. */
const SYNC_MARKS: Partial<
  Record<RecordSyncView, { className: string; label: string; help: string }>
> = {
  queued: {
    className: 'well-sync-queued',
    label: 'Waiting for the hub',
    help: 'placed or changed here; the hub has not decided it yet',
  },
  rejected: {
    className: 'well-sync-rejected',
    label: 'Refused by the hub',
    help: 'the hub refused a change of this tube; see Sync issues',
  },
};

export function BoxMapView({
  map,
  colourBy,
  selected,
  target,
  placed,
  diff,
  syncStates,
  onSelect,
}: Props) {
  const { sampleTypeLabel } = useSession();
  const layout = map.storage_box.layout;
  if (layout.kind !== 'grid') return null;
  const byPosition = new Map<string, Well>();
  for (const w of map.wells) if (w.position) byPosition.set(w.position, w);
  const last = placed.length > 0 ? placed[placed.length - 1] : null;
  const rows = Array.from({ length: layout.rows }, (_, r) => r);
  const columns = Array.from({ length: layout.columns }, (_, c) => c);

  return (
    <div className="box-map-scroll">
      <div
        className="box-map"
        data-testid="box-map"
        role="grid"
        aria-label={`Box ${map.storage_box.name}: ${layout.rows} rows by ${layout.columns} columns`}
        style={{ gridTemplateColumns: `1.6rem repeat(${layout.columns}, minmax(2.9rem, 1fr))` }}
      >
        <div role="row" className="box-map-row">
          <span className="box-map-corner" aria-hidden="true" />
          {columns.map((c) => (
            <span key={c} role="columnheader" className="box-map-head">
              {c + 1}
            </span>
          ))}
        </div>
        {rows.map((r) => (
          <div role="row" key={r} className="box-map-row">
            <span role="rowheader" className="box-map-head">
              {rowLetter(r)}
            </span>
            {columns.map((c) => {
              const position = positionName(r, c);
              const well = byPosition.get(position) ?? null;
              const cell = diff?.get(position);
              const classes = ['well', wellClass(well, colourBy, cell)];
              if (selected === position) classes.push('well-selected');
              if (target === position) classes.push('well-target');
              if (placed.includes(position)) classes.push('well-placed');
              if (last === position) classes.push('well-last');
              const sync = well ? syncStates.get(well.code) : undefined;
              const mark = sync ? SYNC_MARKS[sync] : undefined;
              if (mark) classes.push(mark.className);
              const shown = colourBy === 'diff' && cell ? cell.code : (well?.code ?? '');
              // The full code shows on hover and keyboard focus, beside the well and inside
              // the map: below the wells of the first row, leftwards in the right half.
              const tipClasses = ['well-tip'];
              if (r === 0) tipClasses.push('well-tip-below');
              if (c >= layout.columns / 2) tipClasses.push('well-tip-end');
              const label = well
                ? `${position}: ${well.code}, ${sampleTypeLabel(well.sample_type)}, ${statusLabel(well.status)}${
                    mark ? `, ${mark.label.toLowerCase()}` : ''
                  }`
                : `${position}: empty`;
              return (
                <button
                  key={c}
                  type="button"
                  role="gridcell"
                  className={classes.join(' ')}
                  data-position={position}
                  data-code={well?.code}
                  data-diff={cell?.kind}
                  data-sync={sync}
                  aria-label={cell ? `${label}. Scan: ${cell.detail}` : label}
                  aria-selected={selected === position}
                  title={cell ? `${label}\n${cell.detail}` : label}
                  onClick={() => onSelect(position, well)}
                >
                  <span className="well-position" aria-hidden="true">
                    {position}
                  </span>
                  <span className="well-code" aria-hidden="true">
                    {shown && codeTail(shown)}
                  </span>
                  {shown && (
                    <span className={tipClasses.join(' ')} aria-hidden="true">
                      {shown}
                    </span>
                  )}
                </button>
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}

/** What the colours mean, for the mode shown. */
export function MapLegend({
  map,
  colourBy,
  syncStates,
}: {
  map: BoxMap;
  colourBy: ColourBy;
  syncStates: ReadonlyMap<string, RecordSyncView>;
}) {
  const { sampleTypeLabel } = useSession();
  let entries: { className: string; label: string; title?: string }[];
  if (colourBy === 'diff') {
    entries = DIFF_KINDS.map((d) => ({
      className: `diff-${d.kind}`,
      label: d.label,
      title: d.help,
    }));
  } else if (colourBy === 'type') {
    const types = [...new Set(map.wells.map((w) => w.sample_type))].sort();
    entries = types.map((t) => ({ className: typeClass(t), label: sampleTypeLabel(t) }));
  } else {
    const statuses = [...new Set(map.wells.map((w) => w.status))];
    entries = statuses.map((s) => ({ className: statusClass(s), label: statusLabel(s) }));
  }
  return (
    <ul className="map-legend" aria-label="Legend" data-testid="map-legend">
      {entries.map((e) => (
        <li key={e.className} title={e.title}>
          <span className={`legend-swatch well ${e.className}`} aria-hidden="true" />
          {e.label}
          {e.title && <span className="visually-hidden">: {e.title}</span>}
        </li>
      ))}
      {colourBy !== 'diff' && (
        <li>
          <span className="legend-swatch well well-empty" aria-hidden="true" />
          Empty
        </li>
      )}
      {(['queued', 'rejected'] as const)
        .filter((state) => map.wells.some((w) => syncStates.get(w.code) === state))
        .map((state) => {
          const mark = SYNC_MARKS[state];
          if (!mark) return null;
          return (
            <li key={state} title={mark.help} data-testid={`legend-sync-${state}`}>
              <span
                className={`legend-swatch well well-empty ${mark.className}`}
                aria-hidden="true"
              />
              {mark.label}
              <span className="visually-hidden">: {mark.help}</span>
            </li>
          );
        })}
    </ul>
  );
}
