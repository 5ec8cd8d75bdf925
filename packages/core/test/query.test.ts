import { describe, expect, it } from 'vitest';
import { applyOuterQuery, outerQueryPairs } from '../src/policy/query.js';

describe('outerQueryPairs', () => {
  it('splits a query with or without its "?" into pairs, keeping each pair as written', () => {
    const expected = [
      { key: 'a', raw: 'a=1' },
      { key: 'b', raw: 'b=%2F' },
    ];
    expect(outerQueryPairs('?a=1&b=%2F')).toEqual(expected);
    expect(outerQueryPairs('a=1&b=%2F')).toEqual(expected);
  });

  it('decodes keys (percent and plus) so equal keys compare equal, and keeps a key without "="', () => {
    expect(outerQueryPairs('a%20b=1&c+d=2&flag').map((pair) => pair.key)).toEqual(['a b', 'c d', 'flag']);
  });

  it('keeps a malformed percent-encoded key as written instead of throwing', () => {
    expect(outerQueryPairs('%E0%A4%A=1&%zz=2').map((pair) => pair.key)).toEqual(['%E0%A4%A', '%zz']);
  });

  it('skips empty pairs', () => {
    expect(outerQueryPairs('?&&a=1&&')).toEqual([{ key: 'a', raw: 'a=1' }]);
    expect(outerQueryPairs('')).toEqual([]);
    expect(outerQueryPairs('?')).toEqual([]);
  });
});

describe('applyOuterQuery', () => {
  it('returns the inner URL unchanged when the outer request had no query', () => {
    expect(applyOuterQuery('/items?x=1', [])).toBe('/items?x=1');
  });

  it('appends the outer pairs to an inner URL without a query', () => {
    expect(applyOuterQuery('/items', outerQueryPairs('lang=en&tenant=acme'))).toBe('/items?lang=en&tenant=acme');
  });

  it('lets every value of a key the inner URL sets win over the outer values of that key', () => {
    const outer = outerQueryPairs('lang=en&lang=de&tenant=acme');
    expect(applyOuterQuery('/items?lang=pt&page=2', outer)).toBe('/items?lang=pt&page=2&tenant=acme');
  });

  it('compares keys decoded, so an encoded inner key still wins', () => {
    expect(applyOuterQuery('/items?a%20b=1', outerQueryPairs('a+b=2'))).toBe('/items?a%20b=1');
  });

  it('keeps every repeated outer value of a key the inner URL does not set', () => {
    expect(applyOuterQuery('/items', outerQueryPairs('tag=a&tag=b'))).toBe('/items?tag=a&tag=b');
  });

  it('copies outer pairs as written, never re-encoding them', () => {
    expect(applyOuterQuery('/items', outerQueryPairs('q=%2F%20x+y&e=%zz'))).toBe('/items?q=%2F%20x+y&e=%zz');
  });

  it('joins cleanly after an inner URL that ends in "?" or "&"', () => {
    const outer = outerQueryPairs('t=1');
    expect(applyOuterQuery('/items?', outer)).toBe('/items?t=1');
    expect(applyOuterQuery('/items?a=1&', outer)).toBe('/items?a=1&t=1');
  });

  it('returns the inner URL unchanged when the inner query already sets every outer key', () => {
    expect(applyOuterQuery('/items?t=2', outerQueryPairs('t=1'))).toBe('/items?t=2');
  });
});
