import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createBatchEngine,
  createDispatcher,
  nodeAnswerStream,
  outerRequestFromNode,
  type BatchOptions,
  type BatchRoute,
  type Dispatcher,
  type DispatcherKind,
} from '@inbatch/core';

export type { BatchOptions } from '@inbatch/core';

/** What the middleware uses of a Koa app. */
export interface KoaApp {
  middleware: unknown[];
  callback(): (req: IncomingMessage, res: ServerResponse) => unknown;
}

/** What the middleware uses of a Koa context (structural, so Koa 2 and 3 both fit). */
export interface BatchContext {
  app: KoaApp;
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  /** Path and query (`req.url`). */
  url: string;
  originalUrl: string;
  request: { body?: unknown; rawBody?: unknown };
  status: number;
  body: unknown;
  set(field: string, value: string): void;
}

/** A Koa middleware (assignable to Koa 2 and 3 `Middleware`). */
export type BatchMiddleware = (ctx: BatchContext, next: () => Promise<unknown>) => Promise<void>;

/**
 * The dispatcher `batch()` runs a Koa app's inner requests through, over the middleware
 * registered so far (exported for the benchmarks and the differential tests). Koa swaps
 * no prototypes, so nothing needs pinning.
 *
 * @example
 * const dispatch = createKoaDispatcher(app, 'light-my-request');
 */
export function createKoaDispatcher(app: KoaApp, kind: DispatcherKind): Dispatcher {
  return createDispatcher(app.callback(), { kind });
}

/**
 * Mounts a batch endpoint (default `POST /batch`) on a Koa 2 or 3 app. Each inner
 * request runs through the app's whole composed middleware. The same middleware serves
 * the async routes (`GET /batch/limits`, `GET|DELETE /batch/{id}`, the job files,
 * `PATCH /process/{resource}`); which requests are its own is decided by core.
 *
 * @example
 * import Koa from 'koa';
 * import { batch } from '@inbatch/koa';
 *
 * const app = new Koa();
 * app.use(batch());
 */
export function batch(options?: BatchOptions): BatchMiddleware {
  const engine = createBatchEngine(options);
  const dispatchers = new WeakMap<KoaApp, { dispatcher: Dispatcher; middlewareCount: number }>();

  // app.callback() composes the middleware registered so far; compose again if more were added.
  const dispatcherFor = (app: KoaApp): Dispatcher => {
    const cached = dispatchers.get(app);
    if (cached !== undefined && cached.middlewareCount === app.middleware.length) return cached.dispatcher;
    const dispatcher = createKoaDispatcher(app, engine.options.dispatcher);
    dispatchers.set(app, { dispatcher, middlewareCount: app.middleware.length });
    return dispatcher;
  };

  const serveBatch = async (ctx: BatchContext, route: BatchRoute): Promise<void> => {
    const outer = outerRequestFromNode(ctx.req, ctx.res, {
      url: ctx.originalUrl,
      captured: ctx.request.rawBody ?? ctx.request.body,
    });
    const answer = await engine.handle(outer, dispatcherFor(ctx.app), route);
    ctx.status = answer.status;
    for (const [name, value] of Object.entries(answer.headers)) ctx.set(name, value);
    const { body } = answer;
    ctx.body = Buffer.isBuffer(body) ? body : nodeAnswerStream(ctx.res, { ...answer, body });
  };

  // Not async: a request the endpoint doesn't serve (the app's own, every inner one) goes
  // on through `next()` with no promise of ours around it, after a prefix test that spares
  // Koa parsing its URL for `ctx.path`.
  return function inbatchKoa(ctx, next) {
    if (engine.wantsDispatcher) {
      // A shared job store: this process runs jobs too, through the app it now knows.
      const app = ctx.app;
      engine.serve(() => dispatcherFor(app));
    }
    const route = engine.mayMatch(ctx.url) ? engine.match(ctx.method, ctx.path) : undefined;
    // What `next()` resolves to is Koa's business; it reads nothing of it.
    return route === undefined ? (next() as Promise<void>) : serveBatch(ctx, route);
  };
}
