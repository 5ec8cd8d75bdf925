import { describe, expect, it } from 'vitest';
import { parseContentType } from '@inbatch/core';

const paramsOf = (header: string) => Object.fromEntries(parseContentType(header)?.params ?? []);

describe('parseContentType', () => {
  it('splits "multipart/mixed; boundary=…" into a media type and its parameters', () => {
    const parsed = parseContentType('multipart/mixed; boundary=batch_foo');
    expect(parsed?.mediaType).toBe('multipart/mixed');
    expect(Object.fromEntries(parsed?.params ?? [])).toEqual({ boundary: 'batch_foo' });
  });

  it('accepts a comma between parameters (the Merchant seed’s multipart/mixed,boundary=…)', () => {
    expect(parseContentType('multipart/mixed,boundary=batch_inventory')?.mediaType).toBe('multipart/mixed');
    expect(paramsOf('multipart/mixed,boundary=batch_inventory')).toEqual({ boundary: 'batch_inventory' });
    expect(paramsOf('multipart/mixed; charset=utf-8, boundary=x')).toEqual({ charset: 'utf-8', boundary: 'x' });
  });

  it('lower-cases the media type and parameter names but keeps parameter values as sent', () => {
    const parsed = parseContentType('Multipart/MIXED; BOUNDARY=AbC');
    expect(parsed?.mediaType).toBe('multipart/mixed');
    expect(Object.fromEntries(parsed?.params ?? [])).toEqual({ boundary: 'AbC' });
  });

  it('tolerates spaces and tabs around the media type, names and values', () => {
    expect(parseContentType(' \tmultipart/mixed \t;\t boundary= b1 ;x=y ')?.mediaType).toBe('multipart/mixed');
    expect(paramsOf(' \tmultipart/mixed \t;\t boundary= b1 ;x=y ')).toEqual({ boundary: 'b1', x: 'y' });
  });

  it('unquotes a quoted value, resolving backslash escapes and keeping separators inside the quotes', () => {
    expect(paramsOf('multipart/mixed; boundary="a\\"b\\\\c"')).toEqual({ boundary: 'a"b\\c' });
    expect(paramsOf('multipart/mixed; boundary="x;y,z=w"; q=1')).toEqual({ boundary: 'x;y,z=w', q: '1' });
    expect(paramsOf('multipart/mixed; boundary=""')).toEqual({ boundary: '' });
  });

  it('ignores what follows a closing quote up to the next separator', () => {
    expect(paramsOf('multipart/mixed; boundary="a"b; c=d')).toEqual({ boundary: 'a', c: 'd' });
  });

  it('keeps the first of a repeated parameter', () => {
    expect(paramsOf('multipart/mixed; boundary=first; Boundary=second')).toEqual({ boundary: 'first' });
  });

  it('ignores parameters without a value or without a name', () => {
    expect(paramsOf('multipart/mixed; flag; =x; boundary=b;;')).toEqual({ boundary: 'b' });
  });

  it('drops an unterminated quoted value and everything after it, keeping what came before', () => {
    expect(paramsOf('multipart/mixed; a=1; boundary="abc; d=2')).toEqual({ a: '1' });
    expect(paramsOf('multipart/mixed; boundary="abc\\')).toEqual({});
  });

  it('keeps an empty token value (it is the dialect’s job to refuse an empty boundary)', () => {
    expect(paramsOf('multipart/mixed; boundary=')).toEqual({ boundary: '' });
  });

  it('returns undefined when there is no media type at all', () => {
    for (const header of [undefined, '', '   ', '; boundary=x', 'multipart', ',multipart/mixed']) {
      expect(parseContentType(header), JSON.stringify(header)).toBeUndefined();
    }
  });
});
