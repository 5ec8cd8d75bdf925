import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  callbackTarget,
  DEFAULTS,
  defaultOwner,
  OPTIONS_WITHOUT_DEFAULT,
  resolveOptions,
  signWebhook,
  type BatchOptions,
} from '@inbatch/core';

const resolveLoose = (options: unknown) => resolveOptions(options as BatchOptions);

describe('resolveOptions: async defaults', () => {
  it('fills in the seeds’ retention, budget and bulk defaults', () => {
    expect(resolveOptions()).toMatchObject({
      statusTtlMs: 3_600_000,
      resultTtlMs: 86_400_000,
      jobTimeoutMs: 600_000,
      maxLoadScore: 100,
      defaultLoadScore: 0,
      oneJobPerOwner: true,
      bulkPath: '/process',
      bulk: undefined,
      maxBulkItems: 100,
      webhook: { allowHttp: false, allowPrivate: false, secret: undefined, timeoutMs: 10_000 },
    });
    expect([...resolveOptions().webhook.ports]).toEqual([443, 8443]);
  });

  it('names every option once, between DEFAULTS and OPTIONS_WITHOUT_DEFAULT', () => {
    const names = [...Object.keys(DEFAULTS), ...OPTIONS_WITHOUT_DEFAULT];
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives each middleware its own memory store', () => {
    expect(resolveOptions().store).not.toBe(resolveOptions().store);
  });
});

describe('resolveOptions: bad async options throw a TypeError naming the option', () => {
  it('refuses a resultTtlMs shorter than statusTtlMs (files outlive the status)', () => {
    expect(() => resolveOptions({ statusTtlMs: 10, resultTtlMs: 5 })).toThrow(
      new TypeError('inbatch: option "resultTtlMs" must be at least "statusTtlMs" (files outlive the status)'),
    );
  });

  it('refuses bulk rules without a method or a path', () => {
    for (const bulk of [
      [],
      { masterlist: null },
      { masterlist: { method: 'PUT' } },
      { masterlist: { method: 'PUT', url: 'v2/x' } },
      { masterlist: { method: 'P-T', url: '/v2/x' } },
      { 'a/b': { method: 'PUT', url: '/v2/x' } },
      { List: { method: 'PUT', url: '/a' }, list: { method: 'PUT', url: '/b' } },
    ]) {
      expect(() => resolveLoose({ bulk }), JSON.stringify(bulk)).toThrow(/option "bulk/);
    }
  });

  it('refuses a bulkPath equal to the batch path when bulk resources are served', () => {
    expect(() => resolveOptions({ bulkPath: '/Batch/', bulk: { a: { method: 'PUT', url: '/a' } } })).toThrow(
      /option "bulkPath" must differ/,
    );
  });

  it('refuses a store that is not a JobStore, an owner or onComplete that is not a function', () => {
    expect(() => resolveLoose({ store: {} })).toThrow(/option "store" must be a JobStore/);
    expect(() => resolveLoose({ owner: 'alice' })).toThrow(/option "owner"/);
    expect(() => resolveLoose({ onComplete: 1 })).toThrow(/option "onComplete"/);
    expect(() => resolveLoose({ oneJobPerOwner: 'yes' })).toThrow(/option "oneJobPerOwner"/);
  });
});

describe('owners', () => {
  const facts = (headers: Record<string, string>, remoteAddress = '203.0.113.9') => ({
    headers,
    remoteAddress,
    encrypted: false,
  });

  it('derive the default owner from a hash of the credentials, never the credentials themselves', () => {
    const owner = defaultOwner(facts({ authorization: 'Bearer t0k3n', cookie: 'sid=1' }));
    expect(owner).toBe(`credentials:${createHash('sha256').update('Bearer t0k3n\nsid=1').digest('hex')}`);
    expect(owner).not.toContain('t0k3n');
  });

  it('fall back to the client address without credentials', () => {
    expect(defaultOwner(facts({}))).toBe('address:203.0.113.9');
  });

  it('hash what the owner option returns into the key, and use the default when it returns nothing', () => {
    const ownerOf = resolveOptions({ owner: ({ headers }) => headers['x-user'] as string | undefined }).ownerOf;
    const alice = ownerOf(facts({ 'x-user': 'alice' }));
    expect(alice).toMatch(/^[0-9a-f]{64}$/);
    expect(alice).toBe(ownerOf(facts({ 'x-user': 'alice' }, '198.51.100.1')));
    expect(ownerOf(facts({}))).toBe(resolveOptions().ownerOf(facts({})));
    expect(ownerOf(facts({ 'x-user': 'credentials:x' }))).not.toBe(
      resolveOptions().ownerOf(facts({ authorization: 'x' })),
    );
  });
});

describe('webhook calls', () => {
  it('append uid to the callback’s own query, keeping it as written', () => {
    expect(callbackTarget(new URL('https://h.example/hook'), 'id-1')).toBe('/hook?uid=id-1');
    expect(callbackTarget(new URL('https://h.example/hook?a=%20b&c'), 'id-1')).toBe('/hook?a=%20b&c&uid=id-1');
    expect(callbackTarget(new URL('https://h.example/hook?#frag'), 'id-1')).toBe('/hook?uid=id-1');
  });

  it('sign "<timestamp>.<body>" with HMAC-SHA256', () => {
    const expected = createHmac('sha256', 'k').update('1700000000.{"a":1}').digest('hex');
    expect(signWebhook('k', '1700000000', '{"a":1}')).toBe(`sha256=${expected}`);
  });
});
