import { afterEach, describe, expect, it } from 'vitest';
import type { BatchOptions } from '@inbatch/core';
import { FRAMEWORKS } from '../support/apps.js';
import { send, sendBatch, sendJsonBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';
import { startAsyncApp, type AsyncApp } from './apps.js';
import { innerHits, sendJson, waitForJob } from './helpers.js';

// The operations seed's /limits example, plus a rule for the test app's products.
const SCORES: BatchOptions = {
  loadScores: [
    { endpoint: '/v1/areas/activityLimits/{id}', loadScore: 1, method: 'delete' },
    { endpoint: '/v1/areas/activityLimits/{id}', loadScore: 2, method: 'get' },
    { endpoint: '/v1/areas/activityLimits/{id}', loadScore: 2, method: 'put' },
    { endpoint: '/v1/products', loadScore: 30, method: 'get' },
  ],
  maxLoadScore: 100,
};

function operations(count: number, endpoint = '/v1/products') {
  return {
    batch: {
      operations: Array.from({ length: count }, (_, i) => ({ operationId: `op${i}`, method: 'GET', endpoint })),
    },
  };
}

describe.each(FRAMEWORKS)('load scores and query caps on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });

  it("publishes the scores at GET /batch/limits in the seed's shape", async () => {
    app = await startAsyncApp(framework, { ...SCORES, queryCaps: { perPage: 100 } });
    const reply = await send(app.url, '/batch/limits');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.json()).toEqual({
      limits: {
        defaultLoadScore: 0,
        endpoints: [
          { endpoint: '/v1/areas/activityLimits/{id}', loadScore: 1, method: 'delete' },
          { endpoint: '/v1/areas/activityLimits/{id}', loadScore: 2, method: 'get' },
          { endpoint: '/v1/areas/activityLimits/{id}', loadScore: 2, method: 'put' },
          { endpoint: '/v1/products', loadScore: 30, method: 'get' },
        ],
        maxLoadScore: 100,
        queryCaps: { perPage: 100 },
      },
    });
    expect(Object.keys(reply.json().limits.endpoints[0])).toEqual(['endpoint', 'loadScore', 'method']);
  });

  it('publishes the defaults when nothing is configured', async () => {
    app = await startAsyncApp(framework);
    const reply = await send(app.url, '/batch/limits');
    expect(reply.json()).toEqual({ limits: { defaultLoadScore: 0, endpoints: [], maxLoadScore: 100, queryCaps: {} } });
  });

  it('refuses an operations batch over the budget whole with 413 batch.cost_exceeded, stating total and maximum', async () => {
    app = await startAsyncApp(framework, SCORES);
    const reply = await sendJson(app.url, '/batch', operations(4));
    expect(reply.status).toBe(413);
    expect(reply.json()).toEqual({
      error: {
        code: 'batch.cost_exceeded',
        message: "The batch's load score is 120; the maximum is 100 (see GET /batch/limits).",
        part: null,
        line: null,
        limit: 100,
      },
    });
    expect(innerHits(app.hits)).toEqual([]);
  });

  it('accepts a batch exactly at the budget', async () => {
    app = await startAsyncApp(framework, { ...SCORES, maxLoadScore: 90 });
    const reply = await sendJson(app.url, '/batch', operations(3));
    expect(reply.status).toBe(201);
    expect((await waitForJob(app.url, reply.json().uuid)).json().status).toBe('finished');
  });

  it('scores a {param} segment, the method and the case as routers match them', async () => {
    app = await startAsyncApp(framework, { ...SCORES, maxLoadScore: 5 });
    const over = await sendJson(app.url, '/batch', {
      batch: {
        operations: ['7', '8', '9'].map((id) => ({
          operationId: id,
          method: 'GET',
          endpoint: `/V1/areas/ACTIVITYLIMITS/${id}/`,
        })),
      },
    });
    expect(over.status).toBe(413);
    expect(over.json().error.message).toBe("The batch's load score is 6; the maximum is 5 (see GET /batch/limits).");
  });

  it('applies the same budget to a sync json batch', async () => {
    app = await startAsyncApp(framework, SCORES);
    const reply = await sendJsonBatch(
      app.url,
      Array.from({ length: 4 }, (_, i) => ({ id: String(i), method: 'GET', url: '/v1/products' })),
    );
    expect(reply.status).toBe(413);
    expect(reply.json().error).toMatchObject({ code: 'batch.cost_exceeded', limit: 100 });
    expect(innerHits(app.hits)).toEqual([]);
  });

  it('applies the same budget to a sync multipart batch', async () => {
    app = await startAsyncApp(framework, SCORES);
    const reply = await sendBatch(
      app.url,
      buildBatch(Array.from({ length: 4 }, () => ({ method: 'GET', url: '/v1/products' }))),
    );
    expect(reply.status).toBe(413);
    expect(reply.json().error).toMatchObject({
      code: 'batch.cost_exceeded',
      message: "The batch's load score is 120; the maximum is 100 (see GET /batch/limits).",
    });
    expect(innerHits(app.hits)).toEqual([]);
  });

  it('scores unlisted requests with defaultLoadScore', async () => {
    app = await startAsyncApp(framework, { defaultLoadScore: 1, maxLoadScore: 2 });
    const reply = await sendJson(app.url, '/batch', operations(3, '/items/1'));
    expect(reply.status).toBe(413);
    expect(reply.json().error.message).toBe("The batch's load score is 3; the maximum is 2 (see GET /batch/limits).");
  });

  it('does not score operations refused in their slot (they never run)', async () => {
    app = await startAsyncApp(framework, { defaultLoadScore: 1, maxLoadScore: 1, methods: ['GET'] });
    const reply = await sendJson(app.url, '/batch', {
      batch: {
        operations: [
          { operationId: 'refused', method: 'DELETE', endpoint: '/items/1' },
          { operationId: 'runs', method: 'GET', endpoint: '/items/2' },
        ],
      },
    });
    expect(reply.status).toBe(201);
    const doc = (await waitForJob(app.url, reply.json().uuid)).json();
    expect(doc.responses.map((r: any) => r.statusCode)).toEqual([400, 200]);
  });

  it('refuses perPage over its cap in the slot with 400 batch.part.query_limit, and runs perPage=100', async () => {
    app = await startAsyncApp(framework, { queryCaps: { perPage: 100 } });
    const reply = await sendJson(app.url, '/batch', {
      batch: {
        operations: [
          { operationId: 'ok', method: 'GET', endpoint: '/v1/products?perPage=100' },
          { operationId: 'big', method: 'GET', endpoint: '/v1/products?perPage=101' },
          { operationId: 'sneaky', method: 'GET', endpoint: '/v1/products?perPage=1&per%50age=1e9' },
        ],
      },
    });
    const doc = (await waitForJob(app.url, reply.json().uuid)).json();
    expect(doc.responses.map((r: any) => [r.operationId, r.statusCode])).toEqual([
      ['ok', 200],
      ['big', 400],
      ['sneaky', 400],
    ]);
    expect(JSON.parse(doc.responses[1].body).error).toEqual({
      code: 'batch.part.query_limit',
      message: 'The query parameter "perPage" is limited to 100 inside a batch (got "101").',
      part: 2,
      line: null,
      operationId: 'big',
      limit: 100,
    });
    expect(JSON.parse(doc.responses[0].body)).toEqual({ page: null, perPage: '100' });
    expect(innerHits(app.hits)).toEqual(['GET /v1/products?perPage=100']);
  });

  it('checks the caps after the outer query is inherited', async () => {
    app = await startAsyncApp(framework, { queryCaps: { perPage: 100 } });
    const reply = await sendJsonBatch(app.url, [{ id: 'a', method: 'GET', url: '/v1/products' }], {
      path: '/batch?perPage=500',
    });
    expect(reply.status).toBe(200);
    expect(reply.responses[0]).toMatchObject({ status: 400, body: { error: { code: 'batch.part.query_limit' } } });
  });
});
