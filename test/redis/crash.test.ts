import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../support/http.js';
import { startInstance, type Instance } from './support/instances.js';
import { createProduct, errorCode, getItem, submit, until, waitForEnd, wake } from './support/jobs.js';
import { appKeys, deleteKeys, freshKey, freshPrefix, sharedRedisUp, testClient } from './support/redis.js';

const redisUp = await sharedRedisUp('test/redis/crash');

/** How long a dead instance's job stays locked before another takes it over. */
const LOCK_MS = 1500;

describe.skipIf(!redisUp).each(['express', 'koa'] as const)('an instance killed mid-job (%s)', (framework) => {
  const prefix = freshPrefix(`crash-${framework}`);
  let redis: Redis;
  let instances: Instance[];

  beforeAll(async () => {
    redis = testClient();
    const key = freshKey();
    // Two operations at a time: 1 and 2 answer, then 3 and 4 hold while 5 to 8 wait their turn.
    const options = { framework, prefix, key, concurrency: 2, lockDurationMs: LOCK_MS };
    instances = await Promise.all([startInstance(options), startInstance(options)]);
    await Promise.all(instances.map(wake));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('is finished by the other: answers kept, in-flight operations interrupted and not re-run, the rest run there', async () => {
    const gate = `crash-${framework}`;
    const name = (n: number) => `crash-${framework}-${n}`;
    const headers = { authorization: 'Bearer crash' };
    const [first, second] = instances as [Instance, Instance];
    const submitted = await submit(
      first,
      [
        createProduct('p1', name(1)),
        getItem('g2', '2'),
        createProduct('p3', name(3), gate),
        { operationId: 'g4', method: 'GET', endpoint: `/hold/${gate}` },
        createProduct('p5', name(5)),
        getItem('g6', '6'),
        createProduct('p7', name(7)),
        getItem('g8', '8'),
      ],
      headers,
    );
    expect(submitted.status).toBe(201);
    const { uuid } = submitted.json();

    // Both held operations are in flight on one instance, and the two answers before them
    // are recorded (readable from the other instance too).
    const holders = await until(async () => {
      const pids = await redis.lrange(appKeys.holders(prefix, gate), 0, -1);
      return pids.length === 2 ? pids : undefined;
    }, 'operations 3 and 4 to be in flight');
    expect(new Set(holders).size).toBe(1);
    const runner = instances.find((instance) => String(instance.pid) === holders[0]) as Instance;
    const survivor = runner === first ? second : first;
    await until(async () => {
      const doc = (await send(survivor.url, `/batch/${uuid}`, { headers })).json();
      return doc.progress.done === 2 ? true : undefined;
    }, 'answers 1 and 2 to be recorded');

    await runner.kill();
    await redis.set(appKeys.gate(prefix, gate), '1');

    const doc = await waitForEnd(survivor, uuid, headers, 30_000);
    expect(doc.status).toBe('finished');
    expect(doc.progress).toEqual({ total: 8, done: 8, failed: 2, cancelled: 0 });
    const responses = doc.responses as Array<{ operationId: string; statusCode: number; body: string }>;
    expect(responses.map((r) => [r.operationId, r.statusCode])).toEqual([
      ['p1', 201],
      ['g2', 200],
      ['p3', 502],
      ['g4', 502],
      ['p5', 201],
      ['g6', 200],
      ['p7', 201],
      ['g8', 200],
    ]);
    expect(errorCode(responses[2]!)).toBe('batch.part.interrupted');
    expect(errorCode(responses[3]!)).toBe('batch.part.interrupted');
    // The answers recorded before the crash are the dead instance's; the rest ran on the survivor.
    const ranOn = responses.map((r) => (r.statusCode < 300 ? JSON.parse(r.body).instance : null));
    expect(ranOn).toEqual([runner.pid, runner.pid, null, null, survivor.pid, survivor.pid, survivor.pid, survivor.pid]);

    // Every POST ran exactly once, the interrupted one included; the held GET was not re-run either.
    for (const n of [1, 3, 5, 7]) expect(await redis.get(appKeys.count(prefix, name(n)))).toBe('1');
    expect(await redis.lrange(appKeys.holders(prefix, gate), 0, -1)).toEqual(holders);
    expect(survivor.alive()).toBe(true);
  }, 90_000);
});
