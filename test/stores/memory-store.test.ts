import { describe, expect, it } from 'vitest';
import { createMemoryJobStore } from '@inbatch/core';
import { answer, claim, finished, newJob, T0 } from './fixtures.js';

// The JobStore contract (jobs, owner lock, idempotency keys, TTLs, byte budget) runs on
// every store in test/stores/contract.test.ts; what only the memory store does is here.
describe('createMemoryJobStore: what only the memory store does', () => {
  it('hands out snapshots: changing one changes nothing in the store', async () => {
    const store = createMemoryJobStore();
    await store.create(newJob('j1'), claim());
    const copy = await store.read('j1', T0);
    (copy?.answers as unknown[])[0] = answer(200);
    copy!.progress.done = 9;
    expect(await store.read('j1', T0)).toMatchObject({ answers: [undefined, undefined], progress: { done: 0 } });
  });

  it('evicts the oldest finished job to stay within maxJobs', async () => {
    const store = createMemoryJobStore({ maxJobs: 2 });
    await finished(store, 'old');
    await store.create(newJob('running'), claim());
    expect((await store.create(newJob('new'), claim())).outcome).toBe('created');
    expect(await store.read('old', T0)).toBeUndefined();
    expect(await store.read('running', T0)).toBeDefined();
    expect(await store.read('new', T0)).toBeDefined();
  });

  it('refuses a new job when every kept job is still running', async () => {
    const store = createMemoryJobStore({ maxJobs: 2 });
    await store.create(newJob('r1'), claim());
    await store.create(newJob('r2'), claim());
    expect(await store.create(newJob('r3'), claim())).toEqual({ outcome: 'full' });
  });

  it('refuses caps that are not positive integers with a TypeError naming them', () => {
    expect(() => createMemoryJobStore({ maxJobs: 0 })).toThrow(
      new TypeError('inbatch: memory store option "maxJobs" must be a positive integer, got 0'),
    );
    expect(() => createMemoryJobStore({ maxResultBytes: 1.5 })).toThrow(/"maxResultBytes"/);
  });
});
