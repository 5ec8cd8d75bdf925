import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createBatchEngine,
  createInjectDispatcher,
  outerRequestFromNode,
  sendNodeAnswer,
  type BatchOptions,
  type Dispatcher,
} from '@inbatch/core';

export type { BatchOptions } from '@inbatch/core';

/** What the middleware reads of Express's request (structural, so Express 4 and 5 both fit). */
interface ExpressRequest extends IncomingMessage {
  app?: ExpressApp;
  path?: string;
  originalUrl?: string;
  body?: unknown;
}

/** An Express app: callable as a request listener; `parent` is set when it is mounted in another. */
interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse): void;
  parent?: ExpressApp;
}

/** An Express middleware (assignable to Express 4 and 5 `RequestHandler`). */
export type BatchMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** The top-most app: inner URLs are paths from the host root, as if sent over the wire. */
function rootApp(app: ExpressApp): ExpressApp {
  let root = app;
  while (root.parent !== undefined) root = root.parent;
  return root;
}

/**
 * Mounts a batch endpoint (default `POST /batch`) on an Express 4 or 5 app. Each inner
 * request runs through the root app's own middleware and routes. The same middleware
 * serves the async routes (`GET /batch/limits`, `GET|DELETE /batch/{id}`, the job files,
 * `PATCH /process/{resource}`); which requests are its own is decided by core.
 *
 * @example
 * import express from 'express';
 * import { batch } from '@inbatch/express';
 *
 * const app = express();
 * app.use(batch());
 * app.get('/items/:id', (req, res) => res.json({ id: req.params.id }));
 */
export function batch(options?: BatchOptions): BatchMiddleware {
  const engine = createBatchEngine(options);
  const dispatchers = new WeakMap<ExpressApp, Dispatcher>();

  const dispatcherFor = (app: ExpressApp): Dispatcher => {
    let dispatcher = dispatchers.get(app);
    if (dispatcher === undefined) {
      // Handing the app object itself to light-my-request would rewrite Express's shared
      // prototypes and break every later real request (THREATS V1); wrap it instead.
      dispatcher = createInjectDispatcher((req, res) => app(req, res), { pinInjectedMethods: true });
      dispatchers.set(app, dispatcher);
    }
    return dispatcher;
  };

  return function inbatchExpress(incoming, res, next) {
    const req = incoming as ExpressRequest;
    const route = req.app === undefined ? undefined : engine.match(req.method ?? 'GET', req.path ?? '');
    if (req.app === undefined || route === undefined) {
      next();
      return;
    }
    const dispatcher = dispatcherFor(rootApp(req.app));
    const outer = outerRequestFromNode(req, res, { url: req.originalUrl ?? req.url ?? '/', captured: req.body });
    engine.handle(outer, dispatcher, route).then((answer) => {
      sendNodeAnswer(res, answer, engine.options.onError);
    }, next);
  };
}
