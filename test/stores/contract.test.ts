/**
 * The JobStore contract, run against every store: the memory store and the Redis store
 * (one suite, two stores). What only one store does (the memory store's maxJobs, its
 * snapshots) stays in that store's own tests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryJobStore, type JobStore } from '@inbatch/core';
import { redisReachable, testRedisStore } from '../support/redis.js';
import { answer, claim, finished, MINUTE, newJob, T0 } from './fixtures.js';

const redisAvailable = await redisReachable();
const STORES = redisAvailable ? (['memory', 'redis'] as const) : (['memory'] as const);

describe.each(STORES)('the JobStore contract on the %s store', (kind) => {
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  const make = (caps: { maxResultBytes?: number } = {}): JobStore => {
    if (kind === 'memory') return createMemoryJobStore(caps);
    const store = testRedisStore(caps);
    opened.push(store);
    return store;
  };

  describe('jobs', () => {
    it('creates a job pending, with empty answers and zero counts', async () => {
      const store = make();
      const created = await store.create(newJob('j1'), claim());
      expect(created.outcome).toBe('created');
      expect(await store.read('j1', T0)).toMatchObject({
        state: 'pending',
        cancelRequested: false,
        startedAt: null,
        completedAt: null,
        answers: [undefined, undefined],
        progress: { total: 2, done: 0, failed: 0, cancelled: 0 },
        resultBytes: 0,
      });
    });

    it('records answers and counts them: done, failed (not 2xx), cancelled', async () => {
      const store = make();
      await store.create(newJob('j1', 'o', 3), claim());
      await store.start('j1', T0 + 1);
      await store.record('j1', 0, answer(200));
      await store.record('j1', 1, answer(404));
      await store.record('j1', 2, { ...answer(503), outcome: 'cancelled' });
      expect(await store.read('j1', T0)).toMatchObject({
        state: 'running',
        startedAt: T0 + 1,
        progress: { total: 3, done: 2, failed: 1, cancelled: 1 },
      });
    });

    it('ignores a second answer for the same slot', async () => {
      const store = make();
      await store.create(newJob('j1'), claim());
      await store.record('j1', 0, answer(200));
      await store.record('j1', 0, answer(500));
      const job = await store.read('j1', T0);
      expect(job?.answers[0]?.status).toBe(200);
      expect(job?.progress).toEqual({ total: 2, done: 1, failed: 0, cancelled: 0 });
    });

    it('marks a cancel on a running job, and leaves a finished one as it is', async () => {
      const store = make();
      await store.create(newJob('run'), claim());
      expect(await store.cancel('run', T0)).toMatchObject({ cancelRequested: true });
      expect(await store.record('run', 0, answer(200))).toEqual({ cancelRequested: true });
      await finished(store, 'done');
      expect(await store.cancel('done', T0)).toMatchObject({ cancelRequested: false, state: 'succeeded' });
    });

    it('answers undefined for an unknown id', async () => {
      const store = make();
      expect(await store.read('nope', T0)).toBeUndefined();
      expect(await store.cancel('nope', T0)).toBeUndefined();
      expect(await store.finish('nope', 'failed', T0)).toBeUndefined();
    });

    it('says ended to the first finish only, and keeps the first final state', async () => {
      const store = make();
      await store.create(newJob('once'), claim());
      const first = await store.finish('once', 'succeeded', T0 + 1);
      const second = await store.finish('once', 'failed', T0 + 2);
      expect(first?.ended).toBe(true);
      expect(second?.ended).toBe(false);
      expect(second?.job.state).toBe('succeeded');
      expect(second?.job.completedAt).toBe(T0 + 1);
    });
  });

  describe('the owner lock', () => {
    it('refuses a second exclusive job of the owner while the first is pending or running', async () => {
      const store = make();
      await store.create(newJob('first'), claim({ exclusive: true }));
      expect(await store.create(newJob('second'), claim({ exclusive: true }))).toEqual({
        outcome: 'busy',
        jobId: 'first',
      });
      await store.start('first', T0);
      expect((await store.create(newJob('third'), claim({ exclusive: true }))).outcome).toBe('busy');
    });

    it('releases the lock when the job finishes', async () => {
      const store = make();
      await store.create(newJob('first'), claim({ exclusive: true }));
      await store.finish('first', 'cancelled', T0);
      expect((await store.create(newJob('second'), claim({ exclusive: true }))).outcome).toBe('created');
    });

    it('keeps owners apart, and ignores the lock for non-exclusive claims', async () => {
      const store = make();
      await store.create(newJob('a1', 'alice'), claim({ exclusive: true }));
      expect((await store.create(newJob('b1', 'bob'), claim({ exclusive: true }))).outcome).toBe('created');
      expect((await store.create(newJob('a2', 'alice'), claim())).outcome).toBe('created');
    });
  });

  describe('idempotency keys', () => {
    const KEY = { key: 'k', fingerprint: 'f1' };

    it('replays the job created under a key, with the fingerprint it was created with, instead of creating another', async () => {
      const store = make();
      await store.create(newJob('first'), claim({ idempotency: KEY }));
      const again = await store.create(
        newJob('second'),
        claim({ idempotency: { key: 'k', fingerprint: 'f2' }, exclusive: true }),
      );
      expect(again.outcome).toBe('replayed');
      expect(again.outcome === 'replayed' && [again.job.id, again.fingerprint]).toEqual(['first', 'f1']);
      expect(await store.read('second', T0)).toBeUndefined();
      const found = await store.findByIdempotencyKey('k', T0);
      expect([found?.job.id, found?.fingerprint]).toEqual(['first', 'f1']);
    });

    it('forgets a key once the job’s status is no longer kept', async () => {
      const store = make();
      await store.create(newJob('first'), claim({ idempotency: KEY }));
      await store.finish('first', 'succeeded', T0);
      expect(await store.findByIdempotencyKey('k', T0 + 10 * MINUTE - 1)).toBeDefined();
      expect(await store.findByIdempotencyKey('k', T0 + 10 * MINUTE)).toBeUndefined();
      const later = await store.create(newJob('second'), claim({ idempotency: KEY, now: T0 + 10 * MINUTE }));
      expect(later.outcome).toBe('created');
    });
  });

  describe('TTLs', () => {
    it('keeps a finished job until resultTtlMs after completion, then deletes it', async () => {
      const store = make();
      await finished(store, 'j1');
      expect(await store.read('j1', T0 + 60 * MINUTE - 1)).toBeDefined();
      expect(await store.read('j1', T0 + 60 * MINUTE)).toBeUndefined();
      expect(await store.read('j1', T0)).toBeUndefined();
    });

    it('never expires a job that has not finished', async () => {
      const store = make();
      await store.create(newJob('j1'), claim());
      expect(await store.expire(T0 + 1000 * MINUTE)).toBe(0);
      expect(await store.read('j1', T0 + 1000 * MINUTE)).toBeDefined();
    });

    it('sweeps every expired job on expire(), and answers how many', async () => {
      const store = make();
      await finished(store, 'old1');
      await finished(store, 'old2');
      await finished(store, 'young', 'o', T0 + 30 * MINUTE);
      expect(await store.expire(T0 + 60 * MINUTE)).toBe(2);
      expect(await store.read('young', T0 + 60 * MINUTE)).toBeDefined();
    });
  });

  describe('bounded memory', () => {
    it('reserves each running job’s cap against maxResultBytes', async () => {
      const store = make({ maxResultBytes: 250 });
      await store.create(newJob('r1'), claim({ reserveBytes: 100 }));
      await store.create(newJob('r2'), claim({ reserveBytes: 100 }));
      expect(await store.create(newJob('r3'), claim({ reserveBytes: 100 }))).toEqual({ outcome: 'full' });
    });

    it('frees the unused part of a reservation when the job finishes, and evicts finished jobs oldest first until there is room', async () => {
      const store = make({ maxResultBytes: 250 });
      await store.create(newJob('r1'), claim({ reserveBytes: 100 }));
      await store.record('r1', 0, answer(200, 40));
      await store.finish('r1', 'succeeded', T0);
      await store.create(newJob('r2'), claim({ reserveBytes: 100 }));
      expect((await store.create(newJob('r3'), claim({ reserveBytes: 100 }))).outcome).toBe('created');
      expect(await store.read('r1', T0)).toBeDefined();
      await store.finish('r2', 'succeeded', T0);
      expect((await store.create(newJob('r4'), claim({ reserveBytes: 150 }))).outcome).toBe('created');
      expect(await store.read('r1', T0)).toBeUndefined();
      expect(await store.read('r2', T0)).toBeDefined();
    });

    it('counts the bytes of bodies and header fields', async () => {
      const store = make();
      await store.create(newJob('j1'), claim());
      await store.record('j1', 0, { ...answer(200, 10), headers: [['Content-Type', 'text/plain']] });
      expect((await store.read('j1', T0))?.resultBytes).toBe(10 + 'Content-Type'.length + 'text/plain'.length + 4);
    });
  });
});
