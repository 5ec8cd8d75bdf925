import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wireUrl } from '../../packages/core/src/dispatch/fast/wire-url.js';

/** What light-my-request hands the app for a target (lib/parse-url.js, then `pathname + search`). */
function referenceUrl(target: string): string {
  const parsed = new URL(target.startsWith('//') ? `http://localhost${target}` : target, 'http://localhost');
  return parsed.pathname + parsed.search;
}

// Every printable ASCII character and a few beyond, weighted towards the ones URL parsing treats specially.
const CHARS = fc.constantFrom(
  ...'abcXYZ019-._~!$&()*+,;=:@/%?#[]{}|^`\'"<> \\'.split(''),
  '%2e',
  '%2E',
  '%41',
  '%zz',
  '..',
  'é',
  '\u0000',
  '\t',
);

/** The result, or that it threw (both parsers refuse some targets; the dispatchers then fail the operation). */
function outcome(compute: () => string): string {
  try {
    return compute();
  } catch {
    return 'throws';
  }
}

describe('the request target the fast dispatcher hands the app', () => {
  it('is what light-my-request computes, for any path and query', () => {
    fc.assert(
      fc.property(fc.array(CHARS, { maxLength: 24 }), (chars) => {
        const target = `/${chars.join('')}`;
        expect(outcome(() => wireUrl(target))).toBe(outcome(() => referenceUrl(target)));
      }),
      { numRuns: 5000 },
    );
  });

  it('is the target itself, not a copy, for the common verbatim case', () => {
    const target = '/items/123?expand=owner&page=2';
    expect(wireUrl(target)).toBe(target);
  });

  it('drops an empty query and resolves dot segments, as the parser does', () => {
    expect(wireUrl('/items?')).toBe('/items');
    expect(wireUrl('/a/./b/../c')).toBe('/a/c');
    expect(wireUrl('/a/%2e%2E/c')).toBe('/c');
    expect(wireUrl("/q?x='1'")).toBe('/q?x=%271%27');
    expect(wireUrl('//host/path')).toBe('//host/path');
  });
});
