import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, type Reply } from '../support/http.js';
import { startInstance, type Instance } from './support/instances.js';
import { getItem, submit, until, waitForEnd, wake, type Op } from './support/jobs.js';
import { freshKey, freshPrefix, OwnRedis, redisServerInstalled } from './support/redis.js';

// This suite stops and restarts a redis-server of its own, never the shared one.
const redisUp = redisServerInstalled('test/redis/outage');

/** The bound the store promises on a Redis command; a refusal must come within about this. */
const COMMAND_TIMEOUT_MS = 1000;
/** Generous slack over the bound for a slow, shared 2-core box: the point is "answers, never hangs". */
const ANSWER_BOUND_MS = COMMAND_TIMEOUT_MS + 4000;

const slowOps = (count: number): Op[] =>
  Array.from({ length: count }, (_, i) => ({ operationId: `slow-${i}`, method: 'GET', endpoint: '/slow/250' }));

async function timed(request: () => Promise<Reply>): Promise<{ reply: Reply; ms: number }> {
  const start = performance.now();
  const reply = await request();
  return { reply, ms: performance.now() - start };
}

function expectStoreUnavailable(reply: Reply): void {
  expect(reply.status).toBe(503);
  expect(reply.json().error.code).toBe('batch.store_unavailable');
  expect(reply.headers['retry-after']).toMatch(/^\d+$/);
}

describe.skipIf(!redisUp)('a Redis restarted under a running instance', () => {
  let own: OwnRedis;
  let app: Instance;

  beforeAll(async () => {
    own = await OwnRedis.start();
    app = await startInstance({
      framework: 'express',
      prefix: freshPrefix('outage'),
      key: freshKey(),
      redisPort: own.port,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      lockDurationMs: 2000,
      concurrency: 1,
    });
    await wake(app);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await own?.stop();
  });

  it('answers submits and reads 503 within the bound while it is down, keeps sync batches working, and ends the job once it is back', async () => {
    const owner = { authorization: 'Bearer outage' };
    const submitted = await submit(app, slowOps(12), owner);
    expect(submitted.status).toBe(201);
    const { uuid } = submitted.json();
    await until(async () => {
      const doc = (await send(app.url, `/batch/${uuid}`, { headers: owner })).json();
      return doc.progress.done >= 1 ? true : undefined;
    }, 'the job to be running');

    // Submits keep arriving, one every 100 ms, each from its own owner, through the whole outage.
    const arrivals: Array<{ status: number; ms: number; code?: string; retryAfter?: string }> = [];
    let arriving = true;
    const arrivalLoop = (async () => {
      for (let i = 0; arriving; i++) {
        const { reply, ms } = await timed(() =>
          submit(app, [getItem('a', String(i))], { authorization: `Bearer arrival-${i}` }),
        );
        arrivals.push({
          status: reply.status,
          ms,
          ...(reply.status === 503
            ? { code: reply.json().error.code, retryAfter: String(reply.headers['retry-after']) }
            : {}),
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    await own.down();
    const refusals: number[] = [];
    for (let i = 0; i < 3; i++) {
      const down = await timed(() => submit(app, [getItem('down', String(i))], { authorization: `Bearer down-${i}` }));
      expectStoreUnavailable(down.reply);
      refusals.push(down.ms);
    }
    const read = await timed(() => send(app.url, `/batch/${uuid}`, { headers: owner }));
    expectStoreUnavailable(read.reply);
    refusals.push(read.ms);
    console.info(
      `Redis down: 503 store_unavailable after ${refusals.map((ms) => ms.toFixed(0)).join(', ')} ms (bound ${COMMAND_TIMEOUT_MS} ms)`,
    );
    for (const ms of refusals) expect(ms).toBeLessThan(ANSWER_BOUND_MS);

    // A sync batch needs no store: it runs as if Redis did not exist.
    const sync = await send(app.url, '/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        requests: [
          { id: '1', method: 'GET', url: '/items/1' },
          { id: '2', method: 'GET', url: '/items/2' },
        ],
      }),
    });
    expect(sync.status).toBe(200);
    expect(sync.json().responses.map((r: any) => [r.id, r.status, r.body.id])).toEqual([
      ['1', 200, '1'],
      ['2', 200, '2'],
    ]);
    expect(app.alive()).toBe(true);

    await own.up();
    const doc = await waitForEnd(app, uuid, owner, 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; instance stderr: ${app.stderr()}`);
    });
    const failed = doc.responses
      .filter((r: any) => r.statusCode >= 300)
      .map((r: any) => `${r.operationId} ${r.statusCode} ${r.body}`);
    console.info(
      `after the restart the job ended ${doc.status}, ${JSON.stringify(doc.progress)}; not 2xx: ${failed.join('; ') || 'none'}`,
    );
    expect(['finished', 'failed']).toContain(doc.status);
    expect(doc.progress.total).toBe(12);
    expect(doc.progress.done + doc.progress.cancelled).toBe(12);

    const again = await until(async () => {
      const reply = await submit(app, [getItem('after', '1')], { authorization: 'Bearer after' });
      return reply.status === 201 ? reply : undefined;
    }, 'a submit to be accepted after the restart');
    expect((await waitForEnd(app, again.json().uuid, { authorization: 'Bearer after' })).status).toBe('finished');

    arriving = false;
    await arrivalLoop;
    const statuses = new Set(arrivals.map((a) => a.status));
    expect([...statuses].filter((status) => status !== 201 && status !== 503)).toEqual([]);
    expect(arrivals.some((a) => a.status === 503)).toBe(true);
    for (const arrival of arrivals) {
      expect(arrival.ms).toBeLessThan(ANSWER_BOUND_MS);
      if (arrival.status === 503)
        expect(arrival).toMatchObject({ code: 'batch.store_unavailable', retryAfter: expect.stringMatching(/^\d+$/) });
    }
    console.info(
      `${arrivals.length} submits during the restart: ${arrivals.filter((a) => a.status === 503).length} × 503, slowest ${Math.max(...arrivals.map((a) => a.ms)).toFixed(0)} ms`,
    );
    expect(app.alive()).toBe(true);
  }, 90_000);
});
