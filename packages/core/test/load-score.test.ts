import { describe, expect, it } from 'vitest';
import { resolveOptions, type BatchOptions } from '@inbatch/core';

const resolveLoose = (options: unknown) => resolveOptions(options as BatchOptions);
const scores = (options: BatchOptions) => resolveOptions(options).loadScores;

describe('load scores', () => {
  it('are inactive by default: nothing costs anything, so 1000 operations stay reachable', () => {
    const compiled = scores({});
    expect(compiled.active).toBe(false);
    expect(compiled.score('GET', '/anything')).toBe(0);
  });

  it('match a {param} segment, the method, any case and a trailing slash', () => {
    const compiled = scores({
      loadScores: [
        { method: 'get', endpoint: '/v1/areas/activityLimits/{id}', loadScore: 2 },
        { method: 'DELETE', endpoint: '/v1/areas/activityLimits/{id}', loadScore: 1 },
      ],
    });
    expect(compiled.active).toBe(true);
    expect(compiled.score('GET', '/V1/areas/ACTIVITYLIMITS/7/')).toBe(2);
    expect(compiled.score('DELETE', '/v1/areas/activityLimits/7')).toBe(1);
    expect(compiled.score('PUT', '/v1/areas/activityLimits/7')).toBe(0);
    expect(compiled.score('GET', '/v1/areas/activityLimits')).toBe(0);
    expect(compiled.score('GET', '/v1/areas/activityLimits/7/x')).toBe(0);
  });

  it('lets the most specific rule win, and the first listed among equals', () => {
    const compiled = scores({
      loadScores: [
        { method: '*', endpoint: '/items/{id}', loadScore: 5 },
        { method: 'GET', endpoint: '/items/special', loadScore: 9 },
        { method: 'GET', endpoint: '/items/{x}', loadScore: 7 },
      ],
    });
    expect(compiled.score('GET', '/items/special')).toBe(9);
    expect(compiled.score('GET', '/items/1')).toBe(5);
    expect(compiled.score('PATCH', '/items/1')).toBe(5);
  });

  it('score unlisted requests with defaultLoadScore', () => {
    const compiled = scores({ defaultLoadScore: 3, loadScores: [{ method: 'GET', endpoint: '/a', loadScore: 1 }] });
    expect(compiled.score('GET', '/a')).toBe(1);
    expect(compiled.score('GET', '/b')).toBe(3);
    expect(scores({ defaultLoadScore: 1 }).active).toBe(true);
  });

  it('publish the rules as the seed writes them: lower-case methods', () => {
    expect(scores({ loadScores: [{ method: 'PUT', endpoint: '/a/{id}', loadScore: 2 }] }).published).toEqual([
      { endpoint: '/a/{id}', loadScore: 2, method: 'put' },
    ]);
  });

  it('refuse bad rules at mount with a TypeError naming the entry', () => {
    for (const loadScores of [
      'x',
      [{ method: 'GET', endpoint: 'items', loadScore: 1 }],
      [{ method: 'GET', endpoint: '/items?x', loadScore: 1 }],
      [{ method: 'G-T', endpoint: '/items', loadScore: 1 }],
      [{ method: 'GET', endpoint: '/items', loadScore: -1 }],
      [{ method: 'GET', endpoint: '/items', loadScore: 1.5 }],
      [null],
    ]) {
      expect(() => resolveLoose({ loadScores }), JSON.stringify(loadScores)).toThrow(TypeError);
      expect(() => resolveLoose({ loadScores }), JSON.stringify(loadScores)).toThrow(/"loadScores"/);
    }
    expect(() => resolveLoose({ defaultLoadScore: -1 })).toThrow(/option "defaultLoadScore"/);
    expect(() => resolveLoose({ maxLoadScore: 0 })).toThrow(/option "maxLoadScore"/);
  });
});
