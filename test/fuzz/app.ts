/**
 * The app the whole-endpoint fuzzer drives: Express 5 or Koa 3 with `batch({ allow })`,
 * routes inside `allow` that say which operation they served (so the fuzzer can check the
 * answers' order), and routes outside it that must never run for an inner request.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import express from 'express';
import Koa from 'koa';
import { isInnerRequest, type BatchOptions } from '@inbatch/core';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';

export const ALLOW = ['/echo', '/items'];

export interface FuzzApp {
  url: string;
  port: number;
  /** Inner requests that reached a handler outside `allow`: must stay empty. */
  escapes: string[];
  /** Inner requests that reached any handler. */
  innerHits: number;
  close(): Promise<void>;
}

export async function startFuzzApp(framework: 'express' | 'koa', options: BatchOptions = {}): Promise<FuzzApp> {
  const state = { escapes: [] as string[], innerHits: 0 };
  const outside = (req: IncomingMessage) => {
    if (isInnerRequest(req)) state.escapes.push(`${req.method} ${req.url}`);
  };
  const batchOptions: BatchOptions = { allow: ALLOW, onError: () => undefined, ...options };
  let listener: RequestListener;
  if (framework === 'express') {
    const app = express();
    app.use((req, _res, next) => {
      if (isInnerRequest(req)) state.innerHits++;
      next();
    });
    app.use(expressBatch(batchOptions));
    app.all('/echo/:tag', (req, res) => {
      res.json({ tag: req.params.tag, method: req.method });
    });
    app.get('/items/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    app.use((req, res) => {
      // Anything else an inner request reaches is outside `allow`, 404 or not.
      if (!req.path.toLowerCase().startsWith('/echo') && !req.path.toLowerCase().startsWith('/items')) outside(req);
      res.status(404).json({ notFound: true });
    });
    listener = app;
  } else {
    const app = new Koa();
    app.silent = true;
    app.use(async (ctx, next) => {
      if (isInnerRequest(ctx.req)) state.innerHits++;
      await next();
    });
    app.use(koaBatch(batchOptions));
    const router = new Router();
    router.all('/echo/:tag', (ctx) => {
      ctx.body = { tag: ctx.params.tag, method: ctx.method };
    });
    router.get('/items/:id', (ctx) => {
      ctx.body = { id: ctx.params.id };
    });
    app.use(router.routes());
    app.use((ctx) => {
      if (ctx.status === 404 && ctx.body === undefined) {
        if (!ctx.path.toLowerCase().startsWith('/echo') && !ctx.path.toLowerCase().startsWith('/items'))
          outside(ctx.req);
        ctx.status = 404;
        ctx.body = { notFound: true };
      }
    });
    const handle = app.callback();
    listener = (req, res) => void handle(req, res);
  }
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get escapes() {
      return state.escapes;
    },
    get innerHits() {
      return state.innerHits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
