import { describe, expect, it } from 'vitest';
import {
  CHART_LIMIT_SD,
  clampZ,
  classify,
  formatSd,
  lineName,
  placePoints,
  tidy,
  valueAt,
  xOfIndex,
  yOfZ,
  type PlotArea,
} from './leveyJennings';

const AREA: PlotArea = { left: 100, right: 700, top: 20, bottom: 340 };

describe('classify', () => {
  it('keeps a value within 2 SD in range', () => {
    expect(classify(0)).toBe('in');
    expect(classify(1.99)).toBe('in');
    expect(classify(-1.999)).toBe('in');
  });

  it('warns from 2 SD on, inclusive, either side', () => {
    expect(classify(2)).toBe('warning');
    expect(classify(-2)).toBe('warning');
    expect(classify(2.99)).toBe('warning');
    expect(classify(-2.5)).toBe('warning');
  });

  it('calls a value out from 3 SD on, inclusive, either side', () => {
    expect(classify(3)).toBe('out');
    expect(classify(-3)).toBe('out');
    expect(classify(7.2)).toBe('out');
    expect(classify(-Infinity)).toBe('out');
  });
});

describe('clampZ', () => {
  it('leaves a value on the chart as it is', () => {
    expect(clampZ(3.5)).toEqual({ z: 3.5, beyond: null });
    expect(clampZ(-4)).toEqual({ z: -4, beyond: null });
    expect(clampZ(4)).toEqual({ z: 4, beyond: null });
  });

  it('pushes a value beyond ±4 SD to the edge and says which', () => {
    expect(clampZ(6.1)).toEqual({ z: CHART_LIMIT_SD, beyond: 'above' });
    expect(clampZ(-9)).toEqual({ z: -CHART_LIMIT_SD, beyond: 'below' });
    expect(clampZ(Infinity)).toEqual({ z: 4, beyond: 'above' });
  });
});

describe('yOfZ', () => {
  it('puts the mean in the middle, +4 SD at the top and −4 SD at the bottom', () => {
    expect(yOfZ(0, AREA)).toBe(180);
    expect(yOfZ(4, AREA)).toBe(20);
    expect(yOfZ(-4, AREA)).toBe(340);
  });

  it('spaces the SD lines evenly', () => {
    expect(yOfZ(1, AREA)).toBe(140);
    expect(yOfZ(-2, AREA)).toBe(260);
    expect(yOfZ(3, AREA)).toBe(60);
  });

  it('draws a value beyond the chart at its edge', () => {
    expect(yOfZ(12, AREA)).toBe(20);
    expect(yOfZ(-5, AREA)).toBe(340);
  });
});

describe('xOfIndex', () => {
  it('centres each run in its slot', () => {
    expect(xOfIndex(0, 1, AREA)).toBe(400);
    expect(xOfIndex(0, 3, AREA)).toBe(200);
    expect(xOfIndex(1, 3, AREA)).toBe(400);
    expect(xOfIndex(2, 3, AREA)).toBe(600);
  });

  it('does not divide by zero', () => {
    expect(xOfIndex(0, 0, AREA)).toBe(400);
  });
});

describe('placePoints', () => {
  it('places and judges each value in order', () => {
    expect(placePoints([0, 2.5, -4.5], AREA)).toEqual([
      { x: 200, y: 180, standing: 'in', beyond: null },
      { x: 400, y: 80, standing: 'warning', beyond: null },
      { x: 600, y: 340, standing: 'out', beyond: 'below' },
    ]);
  });

  it('places nothing for no values', () => {
    expect(placePoints([], AREA)).toEqual([]);
  });
});

describe('words and numbers', () => {
  it('gives the value of each SD line without floating-point noise', () => {
    expect(tidy(valueAt(10, 0.1, 3))).toBe('10.3');
    expect(tidy(valueAt(1.2, 0.15, -2))).toBe('0.9');
    expect(tidy(valueAt(100, 5, 0))).toBe('100');
  });

  it('signs the distance from the target', () => {
    expect(formatSd(2.314)).toBe('+2.31');
    expect(formatSd(-0.4)).toBe('−0.40');
    expect(formatSd(0)).toBe('0.00');
    expect(formatSd(-0.001)).toBe('0.00');
  });

  it('names the lines', () => {
    expect(lineName(0)).toBe('Mean');
    expect(lineName(2)).toBe('+2 SD');
    expect(lineName(-3)).toBe('−3 SD');
  });
});
