// What the README's mount-order advice promises, on Express 4/5 and Koa 2/3 with the
// common body parsers mounted before batch(): a JSON batch is read from what the parser
// left, the parser's own limit applies first, and ours still holds after it.
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
import type { BatchOptions } from '@inbatch/core';
import { listen } from '../support/apps.js';
import { send, sendBatch, sendJsonBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

type Listening = Awaited<ReturnType<typeof listen>>;

/** A JSON batch of one POST whose body is about `bytes` long. */
const jsonBatchOf = (bytes: number) => [{ id: 'big', method: 'POST', url: '/echo', body: { pad: 'x'.repeat(bytes) } }];

const multipart = buildBatch([{ method: 'GET', url: '/items/1' }]);

let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe.each([
  ['express5', express5],
  ['express4', express4],
] as const)('mount order on %s', (_name, express) => {
  const appWith = (parsers: express5.RequestHandler[], options: BatchOptions = {}) => {
    const app = express();
    app.use(...parsers);
    app.use(expressBatch(options));
    app.get('/items/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    app.post('/echo', express.json({ limit: '10mb' }), (req, res) => {
      res.status(201).json({ size: JSON.stringify(req.body).length });
    });
    return app;
  };

  it('takes JSON and multipart batches with express.text() (its defaults) before batch()', async () => {
    server = await listen(appWith([express.text()]));
    expect((await sendBatch(server.url, multipart)).parts.map((part) => part.status)).toEqual([200]);
    const reply = await sendJsonBatch(server.url, jsonBatchOf(10));
    expect(reply.responses.map((response) => response.status)).toEqual([201]);
  });

  it("leaves a JSON batch over express.json()'s own limit (100 kB) to its 413", async () => {
    server = await listen(appWith([express.json()]));
    const reply = await sendJsonBatch(server.url, jsonBatchOf(150_000));
    expect(reply.status).toBe(413);
    // body-parser's error, rendered by Express's final handler: not ours.
    expect(reply.text).not.toContain('batch.too_large');
  });

  it('still refuses a parsed JSON batch over maxBodyBytes, saying a parser read it first', async () => {
    server = await listen(appWith([express.json({ limit: '10mb' })], { maxBodyBytes: 50_000 }));
    const reply = await sendJsonBatch(server.url, jsonBatchOf(100_000));
    expect(reply.status).toBe(413);
    expect(reply.json().error).toMatchObject({ code: 'batch.too_large', limit: 50_000 });
    expect(reply.json().error.message).toContain('already parsed by a body parser mounted before batch()');
  });

  it('takes the same batch under maxBodyBytes when the parser allows it', async () => {
    server = await listen(appWith([express.json({ limit: '10mb' })]));
    const reply = await sendJsonBatch(server.url, jsonBatchOf(150_000));
    expect(reply.responses.map((response) => response.status)).toEqual([201]);
  });

  it('is never reached when mounted after a catch-all (the pitfall the README warns of)', async () => {
    const app = express();
    app.use((_req, res) => {
      res.status(404).json({ error: 'not found' });
    });
    app.use(expressBatch());
    server = await listen(app);
    const reply = await sendBatch(server.url, multipart);
    expect([reply.status, reply.json()]).toEqual([404, { error: 'not found' }]);
  });
});

describe.each([
  ['koa3', Koa3],
  ['koa2', Koa2],
] as const)('mount order on %s', (_name, Koa) => {
  const appWith = (parser: Koa3.Middleware, options: BatchOptions = {}) => {
    const app = new Koa();
    app.use(parser);
    app.use(koaBatch(options));
    app.use(async (ctx, next) => {
      if (ctx.path.startsWith('/items/')) ctx.body = { id: ctx.path.slice('/items/'.length) };
      else if (ctx.path === '/echo') {
        ctx.status = 201;
        ctx.body = { size: JSON.stringify(ctx.request.body).length };
      } else await next();
    });
    const handle = app.callback();
    const listener: RequestListener = (req, res) => void handle(req, res);
    return listener;
  };

  describe.each([
    ['koa-bodyparser', (limit?: string) => bodyParser(limit === undefined ? {} : { jsonLimit: limit })],
    ['@koa/bodyparser', (limit?: string) => koaBody(limit === undefined ? {} : { jsonLimit: limit })],
  ] as const)('with %s before batch()', (_parser, parser) => {
    it('takes JSON and multipart batches', async () => {
      server = await listen(appWith(parser()));
      expect((await sendBatch(server.url, multipart)).parts.map((part) => part.status)).toEqual([200]);
      const reply = await sendJsonBatch(server.url, jsonBatchOf(10));
      expect(reply.responses.map((response) => response.status)).toEqual([201]);
    });

    it("leaves a JSON batch over the parser's own limit (1 MB) to its 413", async () => {
      server = await listen(appWith(parser()));
      const reply = await sendJsonBatch(server.url, jsonBatchOf(1_200_000));
      expect(reply.status).toBe(413);
      expect(reply.text).not.toContain('batch.too_large');
    });

    it('still refuses a JSON batch over maxBodyBytes with our error', async () => {
      server = await listen(appWith(parser('10mb'), { maxBodyBytes: 50_000 }));
      const reply = await sendJsonBatch(server.url, jsonBatchOf(100_000));
      expect(reply.status).toBe(413);
      expect(reply.json().error).toMatchObject({ code: 'batch.too_large', limit: 50_000 });
    });
  });
});

describe.each([
  ['express5', () => express5().use(expressBatch())],
  ['express4', () => express4().use(expressBatch())],
  ['koa3', () => new Koa3().use(koaBatch()).callback()],
  ['koa2', () => new Koa2().use(koaBatch()).callback()],
] as const)('a wrong Content-Type on %s', (_name, makeApp) => {
  it('is refused with 415, saying what was received', async () => {
    server = await listen(makeApp() as RequestListener);
    const reply = await send(server.url, '/batch', {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'hello',
    });
    expect(reply.status).toBe(415);
    expect(reply.json().error).toMatchObject({
      code: 'batch.unsupported_media_type',
      message:
        'Send the batch as multipart/mixed; boundary=… or as application/json (got Content-Type "text/plain; charset=utf-8").',
    });
  });

  it('says when no Content-Type was sent', async () => {
    server = await listen(makeApp() as RequestListener);
    const reply = await send(server.url, '/batch', { method: 'POST', body: 'hello' });
    expect(reply.json().error.message).toContain('(got no Content-Type)');
  });
});
