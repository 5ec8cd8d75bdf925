import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBatchEngine, type BatchOptions } from '@inbatch/core';
import { pathOf } from '../src/engine/context.js';

// The prefix test adapters run before building a request's path must never pass on a
// request the route table would have served: every URL `match` accepts, `mayMatch` accepts.
const SETUPS: BatchOptions[] = [
  {},
  { path: '/api/v1/batch' },
  { path: '/Batch', bulkPath: '/Process', bulk: { items: { method: 'PUT', url: '/items/{id}' } } },
];

const segment = fc.constantFrom(
  'batch',
  'BATCH',
  'Batch',
  'api',
  'v1',
  'process',
  'limits',
  'items',
  '',
  '%62atch',
  'bätch',
);
const target = fc
  .tuple(fc.array(segment, { maxLength: 5 }), fc.constantFrom('', '/', '?x=1', '/?', '//'), fc.boolean())
  .map(([segments, tail, absolute]) => `${absolute ? 'http://host' : ''}/${segments.join('/')}${tail}`);
const method = fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'HEAD');

describe('engine.mayMatch, the adapters’ first test', () => {
  for (const options of SETUPS) {
    it(`never refuses a URL the route table serves (${JSON.stringify(options)})`, () => {
      const engine = createBatchEngine(options);
      fc.assert(
        fc.property(method, target, (verb, url) => {
          if (engine.match(verb, pathOf(url)) !== undefined) expect(engine.mayMatch(url)).toBe(true);
        }),
        { numRuns: 5000 },
      );
    });
  }

  it('passes on the app’s own paths, and leaves URLs that are not paths to match', () => {
    const engine = createBatchEngine();
    expect(engine.mayMatch('/items/1')).toBe(false);
    expect(engine.mayMatch('/')).toBe(false);
    expect(engine.mayMatch('/BATCH')).toBe(true);
    expect(engine.mayMatch('/batch/limits?x=1')).toBe(true);
    expect(engine.mayMatch('http://host/batch')).toBe(true);
    expect(engine.mayMatch('//host/batch')).toBe(true);
    expect(engine.mayMatch('/items/../batch')).toBe(true);
  });
});
