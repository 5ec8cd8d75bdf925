/**
 * The Redis store as several instances see it, in one process: two apps, each with its own
 * store (its own connections and BullMQ worker) on one prefix, like two instances of one
 * app. The multi-process proofs (SIGKILL, Redis restarts, node:cluster) are in test/redis.
 */
import { gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobSummary } from '@inbatch/core';
import { redisJobStore } from '@inbatch/redis';
import { unseal } from '../../packages/redis/src/seal.js';
import { send } from '../support/http.js';
import { REDIS_URL, deletePrefix, redisReachable, testRedisStore, TEST_KEY } from '../support/redis.js';
import { SECRET_COOKIE, SECRET_TOKEN, startAsyncApp, type AsyncApp } from '../async/apps.js';
import { sendJson, waitFor, waitForJob } from '../async/helpers.js';

const available = await redisReachable();
const ALICE = { authorization: `Bearer ${SECRET_TOKEN}`, cookie: SECRET_COOKIE };

function held(gate: string, extra: Array<Record<string, string>> = []) {
  return {
    batch: {
      operations: [
        { operationId: 'quick', method: 'GET', endpoint: '/items/1' },
        { operationId: 'held', method: 'GET', endpoint: `/gate/${gate}` },
        ...extra,
      ],
    },
  };
}

