import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../support/http.js';
import { startCluster, type Instance } from './support/instances.js';
import { getItem, submit, waitForEnd } from './support/jobs.js';
import { deleteKeys, freshKey, freshPrefix, sharedRedisUp, testClient } from './support/redis.js';

const redisUp = await sharedRedisUp('test/redis/cluster');

/** What the memory store prints in a cluster worker (packages/core/src/jobs/memory-store.ts). */
const PER_PROCESS_WARNING = 'the in-memory job store is per process';

/** Sends status reads until both workers have answered one; answers each worker's replies. */
async function readFromEveryWorker(cluster: Instance, path: string, headers: Record<string, string>) {
  const byWorker = new Map<string, number[]>();
  for (let i = 0; i < 40 && byWorker.size < 2; i++) {
    // A fresh connection per request: the primary hands connections to workers in turn.
    const reply = await send(cluster.url, path, { headers });
    const worker = String(reply.headers['x-instance']);
    byWorker.set(worker, [...(byWorker.get(worker) ?? []), reply.status]);
  }
  return byWorker;
}

describe.skipIf(!redisUp)('node:cluster with two workers', () => {
  const prefix = freshPrefix('cluster');
  let redis: Redis;
  let cluster: Instance | undefined;

  beforeAll(() => {
    redis = testClient();
  });
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('shares jobs between the workers on the Redis store, without the per-process warning', async () => {
    cluster = await startCluster({ framework: 'express', prefix, key: freshKey() }, 2);
    const headers = { authorization: 'Bearer cluster' };
    const submitted = await submit(cluster, [getItem('one', '1'), getItem('two', '2')], headers);
    expect(submitted.status).toBe(201);
    const { uuid } = submitted.json();
    expect((await waitForEnd(cluster, uuid, headers)).status).toBe('finished');

    const reads = await readFromEveryWorker(cluster, `/batch/${uuid}`, headers);
    expect(reads.size).toBe(2);
    for (const statuses of reads.values()) expect(new Set(statuses)).toEqual(new Set([200]));
    expect(cluster.stderr()).not.toContain(PER_PROCESS_WARNING);
  });

  // The control: the check above can fail. With the memory store each worker has its own jobs.
  it('prints the per-process warning on the memory store, where a job is unknown to the other worker', async () => {
    cluster = await startCluster({ framework: 'express', prefix, key: freshKey(), store: 'memory' }, 2);
    const headers = { authorization: 'Bearer cluster-memory' };
    const { uuid } = (await submit(cluster, [getItem('one', '1')], headers)).json();
    const reads = await readFromEveryWorker(cluster, `/batch/${uuid}`, headers);
    expect(reads.size).toBe(2);
    expect(new Set([...reads.values()].flat())).toEqual(new Set([200, 404]));
    expect(cluster.stderr()).toContain(PER_PROCESS_WARNING);
  });
});
