import type { RequestListener } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { FRAMEWORKS, listen } from '../support/apps.js';
import { send, sendJsonBatch } from '../support/http.js';
import { startAsyncApp, type AsyncApp } from './apps.js';
import { innerHits, sendJson, waitForJob } from './helpers.js';

const NESTED = {
  code: 'batch.part.nested',
  message: 'An operation may not target the batch endpoint (no nested batches).',
};

async function finishedJob(app: AsyncApp): Promise<string> {
  const { uuid } = (
    await sendJson(app.url, '/batch', {
      batch: { operations: [{ operationId: 'a', method: 'GET', endpoint: '/items/1' }] },
    })
  ).json();
  await waitForJob(app.url, uuid);
  return uuid;
}

describe.each(FRAMEWORKS)('the async routes on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });

  it('matches the job routes as routers do: any case, trailing slash ignored', async () => {
    app = await startAsyncApp(framework);
    const uuid = await finishedJob(app);
    const limits = await send(app.url, '/BATCH/Limits/');
    expect(limits.status).toBe(200);
    expect(limits.json().limits.maxLoadScore).toBe(100);
    const status = await send(app.url, `/Batch/${uuid.toUpperCase()}/`);
    expect(status.status).toBe(200);
    expect(status.json().uuid).toBe(uuid);
    expect((await send(app.url, `/batch/${uuid}/JSONL`)).status).toBe(200);
  });

  it('answers HEAD on the status like GET, without a body', async () => {
    app = await startAsyncApp(framework);
    const uuid = await finishedJob(app);
    const reply = await send(app.url, `/batch/${uuid}`, { method: 'HEAD' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.body).toHaveLength(0);
  });

  it('passes other methods and other paths under the batch path through to the app', async () => {
    app = await startAsyncApp(framework);
    const uuid = await finishedJob(app);
    for (const [method, path] of [
      ['POST', `/batch/${uuid}`],
      ['PUT', `/batch/${uuid}`],
      ['GET', `/batch/${uuid}/other`],
      ['POST', '/batch/limits'],
      ['GET', `/batch/${uuid}/jsonl/x`],
    ] as const) {
      const reply = await send(app.url, path, { method });
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(reply.text, `${method} ${path}`).not.toContain('batch.');
    }
  });

  it('still answers GET /batch with 405 and Allow: POST', async () => {
    app = await startAsyncApp(framework);
    const reply = await send(app.url, '/batch');
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('POST');
    expect(reply.json().error.code).toBe('batch.method_not_allowed');
  });

  it('refuses inner requests to every job route and to the bulk endpoint in their slots', async () => {
    app = await startAsyncApp(framework, { bulk: { masterlist: { method: 'PUT', url: '/v2/masterlist/{asin}' } } });
    const uuid = await finishedJob(app);
    const before = innerHits(app.hits).length;
    const reply = await sendJsonBatch(app.url, [
      { id: 'limits', method: 'GET', url: '/batch/limits' },
      { id: 'status', method: 'GET', url: `/batch/${uuid}` },
      { id: 'cancel', method: 'DELETE', url: `/batch/${uuid}` },
      { id: 'file', method: 'GET', url: `/batch/${uuid}/gz` },
      { id: 'bulk', method: 'PATCH', url: '/PROCESS/masterlist', body: [{ asin: 'A' }] },
      { id: 'submit', method: 'POST', url: '/batch', body: { batch: { operations: [] } } },
    ]);
    expect(reply.status).toBe(200);
    for (const response of reply.responses) {
      expect(response.status, response.id).toBe(400);
      expect(response.body.error, response.id).toMatchObject(NESTED);
    }
    expect(innerHits(app.hits).slice(before)).toEqual([]);
  });

  it('refuses an async submit from inside an operations job', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (
      await sendJson(app.url, '/batch', {
        batch: {
          operations: [
            {
              operationId: 'inner-submit',
              method: 'POST',
              endpoint: '/batch',
              body: { batch: { operations: [{ operationId: 'x', method: 'GET', endpoint: '/items/1' }] } },
            },
          ],
        },
      })
    ).json();
    const doc = (await waitForJob(app.url, uuid)).json();
    expect(doc.responses[0].statusCode).toBe(400);
    expect(JSON.parse(doc.responses[0].body).error).toMatchObject(NESTED);
  });
});

/** An app whose middleware rewrites `/alias/*` onto the batch routes before batch() sees them. */
function aliasing(framework: (typeof FRAMEWORKS)[number]): RequestListener {
  const rewrite = (url: string) => url.replace(/^\/alias\//, '/batch/');
  if (framework === 'express5' || framework === 'express4') {
    const app = (framework === 'express5' ? express5 : express4)();
    app.use((req, _res, next) => {
      req.url = rewrite(req.url);
      next();
    });
    app.use(expressBatch());
    return app;
  }
  const app = new Koa();
  app.use(async (ctx, next) => {
    ctx.url = rewrite(ctx.url);
    await next();
  });
  app.use(koaBatch());
  const handle = app.callback();
  return (req, res) => void handle(req, res);
}

describe.each(FRAMEWORKS)('the inner-request mark on the async routes, on %s', (framework) => {
  let server: Awaited<ReturnType<typeof listen>>;
  afterEach(async () => {
    await server.close();
  });

  it('refuses an inner request that an app rewrite routes to GET /batch/limits', async () => {
    server = await listen(aliasing(framework));
    const reply = await sendJsonBatch(server.url, [{ id: 'alias', method: 'GET', url: '/alias/limits' }]);
    expect(reply.responses[0]).toMatchObject({ status: 400, body: { error: NESTED } });
  });
});

describe.each([
  ['express5', express5],
  ['express4', express4],
] as const)('mounting the async routes in a sub-app on %s', (_name, express) => {
  let server: Awaited<ReturnType<typeof listen>>;
  afterEach(async () => {
    await server.close();
  });

  it('points Location and the links at the mounted path', async () => {
    const root = express();
    const api = express();
    api.use(expressBatch({ bulk: { masterlist: { method: 'GET', url: '/api/items/{asin}' } }, oneJobPerOwner: false }));
    api.get('/items/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    root.use('/api', api);
    server = await listen(root);
    const submit = await sendJsonBatch(server.url, [{ id: 'a', method: 'GET', url: '/api/items/1' }], {
      path: '/api/batch',
      headers: { prefer: 'respond-async' },
    });
    expect(submit.status).toBe(202);
    const { uuid } = submit.json();
    expect(submit.headers.location).toBe(`/api/batch/${uuid}`);
    const status = await waitForJob(server.url, uuid, { path: '/api/batch' });
    expect(status.json().result).toBe(`/api/batch/${uuid}/result`);
    const bulk = await sendJson(server.url, '/api/process/masterlist', [{ asin: 'B' }], { method: 'PATCH' });
    expect(bulk.status).toBe(202);
    expect(bulk.headers.location).toBe(`/api/batch/${bulk.json().batchId}`);
    const done = await waitForJob(server.url, bulk.json().batchId, { path: '/api/batch' });
    expect(done.json().status).toBe('SUCCESS');
  });
});
