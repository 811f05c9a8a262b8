import { useEffect, useId, useRef, useState } from 'react';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJs,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { Chart } from '../api/types';
import { chartLayout, chartNumbers, chartSummary, seriesColour } from './chartData';
import './Chart.css';

// Only what a report's charts use (bars, stacked bars, lines; their scales, legend and
// tooltips), so the rest of Chart.js stays out of the bundle.
ChartJs.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
);
// Ticks and legend as readable as the page's small print.
ChartJs.defaults.font.size = 14;

type Props = {
  chart: Chart;
  /** What the labels are ("Freezer", "Day"), for the numbers table's first heading. */
  labelHeading?: string;
  /** Where else the same numbers are ("The table “Occupancy by freezer” below …"). */
  tableNote?: string;
};

/**
 * A report's chart drawn by Chart.js on a canvas (bars, stacked bars or a line), in the app's
 * colours, without animation. The canvas is an image named by its title and what it shows;
 * "Show numbers" gives the same numbers as a table, for anyone who cannot read the chart.
 */
export function ReportChart({ chart, labelHeading, tableNote }: Props) {
  const figureRef = useRef<HTMLElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [numbersShown, setNumbersShown] = useState(false);
  const numbersId = useId();
  const layout = chartLayout(chart);
  const { indexAxis, stacked } = layout;

  useEffect(() => {
    const canvas = canvasRef.current;
    const figure = figureRef.current;
    if (!canvas || !figure) return undefined;
    // The colours are the stylesheet's, read where the chart is (Chart.css defines them).
    const style = getComputedStyle(figure);
    const colour = (name: string, fallback: string) =>
      style.getPropertyValue(name).trim() || fallback;
    const text = colour('--text', '#1b2631');
    const muted = colour('--text-muted', '#55626f');
    const grid = colour('--border', '#d3dbe3');
    const line = chart.kind === 'line';
    // The page's own typeface and text colour (defaults, read by every part of the chart).
    ChartJs.defaults.font.family = style.fontFamily;
    ChartJs.defaults.color = text;
    const config: ChartConfiguration<'bar' | 'line', number[], string> = {
      type: line ? 'line' : 'bar',
      data: {
        labels: chart.labels,
        datasets: chart.series.map((s, i) => {
          const c = colour(seriesColour(i), '#1d6a83');
          return {
            label: s.name,
            data: s.values,
            backgroundColor: c,
            borderColor: c,
            borderWidth: line ? 2 : 0,
            // A line's points are marked, and each series has its own mark, so the series
            // are told apart without their colour.
            pointRadius: 3,
            pointStyle: POINT_STYLES[i % POINT_STYLES.length],
          };
        }),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis,
        scales: {
          x: {
            stacked,
            beginAtZero: true,
            ticks: { color: muted, precision: 0 },
            grid: { color: grid },
          },
          y: {
            stacked,
            beginAtZero: true,
            ticks: { color: muted, precision: 0 },
            grid: { color: grid },
          },
        },
        plugins: {
          legend: {
            display: chart.series.length > 1,
            position: 'bottom',
            labels: { color: text, usePointStyle: line },
          },
          tooltip: { enabled: true },
        },
      },
    };
    const instance = new ChartJs(canvas, config as ChartConfiguration);
    return () => instance.destroy();
  }, [chart, indexAxis, stacked]);

  const numbers = chartNumbers(chart, labelHeading);
  return (
    <figure className="report-chart" ref={figureRef} data-testid="report-chart">
      <figcaption className="report-chart-title">{chart.title}</figcaption>
      <div className="report-chart-canvas" style={{ height: `${layout.heightPx}px` }}>
        <canvas ref={canvasRef} role="img" aria-label={chartSummary(chart)}>
          {chart.title}: the numbers are in the table that “Show numbers” opens.
        </canvas>
      </div>
      <div className="report-chart-actions">
        <button
          type="button"
          className="button button-secondary button-small"
          aria-expanded={numbersShown}
          aria-controls={numbersId}
          onClick={() => setNumbersShown((shown) => !shown)}
        >
          {numbersShown ? 'Hide numbers' : 'Show numbers'}
        </button>
        {tableNote && <p className="hint">{tableNote}</p>}
      </div>
      <div id={numbersId} hidden={!numbersShown}>
        {numbersShown && (
          <div className="table-wrap">
            <table className="data-table" data-testid="chart-numbers">
              <caption className="visually-hidden">Numbers of the chart “{chart.title}”</caption>
              <thead>
                <tr>
                  {numbers.headings.map((h, i) => (
                    <th key={i} scope="col" className={i === 0 ? undefined : 'numeric'}>
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {numbers.rows.map((row, i) => (
                  <tr key={i}>
                    <th scope="row">{row.label}</th>
                    {row.cells.map((cell, j) => (
                      <td key={j} className="numeric">
                        {cell}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </figure>
  );
}

/** Each line's points have their own shape, in the order of the series. */
const POINT_STYLES = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot'] as const;
