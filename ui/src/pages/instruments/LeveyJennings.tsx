import { useState, type ReactNode } from 'react';
import type { ControlLotRecord, ControlPoint } from '../../api/types';
import { ErrorAlert } from '../../components/forms';
import { Pager } from '../../components/Pager';
import { useAsyncData } from '../../lib/useAsyncData';
import { count } from '../../lib/words';
import { useClient, useSession } from '../../session';
import { stateLabel } from '../runs/runWords';
import {
  CHART_LIMIT_SD,
  SD_LINES,
  classify,
  formatSd,
  lineName,
  placePoints,
  tidy,
  valueAt,
  yOfZ,
  type PlacedPoint,
  type PlotArea,
  type PointStanding,
} from './leveyJennings';

const PER_PAGE = 30;

// The chart's own units (the SVG scales to the width it is given).
const WIDTH = 760;
const HEIGHT = 372;
const AREA: PlotArea = { left: 64, right: 640, top: 28, bottom: 300 };

const STANDING_WORDS: Record<PointStanding, string> = {
  in: 'within 2 SD',
  warning: 'warning: 2 SD or more from the target',
  out: 'out: 3 SD or more from the target',
};

/** A value with the lot's unit, if it has one. */
function withUnit(value: string, unit: string | null): string {
  return unit ? `${value} ${unit}` : value;
}

/**
 * A control lot's Levey-Jennings chart: each value of its control wells, run by run, against
 * the target mean and ±1, ±2, ±3 SD, with the same values in a table below.
 */
