import { describe, expect, it } from 'vitest';
import type { Chart } from '../api/types';
import { chartLayout, chartNumbers, chartSummary, numberWords, seriesColour } from './chartData';

const occupancy: Chart = {
  title: 'Used and free positions by freezer',
  kind: 'stacked_bar',
  labels: ['Freezer 1', 'Freezer 2'],
  series: [
    { name: 'Used', values: [120, 7] },
    { name: 'Free', values: [1080, 1193] },
  ],
  table: 0,
};

describe('a chart laid out', () => {
  it('a few short labels stand as columns', () => {
    expect(chartLayout(occupancy)).toEqual({ indexAxis: 'x', stacked: true, heightPx: 320 });
  });

  it('many labels lie down, one row each, within a height limit', () => {
    const many: Chart = { ...occupancy, kind: 'bar', labels: Array.from({ length: 20 }, String) };
    expect(chartLayout(many)).toEqual({ indexAxis: 'y', stacked: false, heightPx: 20 * 30 + 96 });
    const huge: Chart = { ...many, labels: Array.from({ length: 500 }, String) };
    expect(chartLayout(huge).heightPx).toBe(1200);
  });

  it('a long label lies down too; a line always stands', () => {
    const long: Chart = { ...occupancy, labels: ['Ultra-low freezer in room 2.14'] };
    expect(chartLayout(long).indexAxis).toBe('y');
    const line: Chart = { ...long, kind: 'line', labels: Array.from({ length: 40 }, String) };
    expect(chartLayout(line)).toEqual({ indexAxis: 'x', stacked: false, heightPx: 320 });
  });
});

describe('a chart’s numbers as a table', () => {
  it('one row per label, one column per series, stacked bars totalled', () => {
    expect(chartNumbers(occupancy, 'Freezer')).toEqual({
      headings: ['Freezer', 'Used', 'Free', 'Total'],
      rows: [
        { label: 'Freezer 1', cells: ['120', '1,080', '1,200'] },
        { label: 'Freezer 2', cells: ['7', '1,193', '1,200'] },
      ],
      totals: true,
    });
  });

  it('side-by-side bars have no total; a missing value is empty, not 0', () => {
    const bars: Chart = {
      ...occupancy,
      kind: 'bar',
      series: [{ name: 'Samples', values: [3] }],
    };
    expect(chartNumbers(bars)).toEqual({
      headings: ['Label', 'Samples'],
      rows: [
        { label: 'Freezer 1', cells: ['3'] },
        { label: 'Freezer 2', cells: [''] },
      ],
      totals: false,
    });
  });

  it('numbers are grouped and rounded to two places', () => {
    expect(numberWords(1234567)).toBe('1,234,567');
    expect(numberWords(12.345)).toBe('12.35');
    expect(numberWords(Number.NaN)).toBe('');
  });
});

describe('a chart in words', () => {
  it('names its title, kind, series and how many labels', () => {
    expect(chartSummary(occupancy)).toBe(
      'Used and free positions by freezer. Stacked bars of Used, Free over 2 labels; “Show numbers” gives each value.',
    );
  });

  it('series colours repeat after six', () => {
    expect(seriesColour(0)).toBe('--chart-1');
    expect(seriesColour(6)).toBe('--chart-1');
    expect(seriesColour(7)).toBe('--chart-2');
  });
});
