import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { send } from '../support/http.js';
import { startAsyncApp, type AsyncApp } from './apps.js';
import { innerHits, sendJson, waitFor, waitForJob } from './helpers.js';

function fourWithAHold(gate: string) {
  return {
    batch: {
      operations: [
        { operationId: 'first', method: 'GET', endpoint: '/items/1' },
        { operationId: 'held', method: 'GET', endpoint: `/gate/${gate}` },
        { operationId: 'third', method: 'GET', endpoint: '/items/3' },
        { operationId: 'fourth', method: 'GET', endpoint: '/items/4' },
      ],
    },
  };
}

describe.each(FRAMEWORKS)('cancelling a job on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });

  it('answers DELETE of a running job 202 and says it is cancelling', async () => {
    app = await startAsyncApp(framework, { concurrency: 1 });
    const { uuid } = (await sendJson(app.url, '/batch', fourWithAHold('cancel-a'))).json();
    await waitFor(() => app.hits.includes('GET /gate/cancel-a'), 'the held operation');
    const reply = await send(app.url, `/batch/${uuid}`, { method: 'DELETE' });
    expect(reply.status).toBe(202);
    expect(reply.headers.location).toBe(`/batch/${uuid}`);
    expect(reply.json()).toMatchObject({ status: 'cancelling', uuid, completedAt: null });
    app.gates.open('cancel-a');
    await waitForJob(app.url, uuid);
  });

  it('marks the operations not yet started cancelled, and keeps the answers of those that ran', async () => {
    app = await startAsyncApp(framework, { concurrency: 1 });
    const { uuid } = (await sendJson(app.url, '/batch', fourWithAHold('cancel-b'))).json();
    await waitFor(() => app.hits.includes('GET /gate/cancel-b'), 'the held operation');
    await send(app.url, `/batch/${uuid}`, { method: 'DELETE' });
    app.gates.open('cancel-b');
    const doc = (await waitForJob(app.url, uuid)).json();
    expect(doc.status).toBe('cancelled');
    expect(doc.progress).toEqual({ total: 4, done: 2, failed: 0, cancelled: 2 });
    expect(doc.responses.map((r: any) => [r.operationId, r.status, r.statusCode, r.body])).toEqual([
      ['first', 'finished', 200, '{"id":"1"}'],
      ['held', 'finished', 200, '{"gate":"cancel-b"}'],
      ['third', 'cancelled', null, ''],
      ['fourth', 'cancelled', null, ''],
    ]);
    expect(innerHits(app.hits)).toEqual(['GET /items/1', 'GET /gate/cancel-b']);
  });

  it('releases the owner: the next batch is accepted once the cancelled one ended', async () => {
    app = await startAsyncApp(framework, { concurrency: 1 });
    const { uuid } = (await sendJson(app.url, '/batch', fourWithAHold('cancel-c'))).json();
    await waitFor(() => app.hits.includes('GET /gate/cancel-c'), 'the held operation');
    await send(app.url, `/batch/${uuid}`, { method: 'DELETE' });
    app.gates.open('cancel-c');
    await waitForJob(app.url, uuid);
    const next = await sendJson(app.url, '/batch', {
      batch: { operations: [{ operationId: 'next', method: 'GET', endpoint: '/items/9' }] },
    });
    expect(next.status).toBe(201);
    await waitForJob(app.url, next.json().uuid);
  });

  it('answers DELETE of a finished job 200 with its status, unchanged', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (
      await sendJson(app.url, '/batch', {
        batch: { operations: [{ operationId: 'a', method: 'GET', endpoint: '/items/1' }] },
      })
    ).json();
    await waitForJob(app.url, uuid);
    const reply = await send(app.url, `/batch/${uuid}`, { method: 'DELETE' });
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({
      status: 'finished',
      progress: { total: 1, done: 1, failed: 0, cancelled: 0 },
    });
  });

  it('lists cancelled bulk items as not processed, and the batch as PARTIAL', async () => {
    app = await startAsyncApp(framework, {
      concurrency: 1,
      bulk: { masterlist: { method: 'GET', url: (item) => (item.hold === true ? '/gate/cancel-d' : '/items/x') } },
    });
    const { batchId } = (
      await sendJson(app.url, '/process/masterlist', [{ asin: 'A' }, { asin: 'B', hold: true }, { asin: 'C' }], {
        method: 'PATCH',
      })
    ).json();
    await waitFor(() => app.hits.includes('GET /gate/cancel-d'), 'the held item');
    await send(app.url, `/batch/${batchId}`, { method: 'DELETE' });
    app.gates.open('cancel-d');
    const reply = await waitForJob(app.url, batchId);
    expect(reply.status).toBe(206);
    expect(reply.json().status).toBe('PARTIAL');
    expect(reply.json().data.map((item: any) => [item.asin, item.status])).toEqual([
      ['A', { success: true, message: 'OK', process: 'UPDATE' }],
      ['B', { success: true, message: 'OK', process: 'UPDATE' }],
      ['C', { success: false, message: 'cancelled', process: null }],
    ]);
  });

  it('ends a job that runs past jobTimeoutMs: the running operation times out, the rest never start', async () => {
    app = await startAsyncApp(framework, { concurrency: 1, jobTimeoutMs: 100 });
    const { uuid } = (
      await sendJson(app.url, '/batch', {
        batch: {
          operations: [
            { operationId: 'held', method: 'GET', endpoint: '/gate/deadline' },
            { operationId: 'next', method: 'GET', endpoint: '/items/2' },
          ],
        },
      })
    ).json();
    const doc = (await waitForJob(app.url, uuid)).json();
    expect(doc.status).toBe('failed');
    expect(doc.progress).toEqual({ total: 2, done: 2, failed: 2, cancelled: 0 });
    expect(doc.responses.map((r: any) => [r.statusCode, JSON.parse(r.body).error.code])).toEqual([
      [504, 'batch.part.timeout'],
      [503, 'batch.part.not_started'],
    ]);
    expect(JSON.parse(doc.responses[1].body).error.message).toBe(
      'The batch ran out of time (100 ms) before this operation started.',
    );
    expect(innerHits(app.hits)).toEqual(['GET /gate/deadline']);
  });
});
