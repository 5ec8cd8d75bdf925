/**
 * Two instances of one app on one Redis prefix (as test/redis-store/shared.test.ts builds
 * them): a job submitted through one is followed live, read and cancelled through the
 * other, whichever instance runs it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JobCancelledError, openJob, submitJob, type JobProgress, type OperationsResponse } from '@inbatch/client';
import { startAsyncApp, type AsyncApp } from '../../../test/async/apps.js';
import { waitFor } from '../../../test/async/helpers.js';
import { redisReachable, testRedisStore } from '../../../test/support/redis.js';

const available = await redisReachable();
const ALICE = { authorization: 'Bearer alice-instances' };

describe.skipIf(!available)('jobs from the client across two instances on one Redis', () => {
  const apps: AsyncApp[] = [];
  const stores: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const store of stores.splice(0)) await store.close();
  });

  async function pair() {
    const first = testRedisStore();
    const second = testRedisStore({ prefix: first.prefix });
    stores.push(first, second);
    const a = await startAsyncApp('express5', { store: first, concurrency: 1 });
    const b = await startAsyncApp('koa3', { store: second, concurrency: 1 });
    apps.push(a, b);
    /** Opens a gate on both instances: either may be running the job. */
    const open = (gate: string) => {
      a.gates.open(gate);
      b.gates.open(gate);
    };
    const reached = (gate: string) => a.hits.includes(`GET /gate/${gate}`) || b.hits.includes(`GET /gate/${gate}`);
    return { a, b, open, reached };
  }

  it('streams the progress of a job submitted on one instance from the other, in order, to its end', async () => {
    const { a, b, open, reached } = await pair();
    const gates = ['x1', 'x2', 'x3'];
    const submitted = await submitJob(
      { operations: gates.map((gate) => ({ operationId: gate, method: 'GET', endpoint: `/gate/${gate}` })) },
      { endpoint: `${a.url}/batch`, headers: ALICE },
    );
    const followed = openJob(submitted, { endpoint: `${b.url}/batch`, headers: ALICE });
    const seen: JobProgress<'operations'>[] = [];
    const waiting = followed.wait({ onProgress: (progress) => seen.push(progress) });
    for (const [index, gate] of gates.entries()) {
      await waitFor(() => reached(gate), `operation ${gate}`);
      await waitFor(() => seen.some((progress) => progress.progress?.done === index), `${index} done, seen on b`);
      open(gate);
    }
    const done = await waiting;
    expect(done.status).toBe('finished');
    expect(seen.map((progress) => progress.progress?.done)).toEqual([0, 1, 2]);
    // b followed it with one stream request, never polling.
    expect(b.hits.filter((hit) => hit === `GET /batch/${submitted.id}`)).toHaveLength(1);
    const lines: OperationsResponse[] = [];
    for await (const line of followed.results({ gzip: true })) lines.push(line);
    expect(lines.map((line) => line.operationId)).toEqual(gates);
    expect(await submitted.status()).toEqual(done);
  });

  it('cancels through one instance a job waited on through the other', async () => {
    const { a, b, open, reached } = await pair();
    const submitted = await submitJob(
      {
        operations: [
          { operationId: 'held', method: 'GET', endpoint: '/gate/c1' },
          { operationId: 'never', method: 'GET', endpoint: '/items/1' },
        ],
      },
      { endpoint: `${a.url}/batch`, headers: ALICE },
    );
    await waitFor(() => reached('c1'), 'the held operation');
    const waiting = submitted.wait().catch((error: unknown) => error);
    const cancelling = await openJob(submitted, { endpoint: `${b.url}/batch`, headers: ALICE }).cancel();
    expect(cancelling.status).toBe('cancelling');
    open('c1');
    const error = await waiting;
    expect(error).toBeInstanceOf(JobCancelledError);
    expect((error as JobCancelledError).status).toMatchObject({ status: 'cancelled' });
  });
});
