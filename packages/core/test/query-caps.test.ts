import { describe, expect, it } from 'vitest';
import { BatchError, resolveOptions, type BatchOptions } from '@inbatch/core';
import { checkQueryCaps } from '../src/policy/query-caps.js';

const caps = resolveOptions({ queryCaps: { perPage: 100 } }).queryCaps;

/** The code of the refusal, or 'ok'. */
function verdict(url: string): string {
  try {
    checkQueryCaps(url, caps!);
    return 'ok';
  } catch (error) {
    return error instanceof BatchError ? error.code : 'thrown';
  }
}

describe('query caps', () => {
  it('are off by default', () => {
    expect(resolveOptions({}).queryCaps).toBeUndefined();
  });

  it('accept values up to the cap and refuse values over it', () => {
    expect(verdict('/p?perPage=100')).toBe('ok');
    expect(verdict('/p?perPage=0&page=9000')).toBe('ok');
    expect(verdict('/p')).toBe('ok');
    expect(verdict('/p?perPage=101')).toBe('batch.part.query_limit');
  });

  it('refuse every spelling an app could read as a bigger number, or another copy of the key', () => {
    for (const url of [
      '/p?perPage=1e9',
      '/p?perPage=0x1000',
      '/p?perPage=100abc',
      '/p?perPage=',
      '/p?perPage',
      '/p?perPage=1&perPage=1000',
      '/p?per%50age=1000',
      '/p?perPage[]=1000',
      '/p?perPage=%31%30%30%30',
    ]) {
      expect(verdict(url), url).toBe('batch.part.query_limit');
    }
  });

  it('refuse bad caps at mount', () => {
    for (const queryCaps of [5, [1], { perPage: -1 }, { perPage: '100' }]) {
      expect(() => resolveOptions({ queryCaps } as unknown as BatchOptions), JSON.stringify(queryCaps)).toThrow(
        /option "queryCaps/,
      );
    }
  });
});
