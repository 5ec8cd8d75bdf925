import { describe, expect, it } from 'vitest';
import { DEFAULTS, resolveOptions, type AllowRule, type BatchOptions } from '@inbatch/core';

const NUMERIC = [
  'maxOperations',
  'maxBodyBytes',
  'maxOperationBodyBytes',
  'maxResponseBytes',
  'maxTotalResponseBytes',
  'timeoutMs',
  'batchTimeoutMs',
  'bodyTimeoutMs',
  'concurrency',
  'maxInFlight',
] as const;

/** resolveOptions with a value TypeScript would refuse, as a caller from plain JS could pass it. */
const resolveLoose = (options: unknown) => resolveOptions(options as BatchOptions);

describe('resolveOptions: defaults', () => {
  it('fills in every default when called without options', () => {
    const resolved = resolveOptions();
    expect(resolved).toMatchObject({
      path: '/batch',
      matchPath: '/batch',
      maxOperations: 1000,
      maxBodyBytes: 4 * 1024 * 1024,
      maxOperationBodyBytes: 1024 * 1024,
      maxResponseBytes: 1024 * 1024,
      maxTotalResponseBytes: 16 * 1024 * 1024,
      timeoutMs: 30_000,
      batchTimeoutMs: 60_000,
      bodyTimeoutMs: 30_000,
      concurrency: 8,
      maxInFlight: 64,
    });
    expect([...resolved.methods]).toEqual([...DEFAULTS.methods]);
    expect(resolved.isAllowed({ method: 'GET', path: '/anything' })).toBe(true);
  });

  it('keeps the seed’s sync limit of 1000 operations as the default', () => {
    expect(DEFAULTS.maxOperations).toBe(1000);
  });

  it('precomputes the path the matcher compares: lower case, no trailing slash', () => {
    expect(resolveOptions({ path: '/API/Batch/' }).matchPath).toBe('/api/batch');
  });

  it('accepts any positive integer for a numeric option', () => {
    for (const name of NUMERIC) expect(resolveOptions({ [name]: 7 })[name], name).toBe(7);
  });
});

describe('resolveOptions: bad options throw a TypeError that names the option', () => {
  it.each(NUMERIC)('refuses a non-positive, fractional, non-finite or non-number %s', (name) => {
    for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10', null, true]) {
      expect(() => resolveLoose({ [name]: value }), `${name}=${String(value)}`).toThrow(
        new RegExp(`^inbatch: option "${name}" must be a positive integer`),
      );
      expect(() => resolveLoose({ [name]: value })).toThrow(TypeError);
    }
  });

  it('refuses a path that does not start with "/" or carries a query or fragment', () => {
    for (const path of ['batch', '', '/batch?x=1', '/batch#f', 5]) {
      expect(() => resolveLoose({ path }), String(path)).toThrow(TypeError);
      expect(() => resolveLoose({ path }), String(path)).toThrow(/option "path"/);
    }
  });

  it('refuses methods that are not an array of upper-case names', () => {
    for (const methods of ['GET', ['get'], ['GET', 1], ['M-SEARCH'], [''], { 0: 'GET' }]) {
      expect(() => resolveLoose({ methods }), JSON.stringify(methods)).toThrow(TypeError);
      expect(() => resolveLoose({ methods }), JSON.stringify(methods)).toThrow(/option "methods"/);
    }
  });

  it('refuses CONNECT and TRACE among the methods (THREATS T11)', () => {
    expect(() => resolveOptions({ methods: ['GET', 'CONNECT', 'TRACE'] })).toThrow(
      new TypeError('inbatch: option "methods" may not include CONNECT, TRACE'),
    );
  });

  it('refuses an onError that is not a function', () => {
    expect(() => resolveLoose({ onError: 'log' })).toThrow(
      new TypeError('inbatch: option "onError" must be a function'),
    );
  });

  it('refuses an allow rule that is not an array or a function, or holds bad entries', () => {
    for (const allow of ['/items', 5, { prefix: '/items' }]) {
      expect(() => resolveLoose({ allow }), JSON.stringify(allow)).toThrow(TypeError);
      expect(() => resolveLoose({ allow }), JSON.stringify(allow)).toThrow(/"allow"/);
    }
    for (const entry of ['items', 5, null]) {
      expect(() => resolveLoose({ allow: [entry] }), String(entry)).toThrow(/inbatch: "allow" entries must be/);
    }
  });

  it('refuses options that are not an object', () => {
    for (const options of [null, 'batch', 5]) {
      expect(() => resolveLoose(options), String(options)).toThrow(new TypeError('inbatch: options must be an object'));
    }
  });
});

