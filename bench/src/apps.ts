import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import Router from '@koa/router';
import type { BatchOptions } from '@inbatch/core';
import { batch as expressBatchEndpoint } from '@inbatch/express';
import { batch as koaBatchEndpoint } from '@inbatch/koa';
import express, { type Express } from 'express';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { mountExpressPeers } from './peers.js';
import { BLOB_TEXT, IO_DELAY_MS, createdAnswer, itemAnswer } from './scenarios.js';

export type Framework = 'express' | 'koa' | 'fastify' | 'hono';

/**
 * A second batch endpoint on every app, on the reference dispatcher (light-my-request):
 * the "before" of the fast dispatcher, measured interleaved with it in the same process.
 */
export const REFERENCE_BATCH_PATH = '/batch-lmr';

function referenceOptions(batchOptions: BatchOptions): BatchOptions {
  return { ...batchOptions, path: REFERENCE_BATCH_PATH, dispatcher: 'light-my-request' };
}

/**
 * The benchmark API on Express 5. Every contender of a run — floors, direct HTTP, our
 * batch endpoint and the peers — goes through this one app object, so they all pay for
 * the same middleware stack (our `batch()` path check, the peers' route layers).
 */
export function createExpressApp(batchOptions: BatchOptions): Express {
  const app = express();
  // Mounted first, as the README says: batch() must run before any body parser.
  app.use(expressBatchEndpoint(batchOptions));
  app.use(expressBatchEndpoint(referenceOptions(batchOptions)));
  mountExpressPeers(app);
  app.get('/items/:id', (req, res) => {
    res.json(itemAnswer(req.params.id));
  });
  // Route-level parser: GETs never pay for it, as in a typical API.
  app.post('/items', express.json({ limit: '1mb' }), (req, res) => {
    res.status(201).json(createdAnswer(req.body));
  });
  app.get('/io/:id', async (req, res) => {
    await delay(IO_DELAY_MS);
    res.json(itemAnswer(req.params.id));
  });
  app.get('/blob/:id', (_req, res) => {
    res.type('text/plain').send(BLOB_TEXT);
  });
  return app;
}

/** The same API on Koa 3 with @koa/router. */
export function createKoaApp(batchOptions: BatchOptions): Koa {
  const app = new Koa();
  app.silent = true;
  app.use(koaBatchEndpoint(batchOptions));
  app.use(koaBatchEndpoint(referenceOptions(batchOptions)));
  const router = new Router();
  router.get('/items/:id', (ctx) => {
    ctx.body = itemAnswer(ctx.params.id ?? '');
  });
  router.post('/items', bodyParser({ jsonLimit: '1mb' }), (ctx) => {
    ctx.status = 201;
    ctx.body = createdAnswer(ctx.request.body);
  });
  router.get('/io/:id', async (ctx) => {
    await delay(IO_DELAY_MS);
    ctx.body = itemAnswer(ctx.params.id ?? '');
  });
  router.get('/blob/:id', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = BLOB_TEXT;
  });
  app.use(router.routes());
  return app;
}

/** A node:http request listener for the Express or Koa app. */
export function nodeHandler(framework: 'express' | 'koa', app: Express | Koa): RequestListener {
  if (framework === 'express') return app as Express;
  // Koa's listener returns a promise that never rejects (its errors go to ctx.onerror).
  const callback = (app as Koa).callback();
  return (req, res) => {
    void callback(req, res);
  };
}

export interface Listening {
  server: Server;
  port: number;
}

/** Listens on 127.0.0.1 with settings that keep keep-alive connections open for the whole run. */
export function listen(handler: RequestListener): Promise<Listening> {
  // 64 KiB of headers: express-batch and multifetch carry 1000 requests in the query string
  // (~15 KB), right at Node's 16 KiB default; the limit is raised so they are not refused.
  const server = createServer({ maxHeaderSize: 64 * 1024 }, handler);
  // Rotations of slow peers take seconds; an idle keep-alive socket must survive them.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}
