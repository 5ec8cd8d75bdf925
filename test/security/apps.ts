/**
 * The threat suite's own test API: the routes of test/support/apps.ts that the attacks
 * need, plus what they add — a raw-body reflector, a route that sets tell-tale answer
 * headers, a localhost-only route, an optional per-client rate limit in front of
 * everything, a URL rewrite before batch(), and a second batch endpoint.
 */
import express5 from 'express';
import express4 from 'express4';
import { rateLimit } from 'express-rate-limit';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import bodyParser from 'koa-bodyparser';
import ratelimit from 'koa-ratelimit';
import Router from '@koa/router';
import type { BatchOptions } from '@inbatch/core';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { listen, type Framework, type Recorder } from '../support/apps.js';

export interface SecurityAppOptions {
  batch?: BatchOptions;
  /** Express `trust proxy` / Koa `app.proxy`. */
  trustProxy?: boolean;
  /** At most this many requests per client address (req.ip / ctx.ip) per minute, in front of everything. */
  rateLimit?: number;
  /** Rewrites `/alias` to `/batch` before batch() looks at the path: a spelling no path check can know. */
  aliasToBatch?: boolean;
  /** A second batch() endpoint, mounted after the routes. */
  secondBatch?: BatchOptions;
}

export interface SecurityApp extends Recorder {
  url: string;
  close(): Promise<void>;
}

const HEADERS_OUT: Record<string, string> = {
  'Set-Cookie': 'session=inner; Path=/; HttpOnly',
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Credentials': 'true',
  'X-Frame-Options': 'ALLOWALL',
  'WWW-Authenticate': 'Basic realm="inner"',
  Location: 'https://evil.example/',
  'Cache-Control': 'public, max-age=3600',
};

function expressSecurityApp(flavor: 'express5' | 'express4', recorder: Recorder, options: SecurityAppOptions) {
  const express = flavor === 'express5' ? express5 : express4;
  const app = express();
  if (options.trustProxy) app.set('trust proxy', true);
  app.use((req, _res, next) => {
    recorder.hits.push(`${req.method} ${req.url}`);
    next();
  });
  if (options.rateLimit !== undefined) {
    app.use(rateLimit({ windowMs: 60_000, limit: options.rateLimit, legacyHeaders: false, validate: false }));
  }
  if (options.aliasToBatch) {
    app.use((req, _res, next) => {
      if (req.url === '/alias') req.url = '/batch';
      next();
    });
  }
  app.use(expressBatch(options.batch));
  app.get('/whoami', (req, res) => {
    res.json({
      ip: req.ip,
      secure: req.secure,
      hostname: req.hostname,
      method: req.method,
      headers: req.headers,
      query: req.query,
    });
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
  app.post('/reflect', express.raw({ type: () => true }), (req, res) => {
    res.type('text/plain').send(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
  });
  app.get('/headers-out', (_req, res) => {
    res.status(201).set(HEADERS_OUT).json({ headers: 'set' });
  });
  app.get('/local-only', (req, res) => {
    if (req.ip === '127.0.0.1') res.json({ local: true });
    else res.status(403).json({ local: false, ip: req.ip });
  });
  app.get('/admin/secret', (_req, res) => {
    res.json({ secret: true });
  });
  if (options.secondBatch) app.use(expressBatch(options.secondBatch));
  return app;
}

function koaSecurityApp(flavor: 'koa3' | 'koa2', recorder: Recorder, options: SecurityAppOptions) {
  const app = flavor === 'koa3' ? new Koa3() : new Koa2();
  app.silent = true;
  if (options.trustProxy) app.proxy = true;
  app.use(async (ctx, next) => {
    recorder.hits.push(`${ctx.method} ${ctx.url}`);
    await next();
  });
  if (options.rateLimit !== undefined) {
    app.use(
      ratelimit({
        driver: 'memory',
        db: new Map(),
        duration: 60_000,
        max: options.rateLimit,
        id: (ctx) => ctx.ip,
        disableHeader: true,
      }),
    );
  }
  if (options.aliasToBatch) {
    app.use(async (ctx, next) => {
      if (ctx.path === '/alias') ctx.path = '/batch';
      await next();
    });
  }
  app.use(koaBatch(options.batch));
  const router = new Router();
  router.get('/whoami', (ctx) => {
    ctx.body = {
      ip: ctx.ip,
      secure: ctx.secure,
      hostname: ctx.hostname,
      method: ctx.method,
      headers: ctx.headers,
      query: ctx.query,
    };
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
  router.post('/reflect', async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    ctx.type = 'text/plain';
    ctx.body = Buffer.concat(chunks);
  });
  router.get('/headers-out', (ctx) => {
    ctx.status = 201;
    ctx.set(HEADERS_OUT);
    ctx.body = { headers: 'set' };
  });
  router.get('/local-only', (ctx) => {
    if (ctx.ip === '127.0.0.1') ctx.body = { local: true };
    else {
      ctx.status = 403;
      ctx.body = { local: false, ip: ctx.ip };
    }
  });
  router.get('/admin/secret', (ctx) => {
    ctx.body = { secret: true };
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  if (options.secondBatch) app.use(koaBatch(options.secondBatch));
  return app;
}

/** The threat suite's test API on one framework, listening on 127.0.0.1, port 0. */
export async function startSecurityApp(framework: Framework, options: SecurityAppOptions = {}): Promise<SecurityApp> {
  const recorder: Recorder = { hits: [], events: [] };
  if (framework === 'express5' || framework === 'express4') {
    const listening = await listen(expressSecurityApp(framework, recorder, options));
    return { ...recorder, url: listening.url, close: listening.close };
  }
  const handle = koaSecurityApp(framework, recorder, options).callback();
  const listening = await listen((req, res) => void handle(req, res));
  return { ...recorder, url: listening.url, close: listening.close };
}
