/**
 * One app instance in its own process, for the multi-process Redis tests: the same small
 * API on Express 5 or Koa 3 with `batch({ store })` mounted, listening on 127.0.0.1 (or
 * on INBATCH_PORT under node:cluster), printing `{"port":…,"pid":…}` on stdout once it
 * listens. Run as `node --conditions=inbatch-source --import tsx child.ts`.
 *
 * Environment: INBATCH_FRAMEWORK (express | koa), INBATCH_STORE (redis | memory),
 * INBATCH_REDIS_PORT, INBATCH_PREFIX, INBATCH_KEY, INBATCH_LOCK_MS,
 * INBATCH_COMMAND_TIMEOUT_MS, INBATCH_CONCURRENCY (operations of a batch at once),
 * INBATCH_PORT.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import Router from '@koa/router';
import express from 'express';
import { Redis } from 'ioredis';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import type { BatchOptions } from '@inbatch/core';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { redisJobStore, type RedisJobStore } from '@inbatch/redis';
import { appKeys } from './redis.js';

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new TypeError(`test child: ${name} is not set`);
  return value;
}

const framework = env('INBATCH_FRAMEWORK', 'express');
const storeKind = env('INBATCH_STORE', 'redis');
const redisPort = Number(env('INBATCH_REDIS_PORT', '6379'));
const prefix = env('INBATCH_PREFIX');
const pid = String(process.pid);

/** The app's own Redis client: counters and gates, like an app's own data. */
const data = new Redis({ host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: 1 });
data.on('error', () => {});

/** The Redis store, or undefined for batch()'s default memory store (the cluster test's control). */
function createStore(): RedisJobStore | undefined {
  if (storeKind === 'memory') return undefined;
  return redisJobStore({
    connection: { host: '127.0.0.1', port: redisPort },
    prefix,
    key: env('INBATCH_KEY'),
    lockDurationMs: Number(env('INBATCH_LOCK_MS', '2000')),
    commandTimeoutMs: Number(env('INBATCH_COMMAND_TIMEOUT_MS', '2000')),
  });
}

const store = createStore();
const options: BatchOptions = {
  concurrency: Number(env('INBATCH_CONCURRENCY', '4')),
  ...(store === undefined ? {} : { store }),
};

/** Answers once the test sets the gate key; says which instance holds it first. */
async function hold(name: string): Promise<void> {
  await data.lpush(appKeys.holders(prefix, name), pid);
  while ((await data.exists(appKeys.gate(prefix, name))) === 0) await delay(25);
}

/** `POST /v1/products {"name", "hold"?}`: counts each execution of a product's creation in Redis. */
async function createProduct(body: unknown): Promise<{ status: number; body: unknown }> {
  const { name, hold: gate } = (body ?? {}) as { name?: unknown; hold?: unknown };
  if (typeof name !== 'string') return { status: 400, body: { message: 'name must be a string' } };
  const count = await data.incr(appKeys.count(prefix, name));
  if (typeof gate === 'string') await hold(gate);
  return { status: 201, body: { created: name, count, instance: process.pid } };
}

function expressApp(): RequestListener {
  const app = express();
  app.use((_req, res, next) => {
    res.setHeader('x-instance', pid);
    next();
  });
  app.use(expressBatch(options));
  app.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id, instance: process.pid });
  });
  app.post('/v1/products', express.json(), async (req, res) => {
    const answer = await createProduct(req.body);
    res.status(answer.status).json(answer.body);
  });
  app.get('/slow/:ms', async (req, res) => {
    await delay(Number(req.params.ms));
    res.json({ ms: Number(req.params.ms), instance: process.pid });
  });
  app.get('/hold/:name', async (req, res) => {
    await hold(req.params.name);
    res.json({ held: req.params.name, instance: process.pid });
  });
  return app;
}

function koaApp(): RequestListener {
  const app = new Koa();
  app.use(async (ctx, next) => {
    ctx.set('x-instance', pid);
    await next();
  });
  app.use(koaBatch(options));
  const router = new Router();
  router.get('/items/:id', (ctx) => {
    ctx.body = { id: ctx.params.id, instance: process.pid };
  });
  router.post('/v1/products', bodyParser(), async (ctx) => {
    const answer = await createProduct(ctx.request.body);
    ctx.status = answer.status;
    ctx.body = answer.body;
  });
  router.get('/slow/:ms', async (ctx) => {
    await delay(Number(ctx.params.ms));
    ctx.body = { ms: Number(ctx.params.ms), instance: process.pid };
  });
  router.get('/hold/:name', async (ctx) => {
    await hold(ctx.params.name as string);
    ctx.body = { held: ctx.params.name, instance: process.pid };
  });
  app.use(router.routes());
  const handle = app.callback();
  return (req, res) => void handle(req, res);
}

const server = createServer(framework === 'koa' ? koaApp() : expressApp());
server.listen(Number(env('INBATCH_PORT', '0')), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`);
});

// A graceful stop: the store closes its connections and its worker, then the process ends.
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void (async () => {
    await store?.close();
    data.disconnect();
    process.exit(0);
  })();
});
