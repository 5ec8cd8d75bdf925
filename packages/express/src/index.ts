import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createBatchEngine,
  createDispatcher,
  inheritedPresets,
  outerRequestFromNode,
  sendNodeAnswer,
  type BatchOptions,
  type Dispatcher,
  type DispatcherKind,
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
export interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse): void;
  parent?: ExpressApp;
  /** The prototypes Express moves every `req`/`res` onto. */
  request: object;
  response: object;
}

// What Express 4 and 5 add to every request and response after moving them onto
// app.request/app.response (its router: params, baseUrl…; Express 4's query middleware:
// query, an accessor in Express 5, which inheritedPresets then leaves alone).
const REQUEST_FIELDS = ['res', 'next', 'baseUrl', 'originalUrl', '_parsedUrl', 'params', 'route', 'query'];
const RESPONSE_FIELDS = ['locals', 'statusCode', 'statusMessage'];

/** An Express middleware (assignable to Express 4 and 5 `RequestHandler`). */
export type BatchMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The dispatcher `batch()` runs an Express app's inner requests through (exported for
 * the benchmarks and the differential tests). Express swaps the prototypes of req/res
 * (THREATS V1/V2): createDispatcher keeps the capture on each instance and never hands
 * the app object to light-my-request; the presets spare V8 the cost of Express's own
 * per-request properties after its swap.
 *
 * @example
 * const dispatch = createExpressDispatcher(app, 'fast');
 * const answer = await dispatch(innerRequest, { signal: new DispatchAbort().signal, maxResponseBytes: 1 << 20 });
 */
export function createExpressDispatcher(app: ExpressApp, kind: DispatcherKind): Dispatcher {
  return createDispatcher(app, {
    kind,
    reprototypes: true,
    presets: {
      request: inheritedPresets(app.request, REQUEST_FIELDS),
      response: inheritedPresets(app.response, RESPONSE_FIELDS),
    },
  });
}

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
      dispatcher = createExpressDispatcher(app, engine.options.dispatcher);
      dispatchers.set(app, dispatcher);
    }
    return dispatcher;
  };

  return function inbatchExpress(incoming, res, next) {
    const req = incoming as ExpressRequest;
    if (engine.wantsDispatcher && req.app !== undefined) {
      // A shared job store: this process runs jobs too, through the app it now knows.
      const app = rootApp(req.app);
      engine.serve(() => dispatcherFor(app));
    }
    // Most requests through here are the app's own and the batch's inner ones: a prefix test
    // passes them on before Express parses their URL for `req.path`.
    const route =
      req.app === undefined || !engine.mayMatch(req.url ?? '/')
        ? undefined
        : engine.match(req.method ?? 'GET', req.path ?? '');
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
