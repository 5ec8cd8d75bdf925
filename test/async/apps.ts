/**
 * The async suite's test API, on Express 4/5 and Koa 2/3: the seeds' resources (products,
 * the bulk masterlist), a route that waits on a gate the test opens (to hold a job
 * running), and a route that needs the outer credentials (never echoing them).
 */
import type { IncomingHttpHeaders, RequestListener } from 'node:http';
import Router from '@koa/router';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import bodyParser from 'koa-bodyparser';
import type { BatchOptions } from '@inbatch/core';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { listen, type Framework } from '../support/apps.js';
import { redisReachable, testRedisStore } from '../support/redis.js';

/**
 * The store the async suite runs on: the memory store (the default), or, in the vitest
 * project `redis`, a Redis store with a fresh prefix per app — one contract suite, two stores.
 */
export const STORE_UNDER_TEST = process.env.INBATCH_TEST_STORE === 'redis' ? 'redis' : 'memory';

/** The bearer token the `/private` route wants; tests check it never shows up anywhere. */
export const SECRET_TOKEN = 's3cret-token-7f1c';
/** A cookie value that must never show up in a status document or a file. */
export const SECRET_COOKIE = 'sid=c00kie-9a2e';

/** Gates a test opens to let a held operation answer. */
export class Gates {
  private readonly waiting = new Map<string, { promise: Promise<void>; open: () => void }>();

  private gate(name: string) {
    let gate = this.waiting.get(name);
    if (gate === undefined) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = { promise, open };
      this.waiting.set(name, gate);
    }
    return gate;
  }

  wait(name: string): Promise<void> {
    return this.gate(name).promise;
  }

  open(name: string): void {
    this.gate(name).open();
  }

  /** Opens every gate, so no handler stays pending after a test. */
  openAll(): void {
    for (const gate of this.waiting.values()) gate.open();
  }
}

export interface AsyncApp {
  framework: Framework;
  url: string;
  /** `METHOD url` of every request the app saw, outer and inner. */
  hits: string[];
  gates: Gates;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
}

/** The masterlist rule of the bulk seed: `FAIL…` items are refused, `NEW…` ones created, the rest updated. */
function masterlist(asin: string, body: unknown): Answer {
  if (asin.startsWith('FAIL')) return { status: 422, body: { message: `percACoS of ${asin} must be positive` } };
  if (asin.startsWith('NEW')) return { status: 201, body: { message: 'created', asin, item: body } };
  return { status: 200, body: { message: 'successfully', asin, item: body } };
}

/** The batch-level headers an inner request might have inherited. */
function batchHeaders(headers: IncomingHttpHeaders) {
  return {
    prefer: headers.prefer ?? null,
    idempotencyKey: headers['idempotency-key'] ?? null,
    custom: headers['x-tenant'] ?? null,
  };
}

function privateRoute(authorization: string | undefined): Answer {
  return authorization === `Bearer ${SECRET_TOKEN}`
    ? { status: 200, body: { ok: true } }
    : { status: 401, body: { message: 'unauthorized' } };
}

function expressAsyncApp(flavor: 'express5' | 'express4', hits: string[], gates: Gates, options: BatchOptions) {
  const express = flavor === 'express5' ? express5 : express4;
  const app = express();
  app.use((req, _res, next) => {
    hits.push(`${req.method} ${req.url}`);
    next();
  });
  app.use(expressBatch(options));
  app.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.get('/v1/products', (req, res) => {
    res.json({ page: req.query.page ?? null, perPage: req.query.perPage ?? null });
  });
  app.post('/v1/products', express.json(), (req, res) => {
    res.status(201).json({ created: req.body });
  });
  app.put('/v2/masterlist/:asin', express.json(), (req, res) => {
    const answer = masterlist(req.params.asin, req.body);
    res.status(answer.status).json(answer.body);
  });
  app.get('/gate/:name', async (req, res) => {
    await gates.wait(req.params.name);
    res.json({ gate: req.params.name });
  });
  app.post('/gate/:name', async (req, res) => {
    await gates.wait(req.params.name);
    res.status(201).json({ gate: req.params.name });
  });
  app.get('/private', (req, res) => {
    const answer = privateRoute(req.get('authorization'));
    res.status(answer.status).json(answer.body);
  });
  app.get('/fail', (_req, res) => {
    res.status(500).json({ message: 'route failed' });
  });
  app.get('/batch-headers', (req, res) => {
    res.json(batchHeaders(req.headers));
  });
  return app;
}

function koaAsyncApp(flavor: 'koa3' | 'koa2', hits: string[], gates: Gates, options: BatchOptions) {
  const Koa = flavor === 'koa3' ? Koa3 : Koa2;
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx, next) => {
    hits.push(`${ctx.method} ${ctx.url}`);
    await next();
  });
  app.use(koaBatch(options));
  const router = new Router();
  router.get('/items/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  router.get('/v1/products', (ctx) => {
    ctx.body = { page: ctx.query.page ?? null, perPage: ctx.query.perPage ?? null };
  });
  router.post('/v1/products', bodyParser(), (ctx) => {
    ctx.status = 201;
    ctx.body = { created: ctx.request.body };
  });
  router.put('/v2/masterlist/:asin', bodyParser(), (ctx) => {
    const answer = masterlist(ctx.params.asin as string, ctx.request.body);
    ctx.status = answer.status;
    ctx.body = answer.body;
  });
  router.get('/gate/:name', async (ctx) => {
    await gates.wait(ctx.params.name as string);
    ctx.body = { gate: ctx.params.name };
  });
  router.post('/gate/:name', async (ctx) => {
    await gates.wait(ctx.params.name as string);
    ctx.status = 201;
    ctx.body = { gate: ctx.params.name };
  });
  router.get('/private', (ctx) => {
    const answer = privateRoute(ctx.get('authorization') || undefined);
    ctx.status = answer.status;
    ctx.body = answer.body;
  });
  router.get('/fail', (ctx) => {
    ctx.status = 500;
    ctx.body = { message: 'route failed' };
  });
  router.get('/batch-headers', (ctx) => {
    ctx.body = batchHeaders(ctx.headers);
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/** The async test API on one framework, listening on 127.0.0.1. */
export async function startAsyncApp(framework: Framework, given: BatchOptions = {}): Promise<AsyncApp> {
  const hits: string[] = [];
  const gates = new Gates();
  const store =
    given.store === undefined && STORE_UNDER_TEST === 'redis' && (await redisReachable())
      ? testRedisStore()
      : undefined;
  const options: BatchOptions = store === undefined ? given : { ...given, store };
  let listener: RequestListener;
  if (framework === 'express5' || framework === 'express4') {
    listener = expressAsyncApp(framework, hits, gates, options);
  } else {
    const handle = koaAsyncApp(framework, hits, gates, options).callback();
    listener = (req, res) => void handle(req, res);
  }
  const listening = await listen(listener);
  return {
    framework,
    url: listening.url,
    hits,
    gates,
    close: async () => {
      gates.openAll();
      await listening.close();
      await store?.close();
    },
  };
}