export function LeveyJennings({ lot }: { lot: ControlLotRecord }) {
  const client = useClient();
  const { formatTime } = useSession();
  // null: the latest runs (the last page, learned from the first answer).
  const [page, setPage] = useState<number | null>(null);
  const chart = useAsyncData(async () => {
    const args = { control_lot_id: lot.id, per_page: PER_PAGE };
    const first = await client.run('get_control_chart', { ...args, page: page ?? 1 });
    const last = first.points.total_pages;
    if (page !== null || last <= 1) return first;
    return client.run('get_control_chart', { ...args, page: last });
  }, [client, lot.id, page]);
  const data = chart.data;
  const target = data?.lot ?? lot;
  const points = data?.points;
  const unit = target.unit;
  return (
    <div className="levey-jennings" data-testid="levey-jennings">
      <p className="hint">
        Target {withUnit(`${tidy(target.target_mean)} ± ${tidy(target.target_sd)}`, unit)} (
        {target.read}). Oldest run on the left; the chart opens on the latest runs, earlier ones are
        on the previous pages.
      </p>
      <ErrorAlert message={chart.error} />
      {!points && chart.loading && <p className="muted">Loading the control results…</p>}
      {points && points.total === 0 && (
        <p className="empty-state">
          No control results yet: they appear when a run with this lot on its plate is imported.
        </p>
      )}
      {points && points.total > 0 && (
        <>
          <Chart
            lot={target}
            points={points.items}
            firstNumber={(points.page - 1) * points.per_page + 1}
          />
          <Legend />
          {points.total_pages > 1 && (
            <Pager
              label="Control result pages, oldest first"
              page={points.page}
              totalPages={points.total_pages}
              total={points.total}
              onPage={setPage}
              disabled={chart.loading}
            />
          )}
          <div className="table-wrap">
            <table className="data-table lj-table" data-testid="levey-jennings-table">
              <caption className="visually-hidden">
                Control results of {target.material} lot {target.lot}, oldest first
              </caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Run</th>
                  <th scope="col">Imported</th>
                  <th scope="col">Well</th>
                  <th scope="col">Value</th>
                  <th scope="col">SD from target</th>
                </tr>
              </thead>
              <tbody>
                {points.items.map((p, i) => {
                  const standing = classify(p.z_score);
                  return (
                    <tr
                      key={`${p.import_id}:${p.well}:${i}`}
                      className={`lj-row-${standing}`}
                      data-standing={standing}
                    >
                      <td>{(points.page - 1) * points.per_page + i + 1}</td>
                      <td>
                        <a href={`#/run/${p.run_id}`}>{p.run_name}</a>
                        <span className="muted"> · {stateLabel(p.run_state)}</span>
                      </td>
                      <td>
                        <time dateTime={p.imported_at}>{formatTime(p.imported_at)}</time>
                      </td>
                      <td>{p.well}</td>
                      <td>{withUnit(String(p.value), unit)}</td>
                      <td>
                        {formatSd(p.z_score)}
                        {standing !== 'in' && (
                          <strong className="lj-standing"> · {STANDING_WORDS[standing]}</strong>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}

function Chart({
  lot,
  points,
  firstNumber,
}: {
  lot: ControlLotRecord;
  points: ControlPoint[];
  firstNumber: number;
}) {
  const placedPoints = placePoints(
    points.map((p) => p.z_score),
    AREA,
  );
  const warnings = placedPoints.filter((p) => p.standing === 'warning').length;
  const outs = placedPoints.filter((p) => p.standing === 'out').length;
  const summary =
    `Levey-Jennings chart of ${lot.material} lot ${lot.lot}: ` +
    `${count(points.length, 'result')} from run ${firstNumber} on, ` +
    `${warnings} at 2 to 3 SD from the target, ${outs} at 3 SD or more. ` +
    'The table below lists each value.';
  // Run numbers under the points, as many as fit without overlapping, the latest always.
  const slot = (AREA.right - AREA.left) / Math.max(points.length, 1);
  const labelWidth = String(firstNumber + points.length - 1).length * 7 + 6;
  const every = Math.max(1, Math.ceil(labelWidth / slot));
  const trace = placedPoints.map((p) => `${p.x},${p.y}`).join(' ');
  return (
    <svg
      className="lj-chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={summary}
      data-testid="levey-jennings-chart"
    >
      <rect
        className="lj-plot"
        x={AREA.left}
        y={AREA.top}
        width={AREA.right - AREA.left}
        height={AREA.bottom - AREA.top}
      />
      {SD_LINES.map((sd) => {
        const y = yOfZ(sd, AREA);
        return (
          <g key={sd} className={`lj-sd lj-sd-${Math.abs(sd)}`}>
            <line x1={AREA.left} x2={AREA.right} y1={y} y2={y} />
            <text x={AREA.left - 8} y={y} textAnchor="end" dominantBaseline="middle">
              {lineName(sd)}
            </text>
            <text x={AREA.right + 8} y={y} dominantBaseline="middle">
              {withUnit(tidy(valueAt(lot.target_mean, lot.target_sd, sd)), lot.unit)}
            </text>
          </g>
        );
      })}
      {placedPoints.length > 1 && <polyline className="lj-trace" points={trace} />}
      {placedPoints.map((at, i) => {
        const p = points[i];
        if (!p) return null;
        const n = firstNumber + i;
        return (
          <g key={`${p.import_id}:${p.well}:${i}`}>
            <Marker at={at}>
              <title>
                {`${n}. ${p.run_name}, well ${p.well}: ${withUnit(String(p.value), lot.unit)}, ` +
                  `${formatSd(p.z_score)} SD (${STANDING_WORDS[at.standing]})` +
                  (at.beyond
                    ? `; beyond ${at.beyond === 'above' ? '+' : '−'}${CHART_LIMIT_SD} SD, drawn at the edge`
                    : '')}
              </title>
            </Marker>
            {(points.length - 1 - i) % every === 0 && (
              <text className="lj-run-number" x={at.x} y={AREA.bottom + 40} textAnchor="middle">
                {n}
              </text>
            )}
          </g>
        );
      })}
      <text className="lj-axis" x={(AREA.left + AREA.right) / 2} y={HEIGHT - 8} textAnchor="middle">
        Runs, oldest on the left (numbered as in the table)
      </text>
    </svg>
  );
}

/**
 * One value's mark: a circle within 2 SD, a triangle for a warning, a square when out, and a
 * square with an arrow when it lies beyond the chart's edge. Never told by colour alone.
 */
function Marker({ at, children }: { at: PlacedPoint; children?: ReactNode }) {
  const { x, y, standing, beyond } = at;
  const className = `lj-point lj-point-${standing}${beyond ? ' lj-point-beyond' : ''}`;
  if (beyond) {
    // The arrow points off the chart, the way the value lies.
    const d = beyond === 'above' ? -1 : 1;
    return (
      <g className={className}>
        {children}
        <rect x={x - 6} y={y - 6} width={12} height={12} />
        <path
          className="lj-arrow"
          d={`M ${x} ${y + d * 8} L ${x} ${y + d * 22} M ${x - 5} ${y + d * 16} L ${x} ${y + d * 22} L ${x + 5} ${y + d * 16}`}
        />
      </g>
    );
  }
  switch (standing) {
    case 'in':
      return (
        <g className={className}>
          {children}
          <circle cx={x} cy={y} r={5} />
        </g>
      );
    case 'warning':
      return (
        <g className={className}>
          {children}
          <path d={`M ${x} ${y - 7} L ${x + 7} ${y + 5} L ${x - 7} ${y + 5} Z`} />
        </g>
      );
    case 'out':
      return (
        <g className={className}>
          {children}
          <rect x={x - 6} y={y - 6} width={12} height={12} />
        </g>
      );
  }
}

/** What the marks mean, with the marks themselves. */
function Legend() {
  const entries: { at: PlacedPoint; words: string }[] = [
    { at: { x: 12, y: 14, standing: 'in', beyond: null }, words: 'Within 2 SD of the target' },
    {
      at: { x: 12, y: 14, standing: 'warning', beyond: null },
      words: 'Warning: 2 SD or more from the target',
    },
    {
      at: { x: 12, y: 14, standing: 'out', beyond: null },
      words: 'Out: 3 SD or more from the target',
    },
    {
      at: { x: 12, y: 6, standing: 'out', beyond: 'below' },
      words: `Beyond ${CHART_LIMIT_SD} SD: drawn at the edge, the table gives the value`,
    },
  ];
  return (
    <ul className="lj-legend" aria-label="What the marks mean">
      {entries.map((e) => (
        <li key={e.words}>
          <svg className="lj-legend-mark" viewBox="0 0 24 28" aria-hidden="true">
            <Marker at={e.at} />
          </svg>
          {e.words}
        </li>
      ))}
    </ul>
  );
}
