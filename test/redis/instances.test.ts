import { gunzipSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../support/http.js';
import { startInstance, type Instance } from './support/instances.js';
import { createProduct, getItem, submit, until, waitForEnd, wake, type Op } from './support/jobs.js';
import { appKeys, deleteKeys, freshKey, freshPrefix, sharedRedisUp, testClient } from './support/redis.js';

const redisUp = await sharedRedisUp('test/redis/instances');

/** Four operations, the second held on `gate` until the test opens it. */
function withAHold(gate: string): Op[] {
  return [
    getItem('first', '1'),
    { operationId: 'held', method: 'GET', endpoint: `/hold/${gate}` },
    getItem('third', '3'),
    getItem('fourth', '4'),
  ];
}

describe.skipIf(!redisUp).each(['express', 'koa'] as const)('two %s instances sharing one Redis', (framework) => {
  const prefix = freshPrefix(`instances-${framework}`);
  let redis: Redis;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    redis = testClient();
    const key = freshKey();
    // concurrency 1: operations run in order, so "held" is the one in flight while the rest wait.
    [a, b] = await Promise.all([
      startInstance({ framework, prefix, key, concurrency: 1 }),
      startInstance({ framework, prefix, key, concurrency: 1 }),
    ]);
    await Promise.all([wake(a), wake(b)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  /** Opens a gate of the app and waits for nothing: the held operation answers on its next poll. */
  const open = (gate: string) => redis.set(appKeys.gate(prefix, gate), '1');
  const holders = (gate: string) => redis.lrange(appKeys.holders(prefix, gate), 0, -1);

  it('reads, and downloads as JSONL and gzip, on B a job submitted on A', async () => {
    const headers = { authorization: 'Bearer reader' };
    const submitted = await submit(
      a,
      [getItem('one', '1'), getItem('two', '2'), createProduct('three', `read-${framework}`)],
      headers,
    );
    expect(submitted.status).toBe(201);
    const { uuid } = submitted.json();
    const doc = await waitForEnd(b, uuid, headers);
    expect(doc).toMatchObject({
      uuid,
      status: 'finished',
      operations: 3,
      progress: { total: 3, done: 3, failed: 0, cancelled: 0 },
    });
    expect(doc.responses.map((r: any) => [r.operationId, r.status, r.statusCode])).toEqual([
      ['one', 'finished', 200],
      ['two', 'finished', 200],
      ['three', 'finished', 201],
    ]);
    expect(JSON.parse(doc.responses[2].body)).toMatchObject({ created: `read-${framework}`, count: 1 });

    const onA = await send(a.url, `/batch/${uuid}`, { headers });
    expect(onA.status).toBe(200);
    expect(onA.json()).toEqual(doc);

    const jsonl = await send(b.url, `/batch/${uuid}/jsonl`, { headers });
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers['content-type']).toBe('application/x-ndjson');
    expect(
      jsonl.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(doc.responses);
    const gz = await send(b.url, `/batch/${uuid}/gz`, { headers });
    expect(gz.status).toBe(200);
    expect(gz.headers['content-type']).toBe('application/gzip');
    expect(gunzipSync(gz.body).toString()).toBe(jsonl.text);
  });

  it('cancels from B a job running on A: the answers that ran stay, the rest are cancelled', async () => {
    const headers = { authorization: 'Bearer canceller' };
    const gate = `cancel-${framework}`;
    const { uuid } = (await submit(a, withAHold(gate), headers)).json();
    await until(async () => ((await holders(gate)).length > 0 ? true : undefined), 'the held operation to start');
    const cancel = await send(b.url, `/batch/${uuid}`, { method: 'DELETE', headers });
    expect(cancel.status).toBe(202);
    expect(cancel.json()).toMatchObject({ uuid, status: 'cancelling', completedAt: null });
    await open(gate);
    const doc = await waitForEnd(a, uuid, headers);
    expect(doc.status).toBe('cancelled');
    expect(doc.progress).toEqual({ total: 4, done: 2, failed: 0, cancelled: 2 });
    expect(doc.responses.map((r: any) => [r.operationId, r.status, r.statusCode])).toEqual([
      ['first', 'finished', 200],
      ['held', 'finished', 200],
      ['third', 'cancelled', null],
      ['fourth', 'cancelled', null],
    ]);
  });

  it('refuses a second job of one owner on B with 409 batch.owner_busy while A has its first, and frees the owner when it ends', async () => {
    const alice = { authorization: 'Bearer alice' };
    const gate = `owner-${framework}`;
    const first = await submit(a, withAHold(gate), alice);
    expect(first.status).toBe(201);
    const firstId = first.json().uuid;

    const second = await submit(b, [getItem('quick', '9')], alice);
    expect(second.status).toBe(409);
    expect(second.json().error).toMatchObject({ code: 'batch.owner_busy', jobId: firstId });
    const bob = await submit(b, [getItem('quick', '9')], { authorization: 'Bearer bob' });
    expect(bob.status).toBe(201);

    await open(gate);
    expect((await waitForEnd(b, firstId, alice)).status).toBe('finished');
    const next = await submit(b, [getItem('next', '10')], alice);
    expect(next.status).toBe(201);
    await waitForEnd(a, next.json().uuid, alice);
    await waitForEnd(a, bob.json().uuid, { authorization: 'Bearer bob' });
  });

  it('replays on B a submit retried under the Idempotency-Key used on A, runs it once, and refuses the key for another batch with 422', async () => {
    const headers = { authorization: 'Bearer idem', 'idempotency-key': `order-${framework}` };
    const name = `idem-${framework}`;
    const first = await submit(a, [createProduct('create', name)], headers);
    expect(first.status).toBe(201);
    await waitForEnd(b, first.json().uuid, headers);

    const retry = await submit(b, [createProduct('create', name)], headers);
    expect(retry.status).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');

    const other = await submit(b, [createProduct('create', `${name}-changed`)], headers);
    expect(other.status).toBe(422);
    expect(other.json().error).toMatchObject({ code: 'batch.idempotency_key_reused', jobId: first.json().uuid });

    expect(await redis.get(appKeys.count(prefix, name))).toBe('1');
    expect(await redis.get(appKeys.count(prefix, `${name}-changed`))).toBeNull();
  });

  // Regression: the store added an 'error' listener to its BullMQ queue on every submit,
  // and Node warned of a leak (MaxListenersExceededWarning) after the tenth.
  it('takes fifteen submits on one instance without an event-listener leak', async () => {
    const headers = { authorization: 'Bearer many' };
    for (let i = 0; i < 15; i++) {
      const submitted = await submit(a, [getItem('one', String(i))], headers);
      expect(submitted.status).toBe(201);
      await waitForEnd(a, submitted.json().uuid, headers);
    }
    expect(a.stderr()).not.toContain('MaxListenersExceededWarning');
  });
});
