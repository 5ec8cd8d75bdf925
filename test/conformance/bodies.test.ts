import type { RequestListener } from 'node:http';
import koaBody from '@koa/bodyparser';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import bodyParser from 'koa-bodyparser';
import { afterEach, describe, expect, it } from 'vitest';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { listen } from '../support/apps.js';
import { sendBatch, sendJsonBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

type Listening = Awaited<ReturnType<typeof listen>>;

const batchWithPost = buildBatch([
  { method: 'GET', url: '/items/1' },
  { method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, body: '{"n":1}' },
]);

const jsonRequests = [
  { id: 'get', method: 'GET', url: '/items/1' },
  { id: 'post', method: 'POST', url: '/echo', body: { n: 1 } },
];

async function expectJsonBatchWorks(server: Listening) {
  const reply = await sendJsonBatch(server.url, jsonRequests);
  expect(reply.status).toBe(200);
  expect(reply.responses.map((response) => [response.id, response.status, response.body])).toEqual([
    ['get', 200, { id: '1' }],
    ['post', 201, { body: { n: 1 } }],
  ]);
}

async function expectBatchWorks(server: Listening) {
  const reply = await sendBatch(server.url, batchWithPost);
  expect(reply.status).toBe(200);
  expect(reply.parts.map((part) => part.status)).toEqual([200, 201]);
  expect(reply.parts[1]?.json()).toEqual({ body: { n: 1 } });
}

describe.each([
  ['express5', express5],
  ['express4', express4],
] as const)('body parsers mounted before batch() on %s', (_name, express) => {
  let server: Listening;
  afterEach(async () => {
    await server.close();
  });

  const appWith = (...parsers: express5.RequestHandler[]) => {
    const app = express();
    app.use(...parsers);
    app.use(expressBatch());
    app.get('/items/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    app.post('/echo', express.json(), (req, res) => {
      res.status(201).json({ body: req.body });
    });
    return app;
  };

  it('works with app-wide express.json() and express.urlencoded() before it, and a route parser after them', async () => {
    server = await listen(appWith(express.json(), express.urlencoded({ extended: false })));
    await expectBatchWorks(server);
  });

  it('takes a JSON batch that express.json() before it already parsed', async () => {
    server = await listen(appWith(express.json()));
    await expectJsonBatchWorks(server);
  });

  it('works with express.raw() for multipart/mixed before it, using the bytes it captured', async () => {
    server = await listen(appWith(express.raw({ type: 'multipart/mixed' })));
    await expectBatchWorks(server);
  });

  it('works with express.text() for multipart/mixed before it, using the text it captured', async () => {
    server = await listen(appWith(express.text({ type: 'multipart/mixed' })));
    await expectBatchWorks(server);
  });

  it('answers 500 batch.body_unavailable when a middleware consumed the body and kept nothing', async () => {
    const drain: express5.RequestHandler = (req, _res, next) => {
      req.resume();
      req.on('end', () => next());
    };
    server = await listen(appWith(drain));
    const reply = await sendBatch(server.url, batchWithPost);
    expect(reply.status).toBe(500);
    expect(reply.json().error).toMatchObject({ code: 'batch.body_unavailable' });
  });
});

describe.each([
  ['koa3', Koa3],
  ['koa2', Koa2],
] as const)('body parsers mounted before batch() on %s', (_name, Koa) => {
  let server: Listening;
  afterEach(async () => {
    await server.close();
  });

  const appWith = (parser: Koa3.Middleware) => {
    const app = new Koa();
    app.use(parser);
    app.use(koaBatch());
    app.use(async (ctx, next) => {
      if (ctx.path.startsWith('/items/')) ctx.body = { id: ctx.path.slice('/items/'.length) };
      else if (ctx.path === '/echo') {
        ctx.status = 201;
        ctx.body = { body: ctx.request.body };
      } else await next();
    });
    const handle = app.callback();
    const listener: RequestListener = (req, res) => void handle(req, res);
    return listener;
  };

  it('works with koa-bodyparser before it (it leaves multipart unread)', async () => {
    server = await listen(appWith(bodyParser()));
    await expectBatchWorks(server);
  });

  it('works with koa-bodyparser reading multipart/mixed as text, using the raw body it kept', async () => {
    server = await listen(
      appWith(bodyParser({ enableTypes: ['json', 'text'], extendTypes: { text: ['multipart/mixed'] } })),
    );
    await expectBatchWorks(server);
  });

  it('works with @koa/bodyparser before it', async () => {
    server = await listen(appWith(koaBody()));
    await expectBatchWorks(server);
  });

  it('takes a JSON batch that koa-bodyparser before it already read', async () => {
    server = await listen(appWith(bodyParser()));
    await expectJsonBatchWorks(server);
  });

  it('takes a JSON batch that @koa/bodyparser before it already read', async () => {
    server = await listen(appWith(koaBody()));
    await expectJsonBatchWorks(server);
  });
});