describe.skipIf(!available)('two instances on one Redis', () => {
  const apps: AsyncApp[] = [];
  const stores: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const store of stores.splice(0)) await store.close();
  });

  /** Two apps (Express 5 and Koa 3) sharing one prefix, as two instances of one service. */
  async function pair(options: { onComplete?: (job: JobSummary) => void; concurrency?: number } = {}) {
    const first = testRedisStore();
    const second = testRedisStore({ prefix: first.prefix });
    stores.push(first, second);
    const a = await startAsyncApp('express5', { store: first, ...options });
    const b = await startAsyncApp('koa3', { store: second, ...options });
    apps.push(a, b);
    return { a, b, prefix: first.prefix };
  }

  it('reads, downloads and cancels on one instance a job submitted on the other', async () => {
    // One operation at a time, so a cancel has operations left to stop.
    const { a, b } = await pair({ concurrency: 1 });
    const submit = await sendJson(a.url, '/batch', held('shared'), { headers: ALICE });
    expect(submit.status).toBe(201);
    const { uuid } = submit.json();
    await waitFor(() => a.hits.includes('GET /gate/shared') || b.hits.includes('GET /gate/shared'), 'the held op');
    const running = await send(b.url, `/batch/${uuid}`, { headers: ALICE });
    expect(running.status).toBe(200);
    expect(running.json().status).toBe('running');
    // Only the owner: the same 404 as an unknown id, on the other instance too.
    expect((await send(b.url, `/batch/${uuid}`, { headers: { authorization: 'Bearer mallory' } })).status).toBe(404);
    a.gates.open('shared');
    b.gates.open('shared');
    const done = await waitForJob(b.url, uuid, { headers: ALICE });
    expect(done.json().status).toBe('finished');
    expect(done.json().responses.map((r: { statusCode: number }) => r.statusCode)).toEqual([200, 200]);
    const jsonl = await send(b.url, `/batch/${uuid}/jsonl`, { headers: ALICE });
    expect(jsonl.text.trim().split('\n')).toHaveLength(2);
    const gz = await send(a.url, `/batch/${uuid}/gz`, { headers: ALICE });
    expect(gunzipSync(gz.body).toString()).toBe(jsonl.text);

    const second = (
      await sendJson(
        b.url,
        '/batch',
        held('cancel-me', [{ operationId: 'after', method: 'GET', endpoint: '/items/2' }]),
        {
          headers: ALICE,
        },
      )
    ).json().uuid as string;
    await waitFor(() => a.hits.includes('GET /gate/cancel-me') || b.hits.includes('GET /gate/cancel-me'), 'held');
    const cancel = await send(a.url, `/batch/${second}`, { method: 'DELETE', headers: ALICE });
    expect(cancel.status).toBe(202);
    a.gates.open('cancel-me');
    b.gates.open('cancel-me');
    const cancelled = await waitForJob(a.url, second, { headers: ALICE });
    expect(cancelled.json().status).toBe('cancelled');
    expect(cancelled.json().progress).toMatchObject({ done: 2, cancelled: 1 });
    expect([...a.hits, ...b.hits]).not.toContain('GET /items/2');
  });

  it('streams live progress on one instance of a job that runs on the other', async () => {
    const { a, b } = await pair({ concurrency: 1 });
    const ops = ['s1', 's2'].map((gate) => ({ operationId: gate, method: 'GET', endpoint: `/gate/${gate}` }));
    const { uuid } = (await sendJson(a.url, '/batch', { batch: { operations: ops } }, { headers: ALICE })).json();
    await waitFor(() => a.hits.includes('GET /gate/s1') || b.hits.includes('GET /gate/s1'), 'the first op');
    const runner = a.hits.includes('GET /gate/s1') ? a : b;
    const watcher = runner === a ? b : a;
    const response = await fetch(`${watcher.url}/batch/${uuid}`, {
      headers: { ...ALICE, accept: 'text/event-stream' },
    });
    expect(response.status).toBe(200);
    runner.gates.open('s1');
    runner.gates.open('s2');
    const text = await response.text(); // the server closes the stream after the end event
    const events = text.split('\n\n').filter((block) => block.includes('event:'));
    expect(events[0]).toContain('event: progress');
    expect(events.at(-1)).toContain('event: end');
    expect(events.at(-1)).toContain('"status":"finished"');
  });

  it('holds one job per owner and one job per Idempotency-Key across instances', async () => {
    const { a, b } = await pair();
    const first = await sendJson(a.url, '/batch', held('lock'), { headers: ALICE });
    const busy = await sendJson(b.url, '/batch', held('other'), { headers: ALICE });
    expect(busy.status).toBe(409);
    expect(busy.json().error).toMatchObject({ code: 'batch.owner_busy', jobId: first.json().uuid });
    a.gates.open('lock');
    b.gates.open('lock');
    await waitForJob(b.url, first.json().uuid, { headers: ALICE });

    const keyed = { ...ALICE, 'idempotency-key': 'order-17' };
    const original = await sendJson(b.url, '/batch', held('idem'), { headers: keyed });
    a.gates.open('idem');
    b.gates.open('idem');
    await waitForJob(a.url, original.json().uuid, { headers: ALICE });
    const retry = await sendJson(a.url, '/batch', held('idem'), { headers: keyed });
    expect(retry.status).toBe(201);
    expect(retry.json().uuid).toBe(original.json().uuid);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const other = await sendJson(a.url, '/batch', held('different'), { headers: keyed });
    expect(other.status).toBe(422);
    expect(other.json().error).toMatchObject({ code: 'batch.idempotency_key_reused', jobId: original.json().uuid });
  });

  it('calls onComplete once per job, whichever instance ran it', async () => {
    const completed: string[] = [];
    const { a, b } = await pair({ onComplete: (job) => void completed.push(job.id) });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const owner = { authorization: `Bearer owner-${i}` };
      const submit = await sendJson(i % 2 === 0 ? a.url : b.url, '/batch', held(`c${i}`), { headers: owner });
      ids.push(submit.json().uuid);
    }
    for (let i = 0; i < 6; i++) {
      a.gates.open(`c${i}`);
      b.gates.open(`c${i}`);
    }
    for (const [i, id] of ids.entries())
      await waitForJob(a.url, id, { headers: { authorization: `Bearer owner-${i}` } });
    await waitFor(() => completed.length >= ids.length, 'every onComplete');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([...completed].sort()).toEqual([...ids].sort());
  });

  it('hands a job over when its instance dies: answers kept, the one in flight interrupted, the rest run elsewhere', async () => {
    const first = testRedisStore({ lockDurationMs: 800, onError: () => undefined });
    const second = testRedisStore({ prefix: first.prefix, lockDurationMs: 800 });
    stores.push(second);
    const options = { concurrency: 1, onError: () => undefined };
    const a = await startAsyncApp('express5', { store: first, ...options });
    const b = await startAsyncApp('koa3', { store: second, ...options });
    apps.push(b);
    // b has seen no request yet, so it does not serve the queue: a takes the job.
    const submit = await sendJson(
      a.url,
      '/batch',
      {
        batch: {
          operations: [
            { operationId: 'before', method: 'POST', endpoint: '/v1/products', body: '{"name":"before"}' },
            { operationId: 'in-flight', method: 'POST', endpoint: '/gate/crash', body: '{}' },
            { operationId: 'get-after', method: 'GET', endpoint: '/items/3' },
            { operationId: 'post-after', method: 'POST', endpoint: '/v1/products', body: '{"name":"after"}' },
          ],
        },
      },
      { headers: ALICE },
    );
    const { uuid } = submit.json();
    await waitFor(() => a.hits.includes('POST /gate/crash'), 'the operation in flight on the first instance');
    await waitFor(() => b.hits.length === 0, 'nothing on b yet');
    // The answer of "before" is written (read through b, which now serves the queue too).
    const progress = await send(b.url, `/batch/${uuid}`, { headers: ALICE });
    expect(progress.json().progress.done).toBe(1);
    // "Crash" the first instance: its store stops writing, its worker stops renewing the lock.
    await first.closeKeepingKeys();
    const done = await waitForJob(b.url, uuid, { headers: ALICE });
    a.gates.open('crash');
    await a.close();
    expect(done.status, done.text).toBe(200);
    const doc = done.json();
    expect(doc.status).toBe('finished');
    const byId = Object.fromEntries(
      doc.responses.map((r: { operationId: string; statusCode: number; body: string }) => [r.operationId, r]),
    );
    expect(byId['before'].statusCode).toBe(201);
    expect(byId['in-flight'].statusCode).toBe(502);
    expect(JSON.parse(byId['in-flight'].body).error.code).toBe('batch.part.interrupted');
    expect(byId['get-after'].statusCode).toBe(200);
    expect(byId['post-after'].statusCode).toBe(201);
    // Each POST ran once, in all: the one in flight was not run again by the second instance.
    const posts = [...a.hits, ...b.hits].filter((hit) => hit.startsWith('POST /'));
    expect(posts.filter((hit) => hit === 'POST /gate/crash')).toHaveLength(1);
    expect(posts.filter((hit) => hit === 'POST /v1/products')).toHaveLength(2);
    expect(b.hits).toContain('POST /v1/products');
    expect(b.hits).not.toContain('POST /gate/crash');
  }, 20_000);

  it('keeps the credentials only encrypted, only while the job runs, and never in BullMQ data', async () => {
    const { a, prefix } = await pair();
    const submit = await sendJson(
      a.url,
      '/batch?access_token=outer-query-secret',
      held('secret', [{ operationId: 'private', method: 'GET', endpoint: '/private' }]),
      { headers: ALICE },
    );
    const { uuid } = submit.json();
    await waitFor(() => apps.some((app) => app.hits.some((hit) => hit.startsWith('GET /gate/secret'))), 'the held op');
    const client = new Redis(REDIS_URL);
    try {
      const dump = async (): Promise<{ keys: string[]; text: string }> => {
        const found = await client.keys(`{${prefix}}*`);
        let text = '';
        for (const key of found) {
          const type = await client.type(key);
          if (type === 'string') text += (await client.getBuffer(key))?.toString('latin1') ?? '';
          else if (type === 'hash') text += JSON.stringify(await client.hgetall(key));
          else if (type === 'list') text += JSON.stringify(await client.lrange(key, 0, -1));
          else if (type === 'set') text += JSON.stringify(await client.smembers(key));
          else if (type === 'zset') text += JSON.stringify(await client.zrange(key, 0, -1));
          else if (type === 'stream') text += JSON.stringify(await client.xrange(key, '-', '+'));
        }
        return { keys: found, text };
      };
      const whileRunning = await dump();
      expect(whileRunning.keys).toContain(`{${prefix}}:plan:${uuid}`);
      for (const secret of [SECRET_TOKEN, SECRET_COOKIE.split('=')[1] as string, 'outer-query-secret']) {
        expect(whileRunning.text).not.toContain(secret);
      }
      apps.forEach((app) => app.gates.open('secret'));
      const done = await waitForJob(a.url, uuid, { headers: ALICE });
      // The private route saw the credentials: they travelled, sealed.
      expect(done.json().responses.map((r: { statusCode: number }) => r.statusCode)).toEqual([200, 200, 200]);
      const afterwards = await dump();
      expect(afterwards.keys).not.toContain(`{${prefix}}:plan:${uuid}`);
    } finally {
      client.disconnect();
    }
  });

  it('refuses a plan sealed for another job (the job id is authenticated with it)', async () => {
    const { a, prefix } = await pair();
    const first = (await sendJson(a.url, '/batch', held('swap-1'), { headers: ALICE })).json().uuid as string;
    const client = new Redis(REDIS_URL);
    try {
      await waitFor(() => apps.some((app) => app.hits.includes('GET /gate/swap-1')), 'the held op');
      const sealed = await client.getBuffer(`{${prefix}}:plan:${first}`);
      expect(sealed).not.toBeNull();
      expect(() => unseal(TEST_KEY, 'another-job', sealed as Buffer)).toThrow();
      expect(JSON.parse(unseal(TEST_KEY, first, sealed as Buffer).toString()).context.headers.authorization).toBe(
        `Bearer ${SECRET_TOKEN}`,
      );
    } finally {
      client.disconnect();
      apps.forEach((app) => app.gates.openAll());
    }
  });
});

