// The geometry of a Levey-Jennings chart: where a control's value goes, and how far from its
// target it is. Pure, so the chart's math is tested without drawing it.

/** How far the chart reaches either side of the target mean, in SD; beyond it, the edge. */
export const CHART_LIMIT_SD = 4;

/** The SD lines drawn across the chart: the mean, then ±1, ±2 and ±3 SD. */
export const SD_LINES: readonly number[] = [3, 2, 1, 0, -1, -2, -3];

/**
 * Where a value stands against its target: within 2 SD, a warning from 2 SD on, out from 3 SD
 * on (both boundaries inclusive, as QC's 1-2s and 1-3s rules count them).
 */
export type PointStanding = 'in' | 'warning' | 'out';

export function classify(z: number): PointStanding {
  const distance = Math.abs(z);
  if (distance >= 3) return 'out';
  if (distance >= 2) return 'warning';
  return 'in';
}

/** A z-score held inside the chart: the edge it was pushed to, if it lies beyond. */
export type Clamped = { z: number; beyond: 'above' | 'below' | null };

export function clampZ(z: number, limit: number = CHART_LIMIT_SD): Clamped {
  if (z > limit) return { z: limit, beyond: 'above' };
  if (z < -limit) return { z: -limit, beyond: 'below' };
  return { z, beyond: null };
}

/** The drawing area of the chart, in the SVG's own units. */
export type PlotArea = { left: number; right: number; top: number; bottom: number };

/** The height of `z` SD in the plot: +limit at the top, the mean in the middle, -limit at the bottom. */
export function yOfZ(z: number, area: PlotArea, limit: number = CHART_LIMIT_SD): number {
  const clamped = clampZ(z, limit).z;
  return area.top + ((limit - clamped) / (2 * limit)) * (area.bottom - area.top);
}

/** The middle of the `index`th of `count` equal slots across the plot (one slot per run). */
export function xOfIndex(index: number, count: number, area: PlotArea): number {
  const slot = (area.right - area.left) / Math.max(count, 1);
  return area.left + (index + 0.5) * slot;
}

/** One value where it is drawn. */
export type PlacedPoint = {
  x: number;
  y: number;
  standing: PointStanding;
  beyond: 'above' | 'below' | null;
};

/** Every value in order, placed (by its z-score) and judged. */
export function placePoints(zScores: readonly number[], area: PlotArea): PlacedPoint[] {
  return zScores.map((z, i) => ({
    x: xOfIndex(i, zScores.length, area),
    y: yOfZ(z, area),
    standing: classify(z),
    beyond: clampZ(z).beyond,
  }));
}

/** The value at `sd` SD from the target mean. */
export function valueAt(mean: number, sd: number, lineSd: number): number {
  return mean + lineSd * sd;
}

/** A number as read off the chart: no floating-point noise (10.299999999 → 10.3). */
export function tidy(n: number): string {
  return String(Number(n.toPrecision(6)));
}

/** SD from the target with its sign: "+2.31", "−0.40", "0.00" (a true minus, read as minus). */
export function formatSd(z: number): string {
  const fixed = Math.abs(z).toFixed(2);
  if (Number(fixed) === 0) return fixed;
  return `${z > 0 ? '+' : '−'}${fixed}`;
}

/** A line's name: "Mean", "+2 SD", "−3 SD". */
export function lineName(lineSd: number): string {
  if (lineSd === 0) return 'Mean';
  return `${lineSd > 0 ? '+' : '−'}${Math.abs(lineSd)} SD`;
}
