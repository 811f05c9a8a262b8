import type { Chart } from '../api/types';

// What a report's chart draws, worked out without a canvas (unit-tested): its layout and the
// same numbers as a table, so a reader who cannot see the chart loses nothing.

/** Bars lie down (labels down the left) when there are many labels or long ones. */
const MAX_STANDING_BARS = 8;
const MAX_STANDING_LABEL = 14;

/** Height of one lying bar's row, and the room for the axis and the legend, in CSS px. */
const ROW_PX = 30;
const FRAME_PX = 96;
const STANDING_PX = 320;
const MAX_PX = 1200;

export type ChartLayout = {
  /** 'y' when bars lie down: one row per label, the chart as tall as they need. */
  indexAxis: 'x' | 'y';
  stacked: boolean;
  heightPx: number;
};

/** How a chart is laid out: a line always stands; bars lie down when their labels need room. */
export function chartLayout(chart: Chart): ChartLayout {
  const stacked = chart.kind === 'stacked_bar';
  const longest = Math.max(0, ...chart.labels.map((l) => l.length));
  const lying =
    chart.kind !== 'line' &&
    (chart.labels.length > MAX_STANDING_BARS || longest > MAX_STANDING_LABEL);
  if (!lying) return { indexAxis: 'x', stacked, heightPx: STANDING_PX };
  const rows = Math.max(chart.labels.length, 1);
  return {
    indexAxis: 'y',
    stacked,
    heightPx: Math.min(MAX_PX, Math.max(200, rows * ROW_PX + FRAME_PX)),
  };
}

/** A number as the chart's table writes it: whole numbers grouped, others to 2 places at most. */
export function numberWords(n: number): string {
  if (!Number.isFinite(n)) return '';
  return n.toLocaleString('en', { maximumFractionDigits: 2 });
}

export type ChartNumbers = {
  /** The first heading names what the labels are; one heading per series follows. */
  headings: string[];
  rows: { label: string; cells: string[] }[];
  /** Whether the series add up (stacked bars): then a Total column ends each row. */
  totals: boolean;
};

/**
 * The chart's numbers as a table: one row per label, one column per series, and for stacked
 * bars the total of each row. A value a series lacks is left empty, never shown as 0.
 */
export function chartNumbers(chart: Chart, labelHeading = 'Label'): ChartNumbers {
  const totals = chart.kind === 'stacked_bar' && chart.series.length > 1;
  const headings = [labelHeading, ...chart.series.map((s) => s.name), ...(totals ? ['Total'] : [])];
  const rows = chart.labels.map((label, i) => {
    const values = chart.series.map((s) => s.values[i]);
    const cells = values.map((v) => (v === undefined ? '' : numberWords(v)));
    if (totals) {
      cells.push(numberWords(values.reduce<number>((sum, v) => sum + (v ?? 0), 0)));
    }
    return { label, cells };
  });
  return { headings, rows, totals };
}

/** What the chart shows, in one sentence, for its `aria-label`. */
export function chartSummary(chart: Chart): string {
  const what =
    chart.kind === 'line' ? 'Line chart' : chart.kind === 'stacked_bar' ? 'Stacked bars' : 'Bars';
  const series = chart.series.map((s) => s.name).join(', ');
  const labels = chart.labels.length === 1 ? '1 label' : `${chart.labels.length} labels`;
  return `${chart.title}. ${what} of ${series || 'no series'} over ${labels}; “Show numbers” gives each value.`;
}

/** The CSS variables that colour the series, in order (defined in Chart.css). */
export const SERIES_COLOURS = [
  '--chart-1',
  '--chart-2',
  '--chart-3',
  '--chart-4',
  '--chart-5',
  '--chart-6',
] as const;

/** The variable of the `i`th series; they repeat after the sixth (the legend still names each). */
export function seriesColour(i: number): string {
  return SERIES_COLOURS[i % SERIES_COLOURS.length] ?? '--chart-1';
}