describe.skipIf(!available)('the Redis store when Redis is away', () => {
  const apps: AsyncApp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  it('answers 503 batch.store_unavailable with Retry-After within the bound, and sync batches still work', async () => {
    // A port nothing listens on: Redis is "down" from the start.
    const store = redisJobStore({
      connection: { host: '127.0.0.1', port: 1, retryStrategy: () => 200 },
      key: TEST_KEY,
      prefix: 'inbatch-test-down',
      commandTimeoutMs: 300,
      onError: () => undefined,
    });
    const app = await startAsyncApp('express5', { store });
    apps.push(app);
    try {
      const started = performance.now();
      const submit = await sendJson(app.url, '/batch', held('never'), { headers: ALICE });
      const elapsed = performance.now() - started;
      expect(submit.status).toBe(503);
      expect(submit.headers['retry-after']).toBe('5');
      expect(submit.json().error.code).toBe('batch.store_unavailable');
      expect(elapsed).toBeLessThan(3000);
      const read = await send(app.url, '/batch/3f1b6c1e-5d7a-4b8e-9c2d-1a2b3c4d5e6f', { headers: ALICE });
      expect(read.status).toBe(503);
      const sync = await send(app.url, '/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ requests: [{ id: '1', method: 'GET', url: '/items/9' }] }),
      });
      expect(sync.status).toBe(200);
      expect(sync.json().responses[0]).toMatchObject({ id: '1', status: 200, body: { id: '9' } });
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!available)('the Redis store on its own', () => {
  it('expires status and files by their TTLs, and frees their bytes', async () => {
    const store = testRedisStore({ maxResultBytes: 64 * 1024 });
    const app = await startAsyncApp('express5', {
      store,
      statusTtlMs: 300,
      resultTtlMs: 600,
      maxTotalResponseBytes: 32 * 1024,
    });
    try {
      const { uuid } = (await sendJson(app.url, '/batch', held('ttl'), { headers: ALICE })).json();
      // Two running jobs would need 64 KiB reserved: the budget holds one more only.
      const other = await sendJson(app.url, '/batch', held('ttl2'), { headers: { authorization: 'Bearer b' } });
      expect(other.status).toBe(201);
      const third = await sendJson(app.url, '/batch', held('ttl3'), { headers: { authorization: 'Bearer c' } });
      expect(third.status).toBe(429);
      expect(third.json().error.code).toBe('batch.overloaded');
      app.gates.open('ttl');
      app.gates.open('ttl2');
      await waitForJob(app.url, uuid, { headers: ALICE });
      await waitForJob(app.url, other.json().uuid, { headers: { authorization: 'Bearer b' } });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await send(app.url, `/batch/${uuid}`, { headers: ALICE })).status).toBe(410);
      expect((await send(app.url, `/batch/${uuid}/jsonl`, { headers: ALICE })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await send(app.url, `/batch/${uuid}/jsonl`, { headers: ALICE })).status).toBe(404);
      expect(await store.expire(Date.now())).toBeGreaterThanOrEqual(0);
      const again = await sendJson(app.url, '/batch', held('ttl4'), { headers: { authorization: 'Bearer c' } });
      expect(again.status).toBe(201);
      app.gates.open('ttl4');
      await waitForJob(app.url, again.json().uuid, { headers: { authorization: 'Bearer c' } });
    } finally {
      await app.close();
      await store.close();
    }
  });

  it('refuses unknown options with a suggestion, and a key that is not 32 bytes', () => {
    expect(() => redisJobStore({ connection: REDIS_URL, key: TEST_KEY, lockDuration: 5 } as never)).toThrow(
      /unknown option "lockDuration" of redisJobStore; did you mean "lockDurationMs"\?/,
    );
    expect(() => redisJobStore({ connection: REDIS_URL, key: 'short' })).toThrow(/"key" must be 32 bytes/);
    expect(() => redisJobStore({ connection: REDIS_URL, key: TEST_KEY, prefix: 'a b' })).toThrow(/"prefix"/);
  });

  it('opens no connection until it is used', async () => {
    const client = new Redis(REDIS_URL);
    try {
      const count = async () =>
        ((await client.client('LIST')) as string).split('\n').filter((l) => /inbatch:/.test(l)).length;
      const before = await count();
      const store = redisJobStore({ connection: REDIS_URL, key: TEST_KEY, prefix: 'inbatch-test-idle' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await count()).toBe(before);
      await store.close();
      await deletePrefix('inbatch-test-idle');
    } finally {
      client.disconnect();
    }
  });
});