describe('resolveOptions: the caller’s objects', () => {
  it('accepts a frozen options object and never writes to it', () => {
    const options = Object.freeze({ path: '/b', methods: Object.freeze(['GET']), allow: Object.freeze(['/items']) });
    expect(() => resolveOptions(options)).not.toThrow();
    expect(options).toEqual({ path: '/b', methods: ['GET'], allow: ['/items'] });
  });

  it('copies methods, so changing the caller’s array later changes nothing', () => {
    const methods = ['GET'];
    const resolved = resolveOptions({ methods });
    methods.push('DELETE');
    expect([...resolved.methods]).toEqual(['GET']);
  });
});

describe('resolveOptions: the compiled allow rule (THREATS T16, T17)', () => {
  const allowed = (rule: AllowRule, path: string) => resolveOptions({ allow: rule }).isAllowed({ method: 'GET', path });

  it('matches path prefixes on whole segments, case-insensitively, as routers match', () => {
    expect(allowed(['/items'], '/items')).toBe(true);
    expect(allowed(['/items'], '/ITEMS/1')).toBe(true);
    expect(allowed(['/items/'], '/items/1')).toBe(true);
    expect(allowed(['/items'], '/itemsx')).toBe(false);
    expect(allowed(['/items'], '/admin/items')).toBe(false);
  });

  it('treats "/" as every path', () => {
    expect(allowed(['/'], '/admin/secret')).toBe(true);
  });

  it('tests RegExps against the path and gives a global RegExp the same answer every time', () => {
    const rule = [/^\/public\//g];
    const resolved = resolveOptions({ allow: rule });
    for (let i = 0; i < 3; i++) expect(resolved.isAllowed({ method: 'GET', path: '/public/a' })).toBe(true);
    expect(resolved.isAllowed({ method: 'GET', path: '/private/a' })).toBe(false);
  });

  it('passes a function rule the method and path as they are', () => {
    const seen: unknown[] = [];
    resolveOptions({ allow: (target) => (seen.push(target), true) }).isAllowed({ method: 'PUT', path: '/x' });
    expect(seen).toEqual([{ method: 'PUT', path: '/x' }]);
  });
});

describe('resolveOptions: what a bad value reads as', () => {
  it('names NaN and Infinity as such rather than as JSON’s null', () => {
    expect(() => resolveOptions({ maxOperations: Number.NaN })).toThrow(
      new TypeError('inbatch: option "maxOperations" must be a positive integer, got NaN'),
    );
    expect(() => resolveOptions({ timeoutMs: Number.POSITIVE_INFINITY })).toThrow(
      new TypeError('inbatch: option "timeoutMs" must be a positive integer, got Infinity'),
    );
  });

  it('refuses null for path and methods instead of silently using the defaults', () => {
    expect(() => resolveOptions({ path: null } as unknown as BatchOptions)).toThrow(
      new TypeError('inbatch: option "path" must be a path starting with "/", got null'),
    );
    expect(() => resolveOptions({ methods: null } as unknown as BatchOptions)).toThrow(
      new TypeError('inbatch: option "methods" must be an array of upper-case method names'),
    );
  });
});
