import { afterEach, describe, expect, it } from 'vitest';
import type { BatchOptions } from '@inbatch/core';
import { FRAMEWORKS } from '../support/apps.js';
import { send } from '../support/http.js';
import { startAsyncApp, type AsyncApp } from './apps.js';
import { innerHits, sendJson, UUID_V4, waitFor, waitForJob } from './helpers.js';

// The bulk seed's masterlist resource: each item becomes a PUT of that item.
const MASTERLIST: BatchOptions = { bulk: { masterlist: { method: 'PUT', url: '/v2/masterlist/{asin}' } } };
// The seed's example item.
const SEED_ITEM = { asin: 'ASINXYZXPTO1', countryCode: 'US', percACoS: 2.7 };

function patch(app: AsyncApp, resource: string, items: unknown) {
  return sendJson(app.url, `/process/${resource}`, items, { method: 'PATCH' });
}

describe.each(FRAMEWORKS)('the bulk dialect on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });

  it("answers the seed's masterlist item 202 with the batch id and a Location under the batch path", async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const reply = await patch(app, 'masterlist', [SEED_ITEM]);
    expect(reply.status).toBe(202);
    expect(Object.keys(reply.json())).toEqual(['batchId']);
    expect(reply.json().batchId).toMatch(UUID_V4);
    expect(reply.headers.location).toBe(`/batch/${reply.json().batchId}`);
    await waitForJob(app.url, reply.json().batchId);
  });

  it('answers 200 SUCCESS with the per-item list once every item succeeded', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const { batchId } = (await patch(app, 'masterlist', [SEED_ITEM])).json();
    const reply = await waitForJob(app.url, batchId);
    expect(reply.status).toBe(200);
    const body = reply.json();
    expect(Object.keys(body)).toEqual(['batchId', 'status', 'data']);
    expect(body).toEqual({
      batchId,
      status: 'SUCCESS',
      data: [
        {
          id: expect.stringMatching(UUID_V4),
          asin: 'ASINXYZXPTO1',
          countryCode: 'US',
          percACoS: 2.7,
          status: { success: true, message: 'successfully', process: 'UPDATE' },
        },
      ],
    });
    expect(Object.keys(body.data[0])).toEqual(['id', 'asin', 'countryCode', 'percACoS', 'status']);
    expect(innerHits(app.hits)).toEqual(['PUT /v2/masterlist/ASINXYZXPTO1']);
  });

  it('answers 206 RUNNING without a list while items are processed, then 200 SUCCESS', async () => {
    app = await startAsyncApp(framework, {
      bulk: {
        masterlist: {
          method: 'GET',
          url: (item) => (item.hold === true ? '/gate/bulk' : `/items/${String(item.asin)}`),
        },
      },
    });
    const { batchId } = (await patch(app, 'masterlist', [{ asin: 'A', hold: true }])).json();
    await waitFor(() => app.hits.includes('GET /gate/bulk'), 'the held item');
    const running = await send(app.url, `/batch/${batchId}`);
    expect(running.status).toBe(206);
    expect(running.json()).toEqual({ batchId, status: 'RUNNING' });
    app.gates.open('bulk');
    const done = await waitForJob(app.url, batchId);
    expect(done.status).toBe(200);
    expect(done.json().status).toBe('SUCCESS');
  });

  it('answers 206 PENDING while the job waits for the in-flight cap', async () => {
    app = await startAsyncApp(framework, {
      ...MASTERLIST,
      maxInFlight: 1,
      oneJobPerOwner: false,
    });
    const holder = await sendJson(app.url, '/batch', {
      batch: { operations: [{ operationId: 'held', method: 'GET', endpoint: '/gate/pending' }] },
    });
    await waitFor(() => app.hits.includes('GET /gate/pending'), 'the held operation');
    const { batchId } = (await patch(app, 'masterlist', [SEED_ITEM])).json();
    const pending = await send(app.url, `/batch/${batchId}`);
    expect(pending.status).toBe(206);
    expect(pending.json()).toEqual({ batchId, status: 'PENDING' });
    app.gates.open('pending');
    expect((await waitForJob(app.url, batchId)).json().status).toBe('SUCCESS');
    await waitForJob(app.url, holder.json().uuid);
  });

  it('ends PARTIAL (206) when one item fails, with each item’s status, message and process', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const { batchId } = (
      await patch(app, 'masterlist', [SEED_ITEM, { asin: 'FAIL1', countryCode: 'US', percACoS: -1 }, { asin: 'NEW1' }])
    ).json();
    const reply = await waitForJob(app.url, batchId);
    expect(reply.status).toBe(206);
    expect(reply.json().status).toBe('PARTIAL');
    expect(reply.json().data.map((item: any) => [item.asin, item.status])).toEqual([
      ['ASINXYZXPTO1', { success: true, message: 'successfully', process: 'UPDATE' }],
      ['FAIL1', { success: false, message: 'percACoS of FAIL1 must be positive', process: null }],
      ['NEW1', { success: true, message: 'created', process: 'INSERT' }],
    ]);
  });

  it('ends FAILED (206) when every item failed', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const { batchId } = (await patch(app, 'masterlist', [{ asin: 'FAIL1' }, { asin: 'FAIL2' }])).json();
    const reply = await waitForJob(app.url, batchId);
    expect(reply.status).toBe(206);
    expect(reply.json().status).toBe('FAILED');
    expect(reply.json().data.map((item: any) => item.status.success)).toEqual([false, false]);
  });

  it('refuses an item that cannot fill the URL in its slot, naming the field', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const { batchId } = (await patch(app, 'masterlist', [{ countryCode: 'US' }, SEED_ITEM])).json();
    const reply = await waitForJob(app.url, batchId);
    expect(reply.json().status).toBe('PARTIAL');
    expect(reply.json().data[0].status).toEqual({
      success: false,
      message: 'The item has no "asin" to build its URL from.',
      process: null,
    });
    expect(innerHits(app.hits)).toEqual(['PUT /v2/masterlist/ASINXYZXPTO1']);
  });

  it('encodes an item field as one path segment: a query in it stays inside the segment', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const { batchId } = (await patch(app, 'masterlist', [{ asin: 'A1?admin=1&x' }])).json();
    await waitForJob(app.url, batchId);
    expect(innerHits(app.hits)).toEqual(['PUT /v2/masterlist/A1%3Fadmin%3D1%26x']);
  });

  it('refuses in its slot an item whose field would climb the path, and never dispatches it', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const { batchId } = (await patch(app, 'masterlist', [{ asin: '../../admin' }])).json();
    const reply = await waitForJob(app.url, batchId);
    expect(reply.json().status).toBe('FAILED');
    expect(reply.json().data[0].status).toEqual({
      success: false,
      message: 'The request path may not contain encoded dots, slashes or backslashes (%2e, %2f, %5c).',
      process: null,
    });
    expect(innerHits(app.hits)).toEqual([]);
  });

  it('refuses 101 items whole with 413 batch.too_many_operations, and runs none', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const reply = await patch(
      app,
      'masterlist',
      Array.from({ length: 101 }, (_, i) => ({ asin: `A${i}` })),
    );
    expect(reply.status).toBe(413);
    expect(reply.json()).toEqual({
      error: {
        code: 'batch.too_many_operations',
        message: 'A bulk request may carry at most 100 items.',
        part: 101,
        line: null,
        limit: 100,
      },
    });
    expect(innerHits(app.hits)).toEqual([]);
  });

  it('accepts exactly 100 items', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const reply = await patch(
      app,
      'masterlist',
      Array.from({ length: 100 }, (_, i) => ({ asin: `A${i}` })),
    );
    expect(reply.status).toBe(202);
    const done = await waitForJob(app.url, reply.json().batchId);
    expect(done.json().data).toHaveLength(100);
  });

  it('refuses an unknown resource with 404 batch.unknown_resource', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const reply = await patch(app, 'pricelist', [SEED_ITEM]);
    expect(reply.status).toBe(404);
    expect(reply.json()).toEqual({
      error: {
        code: 'batch.unknown_resource',
        message: 'There is no bulk resource "pricelist".',
        part: null,
        line: null,
      },
    });
  });

  it('refuses an empty array with 400 batch.empty and a body that is not an array with 400 batch.malformed', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const empty = await patch(app, 'masterlist', []);
    expect(empty.status).toBe(400);
    expect(empty.json().error).toMatchObject({ code: 'batch.empty', message: 'The batch has no items.' });
    const object = await patch(app, 'masterlist', SEED_ITEM);
    expect(object.status).toBe(400);
    expect(object.json().error).toMatchObject({
      code: 'batch.malformed',
      message: 'A bulk masterlist request is a JSON array of items.',
    });
  });

  it('refuses items that are not sent as JSON with 415', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const reply = await send(app.url, '/process/masterlist', {
      method: 'PATCH',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify([SEED_ITEM]),
    });
    expect(reply.status).toBe(415);
    expect(reply.json().error).toMatchObject({ code: 'batch.unsupported_media_type' });
  });

  it('matches the resource name and the bulk path case-insensitively, as routers do', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const reply = await sendJson(app.url, '/PROCESS/MasterList/', [SEED_ITEM], { method: 'PATCH' });
    expect(reply.status).toBe(202);
    expect((await waitForJob(app.url, reply.json().batchId)).json().status).toBe('SUCCESS');
  });

  it('leaves the bulk path to the app when no resource is configured', async () => {
    app = await startAsyncApp(framework);
    const reply = await patch(app, 'masterlist', [SEED_ITEM]);
    expect(reply.status).toBe(404);
    expect(reply.text).not.toContain('batch.');
  });

  it('serves the bulk items as JSONL, one item per line', async () => {
    app = await startAsyncApp(framework, MASTERLIST);
    const { batchId } = (await patch(app, 'masterlist', [SEED_ITEM, { asin: 'NEW2' }])).json();
    const done = (await waitForJob(app.url, batchId)).json();
    const jsonl = await send(app.url, `/batch/${batchId}/jsonl`);
    expect(jsonl.status).toBe(200);
    expect(
      jsonl.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(done.data);
  });
});
