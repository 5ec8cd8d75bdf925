import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BatchError, PARSER_LIMITS } from '@inbatch/core';
import { checkTarget, isAtOrBelow, normalizePathForMatch } from '../src/policy/target.js';

const MAX = PARSER_LIMITS.maxUrlLength;

/** The refusal checkTarget throws, as the error body a client would see. */
function refusal(raw: string, maxLength = MAX) {
  try {
    checkTarget(raw, maxLength);
  } catch (error) {
    if (error instanceof BatchError) return { status: error.status, ...error.toBody().error };
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be refused`);
}

describe('checkTarget: what it accepts', () => {
  it('accepts origin-form paths and splits them as the router will see them', () => {
    expect(checkTarget('/items/1?x=1&y=2', MAX)).toEqual({
      url: '/items/1?x=1&y=2',
      path: '/items/1',
      search: '?x=1&y=2',
    });
    expect(checkTarget('/', MAX)).toEqual({ url: '/', path: '/', search: '' });
    expect(checkTarget('/a:b/@c/~d;e', MAX).path).toBe('/a:b/@c/~d;e');
  });

  it('keeps percent-encoding in the path and percent-encodes raw non-ASCII bytes like the dispatcher', () => {
    expect(checkTarget('/%61dmin', MAX).path).toBe('/%61dmin');
    expect(checkTarget('/caf\u00e9', MAX).path).toBe('/caf%C3%A9');
  });

  it('allows encoded dots, slashes and backslashes in the query, where no router looks for segments', () => {
    expect(checkTarget('/items?next=%2e%2e%2F%5c&up=..', MAX).search).toBe('?next=%2e%2e%2F%5c&up=..');
  });

  it('accepts segments that only look like dot segments', () => {
    for (const raw of ['/a/...', '/a/.b', '/a/..b', '/a/b.', '/.well-known/x']) {
      expect(checkTarget(raw, MAX).url).toBe(raw);
    }
  });

  it('accepts a target of exactly the maximum length', () => {
    const raw = `/${'a'.repeat(MAX - 1)}`;
    expect(checkTarget(raw, MAX).url).toBe(raw);
  });
});

describe('checkTarget: host-changing spellings (THREATS V6, T15)', () => {
  const spellings = [
    'http://evil.example:8080/a',
    'HTTP://evil.example/a',
    'https:evil.example/a',
    'https:/evil.example/a',
    '//evil.example/a',
    '///evil.example/a',
    '/\\evil.example/a',
    '\\\\evil.example\\a',
    '\\evil.example',
    'evil.example:80',
    'evil.example/a',
    'javascript:alert(1)',
    '*',
    '',
  ];

  it.each(spellings)('refuses %j with batch.part.target', (raw) => {
    expect(refusal(raw)).toMatchObject({ status: 400, code: 'batch.part.target', part: null, line: null });
  });

  it('names the reason for an absolute URL', () => {
    expect(refusal('http://evil.example/a').message).toBe(
      'Absolute URLs are not allowed in a batch; send the path only.',
    );
    expect(refusal('//evil.example/a').message).toBe('The request target may not start with "//" (that names a host).');
  });
});

describe('checkTarget: path-normalization differentials (THREATS V7, T16)', () => {
  it('refuses dot segments, plain or at the end', () => {
    for (const raw of ['/.', '/..', '/./batch', '/x/../batch', '/items/../admin', '/a/b/..', '/a/./b?x=1']) {
      expect(refusal(raw), raw).toEqual({
        status: 400,
        code: 'batch.part.target',
        message: 'The request path may not contain "." or ".." segments.',
        part: null,
        line: null,
      });
    }
  });

  it('refuses encoded dots, slashes and backslashes in the path, in either case', () => {
    for (const raw of [
      '/x/%2e%2e/batch',
      '/x/%2E./batch',
      '/x/.%2e/batch',
      '/x/%2e/y',
      '/a%2fb',
      '/a%2Fb',
      '/a%5cb',
      '/a%5Cb',
    ]) {
      expect(refusal(raw), raw).toMatchObject({
        code: 'batch.part.target',
        message: 'The request path may not contain encoded dots, slashes or backslashes (%2e, %2f, %5c).',
      });
    }
  });

  it('refuses a backslash anywhere, since WHATWG URL parsing turns it into a slash', () => {
    expect(refusal('/items\\..\\admin').message).toBe('The request target may not contain a backslash.');
    expect(refusal('\\batch').code).toBe('batch.part.target');
  });

  it('refuses a fragment', () => {
    expect(refusal('/batch#f').message).toBe('The request target may not contain a fragment ("#").');
  });

  it('refuses spaces and control characters, which WHATWG parsing would strip or encode', () => {
    for (const raw of ['/a b', '/a\tb', '/a\nb', '/a\rb', '/a\0', '/a\x7f', '/ba\ttch']) {
      expect(refusal(raw), JSON.stringify(raw).toString()).toMatchObject({
        code: 'batch.part.target',
        message: 'The request target contains a space or a control character.',
      });
    }
  });

  it('refuses a target over the maximum length, reporting the limit', () => {
    expect(refusal(`/${'a'.repeat(MAX)}`)).toEqual({
      status: 400,
      code: 'batch.part.target',
      message: `The request target is longer than ${MAX} characters.`,
      part: null,
      line: null,
      limit: MAX,
    });
  });

  it('leaves no V7 spelling that Express routes to /batch both accepted and unrecognised as the batch path', () => {
    // THREATS V7: each of these reaches the /batch route in Express 4 and 5.
    const reaching = [
      '/BATCH',
      '/Batch',
      '/batch/',
      '/batch?x=1',
      '/./batch',
      '/x/../batch',
      '/x/%2e%2e/batch',
      '\\batch',
      '/batch#f',
    ];
    for (const raw of reaching) {
      let recognised: boolean;
      try {
        recognised = isAtOrBelow(checkTarget(raw, MAX).path, '/batch');
      } catch (error) {
        recognised = error instanceof BatchError && error.code === 'batch.part.target';
      }
      expect(recognised, raw).toBe(true);
    }
  });

  it('lets through the V7 spellings that do not reach /batch, as paths that are not the batch path', () => {
    for (const raw of ['/%62atch', '/batch;x', '/batch%20', '/batchx']) {
      expect(isAtOrBelow(checkTarget(raw, MAX).path, '/batch'), raw).toBe(false);
    }
  });
});

describe('normalizePathForMatch and isAtOrBelow', () => {
  it('compares paths the way routers do: case-insensitively, trailing slashes ignored', () => {
    expect(normalizePathForMatch('/Batch//')).toBe('/batch');
    expect(normalizePathForMatch('/')).toBe('');
    expect(isAtOrBelow('/API/Batch/', '/api/batch')).toBe(true);
    expect(isAtOrBelow('/api/batch/x', '/api/batch')).toBe(true);
  });

  it('matches whole segments only', () => {
    expect(isAtOrBelow('/api/batches', '/api/batch')).toBe(false);
    expect(isAtOrBelow('/api', '/api/batch')).toBe(false);
  });
});

describe('checkTarget: the plain-target fast path', () => {
  it('gives the same path and query as the WHATWG parser for every target it accepts', () => {
    const plain = fc.constantFrom(...'abcXYZ019-._~!$&()*+,;=:@/?%'.split(''));
    fc.assert(
      fc.property(fc.array(plain, { maxLength: 40 }), (chars) => {
        const raw = `/${chars.join('')}`;
        let checked: ReturnType<typeof checkTarget>;
        try {
          checked = checkTarget(raw, 8000);
        } catch {
          return; // refused (a dot segment, //, an encoded separator): nothing to compare
        }
        const parsed = new URL(raw, 'http://inbatch.invalid');
        expect({ path: checked.path, search: checked.search }).toEqual({
          path: parsed.pathname,
          search: parsed.search,
        });
      }),
      { numRuns: 5000 },
    );
  });
});
