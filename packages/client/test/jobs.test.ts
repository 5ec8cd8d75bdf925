/**
 * The jobs API against real Express and Koa apps (test/async/apps.ts), on the memory store
 * and, in the vitest project `redis`, on the Redis store: submit in each dialect, wait,
 * read the results, cancel, and the errors a caller must be able to tell apart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  BatchRequestError,
  JobCancelledError,
  openJob,
  submitJob,
  type BulkItem,
  type JobProgress,
  type OperationsResponse,
} from '@inbatch/client';
import { startAsyncApp, type AsyncApp } from '../../../test/async/apps.js';
import { innerHits, waitFor } from '../../../test/async/helpers.js';

const FRAMEWORKS = ['express5', 'koa3'] as const;
const ALICE = { authorization: 'Bearer alice' };
const MALLORY = { authorization: 'Bearer mallory' };
const MASTERLIST = { masterlist: { method: 'PUT', url: '/v2/masterlist/{asin}' } } as const;

describe.each(FRAMEWORKS)('jobs from the client on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });
  const endpoint = () => `${app.url}/batch`;

  it('submits an operations batch, waits for it, and reads its answers as JSONL and gzip', async () => {
    app = await startAsyncApp(framework);
    const job = await submitJob(
      {
        operations: [
          { operationId: 'list', method: 'GET', endpoint: '/v1/products?page=1' },
          { operationId: 'create', method: 'POST', endpoint: '/v1/products', body: { name: 'Product 3' } },
        ],
      },
      { endpoint: endpoint(), headers: ALICE },
    );
    expect(job.kind).toBe('operations');
    const done = await job.wait();
    expect(done.uuid).toBe(job.id);
    expect(done.status).toBe('finished');
    expect(done.progress).toEqual({ total: 2, done: 2, failed: 0, cancelled: 0 });
    expect(done.responses.map((response) => [response.operationId, response.statusCode])).toEqual([
      ['list', 200],
      ['create', 201],
    ]);
    const lines: OperationsResponse[] = [];
    for await (const line of job.results()) lines.push(line);
    expect(lines).toEqual(done.responses);
    const gzipped: OperationsResponse[] = [];
    for await (const line of job.results({ gzip: true })) gzipped.push(line);
    expect(gzipped).toEqual(lines);
  });

  it('submits a bulk batch and resolves PARTIAL with the per-item list; results() lists the items', async () => {
    app = await startAsyncApp(framework, { bulk: MASTERLIST });
    const job = await submitJob(
      { bulk: 'masterlist', items: [{ asin: 'NEW1' }, { asin: 'FAIL1' }, { asin: 'ASIN1' }] },
      { endpoint: endpoint(), headers: ALICE },
    );
    expect(job.kind).toBe('bulk');
    const done = await job.wait();
    expect(done.batchId).toBe(job.id);
    expect(done.status).toBe('PARTIAL');
    expect(done.data?.map((item) => [item.asin, item.status])).toEqual([
      ['NEW1', { success: true, message: 'created', process: 'INSERT' }],
      ['FAIL1', { success: false, message: 'percACoS of FAIL1 must be positive', process: null }],
      ['ASIN1', { success: true, message: 'successfully', process: 'UPDATE' }],
    ]);
    const items: BulkItem[] = [];
    for await (const item of job.results()) items.push(item);
    expect(items).toEqual(done.data);
  });

  it('runs a json batch with Prefer: respond-async and gives its answers as the sync batch would', async () => {
    app = await startAsyncApp(framework);
    const job = await submitJob(
      {
        dialect: 'json',
        requests: [
          '/items/1',
          ['/v1/products', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' }],
        ],
      },
      { endpoint: endpoint(), headers: ALICE },
    );
    expect(job.kind).toBe('json');
    expect((await job.wait()).status).toBe('finished');
    const [item, created] = await job.result();
    expect([item?.status, created?.status]).toEqual([200, 201]);
    expect(item?.url).toBe(`${app.url}/items/1`);
    expect(await item?.json()).toEqual({ id: '1' });
    expect(await created?.json()).toEqual({ created: { name: 'x' } });
  });

  it('runs a multipart batch with Prefer: respond-async; result() before the end rejects 409', async () => {
    app = await startAsyncApp(framework);
    const job = await submitJob({ requests: ['/gate/multi', '/items/2'] }, { endpoint: endpoint(), headers: ALICE });
    expect(job.kind).toBe('multipart');
    await waitFor(() => app.hits.includes('GET /gate/multi'), 'the held request');
    const early = await job.result().catch((error: unknown) => error);
    expect(early).toBeInstanceOf(BatchRequestError);
    expect(early).toMatchObject({ status: 409, code: 'batch.job_not_finished' });
    app.gates.open('multi');
    await job.wait();
    const [gate, item] = await job.result();
    expect(await gate?.json()).toEqual({ gate: 'multi' });
    expect(await item?.json()).toEqual({ id: '2' });
  });

  it('cancels a running job: wait() rejects with JobCancelledError carrying the final document', async () => {
    app = await startAsyncApp(framework, { concurrency: 1 });
    const job = await submitJob(
      {
        operations: [
          { operationId: 'held', method: 'GET', endpoint: '/gate/cancel' },
          { operationId: 'never', method: 'GET', endpoint: '/items/9' },
        ],
      },
      { endpoint: endpoint(), headers: ALICE },
    );
    await waitFor(() => app.hits.includes('GET /gate/cancel'), 'the held operation');
    const waiting = job.wait().catch((error: unknown) => error);
    const cancelling = await job.cancel();
    expect(cancelling.status).toBe('cancelling');
    app.gates.open('cancel');
    const error = await waiting;
    expect(error).toBeInstanceOf(JobCancelledError);
    const final = (error as JobCancelledError).status as { status: string; responses: OperationsResponse[] };
    expect(final.status).toBe('cancelled');
    expect(final.responses.map((response) => response.status)).toEqual(['finished', 'cancelled']);
    expect(innerHits(app.hits)).not.toContain('GET /items/9');
  });

  it('polls with stream: false, reporting each change once, the current state first', async () => {
    app = await startAsyncApp(framework, { concurrency: 1 });
    const job = await submitJob(
      {
        operations: [
          { operationId: 'a', method: 'GET', endpoint: '/gate/poll-a' },
          { operationId: 'b', method: 'GET', endpoint: '/gate/poll-b' },
        ],
      },
      { endpoint: endpoint(), headers: ALICE },
    );
    const seen: JobProgress[] = [];
    const waiting = job.wait({ stream: false, onProgress: (progress) => seen.push(progress) });
    await waitFor(() => seen.some((progress) => progress.status === 'running'), 'a running state');
    app.gates.open('poll-a');
    await waitFor(() => seen.some((progress) => progress.progress?.done === 1), 'one operation done');
    app.gates.open('poll-b');
    const done = await waiting;
    expect(done.progress.done).toBe(2);
    const dones = seen.map((progress) => progress.progress?.done);
    expect(dones).toEqual([...dones].sort());
    expect(new Set(seen.map((progress) => JSON.stringify(progress))).size).toBe(seen.length);
    expect(seen.every((progress) => progress.id === job.id && progress.kind === 'operations')).toBe(true);
  });

  it('stops waiting when the signal aborts, with its reason, and the job goes on', async () => {
    app = await startAsyncApp(framework);
    const job = await submitJob(
      { operations: [{ operationId: 'held', method: 'GET', endpoint: '/gate/abort' }] },
      { endpoint: endpoint(), headers: ALICE },
    );
    const controller = new AbortController();
    const waiting = job.wait({ signal: controller.signal });
    await waitFor(() => app.hits.includes('GET /gate/abort'), 'the held operation');
    controller.abort(new Error('user left'));
    await expect(waiting).rejects.toThrow('user left');
    expect((await job.status()).status).toBe('running');
    app.gates.open('abort');
    expect((await job.wait()).status).toBe('finished');
  });

  it("answers another owner's status, wait, results and cancel 404 batch.job_not_found", async () => {
    app = await startAsyncApp(framework);
    const job = await submitJob(
      { operations: [{ operationId: 'held', method: 'GET', endpoint: '/gate/owner' }] },
      { endpoint: endpoint(), headers: ALICE },
    );
    const stranger = openJob({ id: job.id, kind: 'operations' }, { endpoint: endpoint(), headers: MALLORY });
    const refusals = await Promise.all([
      stranger.status().catch((error: unknown) => error),
      stranger.wait().catch((error: unknown) => error),
      stranger
        .results()
        .next()
        .catch((error: unknown) => error),
      stranger.cancel().catch((error: unknown) => error),
    ]);
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(BatchRequestError);
      expect(refusal).toMatchObject({ failure: 'refused', status: 404, code: 'batch.job_not_found' });
    }
    app.gates.open('owner');
    expect((await job.wait()).status).toBe('finished');
  });

  it('rejects wait() with 410 batch.job_expired once the status is no longer kept', async () => {
    app = await startAsyncApp(framework, { statusTtlMs: 300, resultTtlMs: 60_000 });
    const job = await submitJob(
      { operations: [{ operationId: 'one', method: 'GET', endpoint: '/items/1' }] },
      { endpoint: endpoint(), headers: ALICE },
    );
    await job.wait();
    await new Promise((resolve) => setTimeout(resolve, 600));
    const error = await job.wait().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BatchRequestError);
    expect(error).toMatchObject({ status: 410, code: 'batch.job_expired' });
    // The files outlive the status.
    const lines: OperationsResponse[] = [];
    for await (const line of job.results()) lines.push(line);
    expect(lines.map((line) => line.statusCode)).toEqual([200]);
  });

  it('rejects a refused submit with the server’s error and makes no job', async () => {
    app = await startAsyncApp(framework, { bulk: MASTERLIST });
    const error = await submitJob({ bulk: 'pricelist', items: [{ asin: 'A' }] }, { endpoint: endpoint() }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(BatchRequestError);
    expect(error).toMatchObject({ status: 404, code: 'batch.unknown_resource' });
    expect(innerHits(app.hits)).toEqual([]);
  });
});
