import { describe, expect, it } from 'vitest';
import { routeFromHash, screenOf } from './router';

describe('routes', () => {
  it('no route is home', () => {
    for (const hash of ['', '#', '#/']) expect(routeFromHash(hash)).toEqual({ page: 'home' });
  });

  it('a known page, with its id', () => {
    expect(routeFromHash('#/printing')).toEqual({ page: 'printing' });
    expect(routeFromHash('#/sample/abc%2F1')).toEqual({ page: 'sample', id: 'abc/1' });
    expect(routeFromHash('#/query')).toEqual({ page: 'query' });
    expect(routeFromHash('#/saved')).toEqual({ page: 'saved' });
    expect(routeFromHash('#/query/saved%3Aabc')).toEqual({ page: 'query', id: 'saved:abc' });
    expect(routeFromHash('#/reports/saved:abc')).toEqual({ page: 'reports', id: 'saved:abc' });
    expect(routeFromHash('#/reports/custody%3AS-0001%2FA')).toEqual({
      page: 'reports',
      id: 'custody:S-0001/A',
    });
  });

  it('a route that names no page is "not found", not home', () => {
    expect(routeFromHash('#/nonsense')).toEqual({ page: 'not_found' });
    expect(routeFromHash('#/not_found')).toEqual({ page: 'not_found' });
    expect(routeFromHash('#/sample/%E0%A4%A')).toEqual({ page: 'not_found' });
  });

  it('one screen has one key however its hash is written', () => {
    expect(screenOf('')).toBe(screenOf('#/home'));
    expect(screenOf('#/')).toBe('#/home');
    expect(screenOf('#/box/1')).not.toBe(screenOf('#/box/2'));
    // A custody link written by hand, its colon unescaped, is the same screen.
    expect(screenOf('#/reports/custody:S1')).toBe(screenOf('#/reports/custody%3AS1'));
  });
});
