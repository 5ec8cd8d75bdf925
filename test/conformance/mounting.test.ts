import type { RequestListener } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { listen } from '../support/apps.js';
import { sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

type Listening = Awaited<ReturnType<typeof listen>>;

describe.each([
  ['express5', express5],
  ['express4', express4],
] as const)('mounting on %s', (_name, express) => {
  let server: Listening;
  afterEach(async () => {
    await server.close();
  });

  it('dispatches from the root app when batch() is mounted in a sub-app: inner URLs are paths from the host root', async () => {
    const root = express();
    const api = express();
    api.use(expressBatch());
    api.get('/items/:id', (req, res) => {
      res.json({ from: 'api', id: req.params.id });
    });
    root.get('/health', (_req, res) => {
      res.json({ from: 'root' });
    });
    root.use('/api', api);
    server = await listen(root);
    const reply = await sendBatch(
      server.url,
      buildBatch([
        { method: 'GET', url: '/health' },
        { method: 'GET', url: '/api/items/4' },
        { method: 'POST', url: '/api/batch' },
      ]),
      { path: '/api/batch' },
    );
    expect(reply.status).toBe(200);
    expect(reply.parts.map((part) => part.json())).toEqual([
      { from: 'root' },
      { from: 'api', id: '4' },
      expect.objectContaining({ error: expect.objectContaining({ code: 'batch.part.nested' }) }),
    ]);
  });

  it('dispatches from the root app when batch() is mounted in a router', async () => {
    const app = express();
    const router = express.Router();
    router.use(expressBatch({ path: '/bulk' }));
    app.get('/items/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    app.use('/v1', router);
    server = await listen(app);
    const reply = await sendBatch(server.url, buildBatch([{ method: 'GET', url: '/items/9' }]), { path: '/v1/bulk' });
    expect(reply.parts[0]?.json()).toEqual({ id: '9' });
  });

  it('serves the endpoint at the `path` option and lets /batch pass through', async () => {
    const app = express();
    app.use(expressBatch({ path: '/$batch' }));
    app.post('/batch', (_req, res) => {
      res.json({ route: 'app' });
    });
    app.get('/items/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    server = await listen(app);
    const reply = await sendBatch(server.url, buildBatch([{ method: 'GET', url: '/items/1' }]), { path: '/$batch' });
    expect(reply.parts[0]?.json()).toEqual({ id: '1' });
    const passthrough = await sendBatch(server.url, buildBatch([{ method: 'GET', url: '/items/1' }]));
    expect(passthrough.json()).toEqual({ route: 'app' });
  });

  it('throws a TypeError naming the option at mount time for a bad option', () => {
    expect(() => expressBatch({ maxOperations: 0 })).toThrow(
      new TypeError('inbatch: option "maxOperations" must be a positive integer, got 0'),
    );
    expect(() => expressBatch({ path: 'batch' })).toThrow(/option "path"/);
  });
});

describe('mounting on koa', () => {
  let server: Listening;
  afterEach(async () => {
    await server.close();
  });

  it('serves the endpoint at the `path` option and includes middleware added after the first batch', async () => {
    const app = new Koa();
    app.use(koaBatch({ path: '/api/batch' }));
    app.use(async (ctx, next) => {
      if (ctx.path === '/first') ctx.body = { n: 1 };
      else await next();
    });
    const handle = app.callback();
    const listener: RequestListener = (req, res) => void handle(req, res);
    server = await listen(listener);
    const first = await sendBatch(server.url, buildBatch([{ method: 'GET', url: '/first' }]), { path: '/api/batch' });
    expect(first.parts[0]?.json()).toEqual({ n: 1 });
    app.use((ctx) => {
      if (ctx.path === '/second') ctx.body = { n: 2 };
    });
    const second = await sendBatch(server.url, buildBatch([{ method: 'GET', url: '/second' }]), { path: '/api/batch' });
    expect(second.parts[0]?.json()).toEqual({ n: 2 });
  });
});
