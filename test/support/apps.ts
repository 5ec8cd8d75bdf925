import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import Router from '@koa/router';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import bodyParser from 'koa-bodyparser';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import type { BatchOptions } from '@inbatch/core';
import { getRequestListener } from '@hono/node-server';
import { fastifyApp } from './apps-fastify.js';
import { honoApp } from './apps-hono.js';
import { nodeApp } from './apps-node.js';

/** Express and Koa, each major: what the security and async suites run on (their own apps). */
export const FRAMEWORKS = ['express5', 'express4', 'koa3', 'koa2'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** Every framework with an adapter: what the conformance suite runs on (the test API of `startApp`). */
export type AnyFramework = Framework | 'fastify5' | 'hono' | 'node';

/**
 * The frameworks the conformance suite runs on. The reference-dispatcher run
 * (INBATCH_DISPATCHER=light-my-request) skips Hono, whose inner requests are fetch
 * `Request`s and never go through a Node dispatcher: that run would repeat the default one.
 */
export const CONFORMANCE_FRAMEWORKS: readonly AnyFramework[] = [
  ...FRAMEWORKS,
  'fastify5',
  ...(process.env.INBATCH_DISPATCHER === 'light-my-request' ? [] : (['hono'] as const)),
  'node',
];

/** What a test app records, so tests can assert what reached the app (and what didn't). */
export interface Recorder {
  /** `METHOD url` of every request the app saw, outer and inner, in arrival order. */
  hits: string[];
  /** Notable events: `closed /never` when a hung handler saw its response close. */
  events: string[];
}

export interface AppOptions {
  batch?: BatchOptions;
  /** Express `trust proxy` / Koa `app.proxy`. */
  trustProxy?: boolean;
}

const EXPRESS = { express5, express4 } as const;
/** Every byte value once: an answer that is not text. */
export const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
let created = 0;
const KOA = { koa3: Koa3, koa2: Koa2 } as const;

function whoami(fields: {
  ip: string | undefined;
  secure: boolean;
  protocol: string;
  hostname: string;
  method: string;
  url: string;
  headers: unknown;
  query: unknown;
}) {
  return fields;
}

/** The test API on Express 4 or 5, with `batch()` mounted before the routes. */
export function expressApp(flavor: 'express5' | 'express4', recorder: Recorder, options: AppOptions = {}) {
  const express = EXPRESS[flavor];
  const app = express();
  if (options.trustProxy) app.set('trust proxy', true);
  app.use((req, _res, next) => {
    recorder.hits.push(`${req.method} ${req.url}`);
    next();
  });
  app.use(expressBatch(options.batch));
  app.get('/whoami', (req, res) => {
    res.json(
      whoami({
        ip: req.ip,
        secure: req.secure,
        protocol: req.protocol,
        hostname: req.hostname,
        method: req.method,
        url: req.url,
        headers: req.headers,
        query: req.query,
      }),
    );
  });
  app.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.post('/echo', express.json(), (req, res) => {
    res.status(201).json({
      body: req.body,
      contentType: req.get('content-type') ?? null,
      contentLength: req.get('content-length') ?? null,
    });
  });
  app.get('/slow/:ms', async (req, res) => {
    await delay(Number(req.params.ms));
    res.json({ ms: Number(req.params.ms) });
  });
  app.get('/never', (req, res) => {
    res.on('close', () => recorder.events.push('closed /never'));
  });
  app.get('/big/:bytes', (req, res) => {
    res.type('text/plain').send('x'.repeat(Number(req.params.bytes)));
  });
  app.get('/stream', async (_req, res) => {
    res.type('text/plain');
    for (const chunk of ['a', 'b', 'c']) {
      res.write(chunk);
      await delay(2);
    }
    res.end();
  });
  app.get('/set-cookie/:name', (req, res) => {
    res.setHeader('Set-Cookie', `${req.params.name}=1; Path=/`);
    res.json({ set: req.params.name });
  });
  app.get('/fail', () => {
    throw new Error('route failed');
  });
  app.get('/admin/secret', (_req, res) => {
    res.json({ secret: true });
  });
  app.post('/items', express.json(), (req, res) => {
    const id = `item-${++created}`;
    res
      .status(201)
      .location(`/items/${id}`)
      .json({ id, ...(req.body as object) });
  });
  app.get('/binary', (_req, res) => {
    res.type('application/octet-stream').send(BINARY);
  });
  app.post('/echo-text', express.text({ type: '*/*' }), (req, res) => {
    res.type('text/plain').send(`${req.get('content-type')}|${String(req.body)}`);
  });
  app.post('/echo-bytes', express.raw({ type: '*/*' }), (req, res) => {
    res.type('application/octet-stream').send(req.body);
  });
  return app;
}

/** The same test API on Koa 2 or 3. */
export function koaApp(flavor: 'koa3' | 'koa2', recorder: Recorder, options: AppOptions = {}) {
  const Koa = KOA[flavor];
  const app = new Koa();
  app.silent = true;
  if (options.trustProxy) app.proxy = true;
  app.use(async (ctx, next) => {
    recorder.hits.push(`${ctx.method} ${ctx.url}`);
    await next();
  });
  app.use(koaBatch(options.batch));
  const router = new Router();
  router.get('/whoami', (ctx) => {
    ctx.body = whoami({
      ip: ctx.ip,
      secure: ctx.secure,
      protocol: ctx.protocol,
      hostname: ctx.hostname,
      method: ctx.method,
      url: ctx.url,
      headers: ctx.headers,
      query: ctx.query,
    });
  });
  router.get('/items/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  router.post('/echo', bodyParser(), (ctx) => {
    ctx.status = 201;
    ctx.body = {
      body: ctx.request.body,
      contentType: ctx.get('content-type') || null,
      contentLength: ctx.get('content-length') || null,
    };
  });
  router.get('/slow/:ms', async (ctx) => {
    await delay(Number(ctx.params.ms));
    ctx.body = { ms: Number(ctx.params.ms) };
  });
  router.get('/never', async (ctx) => {
    ctx.res.on('close', () => recorder.events.push('closed /never'));
    await new Promise(() => undefined);
  });
  router.get('/big/:bytes', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = 'x'.repeat(Number(ctx.params.bytes));
  });
  router.get('/stream', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = Readable.from(
      (async function* () {
        for (const chunk of ['a', 'b', 'c']) {
          yield Buffer.from(chunk);
          await delay(2);
        }
      })(),
    );
  });
  router.get('/set-cookie/:name', (ctx) => {
    ctx.set('Set-Cookie', `${ctx.params.name}=1; Path=/`);
    ctx.body = { set: ctx.params.name };
  });
  router.get('/fail', () => {
    throw new Error('route failed');
  });
  router.get('/admin/secret', (ctx) => {
    ctx.body = { secret: true };
  });
  router.post('/items', bodyParser(), (ctx) => {
    const id = `item-${++created}`;
    ctx.status = 201;
    ctx.set('Location', `/items/${id}`);
    ctx.body = { id, ...(ctx.request.body as object) };
  });
  router.get('/binary', (ctx) => {
    ctx.type = 'application/octet-stream';
    ctx.body = BINARY;
  });
  router.post('/echo-text', bodyParser({ enableTypes: ['text'], extendTypes: { text: ['*/*'] } }), (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = `${ctx.get('content-type')}|${ctx.request.body as string}`;
  });
  router.post('/echo-bytes', async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    ctx.type = 'application/octet-stream';
    ctx.body = Buffer.concat(chunks);
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

export interface TestServer extends Recorder {
  framework: AnyFramework;
  url: string;
  server: Server;
  close(): Promise<void>;
}

const tls = {
  key: readFileSync(new URL('../fixtures/tls/key.pem', import.meta.url)),
  cert: readFileSync(new URL('../fixtures/tls/cert.pem', import.meta.url)),
};

/** Listens on 127.0.0.1, port 0 (plain HTTP, or HTTPS with a self-signed certificate). */
export async function listen(listener: RequestListener, options: { https?: boolean } = {}) {
  const server = options.https ? createHttpsServer(tls, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { server, url, close };
}

/** The test API on one framework, listening. */
export async function startApp(
  framework: AnyFramework,
  options: AppOptions & { https?: boolean } = {},
): Promise<TestServer> {
  const recorder: Recorder = { hits: [], events: [] };
  let listener: RequestListener;
  let closeApp = (): Promise<void> => Promise.resolve();
  if (framework === 'express5' || framework === 'express4') {
    listener = expressApp(framework, recorder, options);
  } else if (framework === 'koa3' || framework === 'koa2') {
    const handle = koaApp(framework, recorder, options).callback();
    listener = (req, res) => void handle(req, res);
  } else if (framework === 'fastify5') {
    // Fastify's own server is not used: its routing is the request listener, as in
    // `serverFactory`, so every framework listens the same way.
    const app = await fastifyApp(recorder, options, BINARY);
    listener = (req, res) => app.routing(req, res);
    closeApp = () => app.close();
  } else if (framework === 'hono') {
    const handle = getRequestListener(honoApp(recorder, options, BINARY).fetch);
    listener = (req, res) => void handle(req, res);
  } else {
    listener = nodeApp(recorder, options, BINARY);
  }
  const listening = await listen(listener, options);
  return {
    framework,
    ...recorder,
    ...listening,
    close: async () => {
      await listening.close();
      await closeApp();
    },
  };
}
