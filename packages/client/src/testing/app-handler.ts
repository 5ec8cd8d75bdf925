import type { IncomingMessage, ServerResponse } from 'node:http';

/** A Node request listener: `http.createServer`'s callback. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** An Express 4 or 5 app: a listener function with a `handle` method. */
export interface ExpressLikeApp extends NodeListener {
  handle: (...args: never[]) => unknown;
}

/** A Koa 2 or 3 app: anything with `callback()` returning a listener. */
export interface KoaLikeApp {
  callback(): NodeListener;
}

/** What `injectBatch` sends a batch into. */
export type InjectableApp = ExpressLikeApp | KoaLikeApp | NodeListener;

/** The listener of an app, and whether light-my-request's methods must be pinned on each response. */
export interface AppHandler {
  listener: NodeListener;
  pinInjectedMethods: boolean;
}

/**
 * The listener to inject into. An Express app is wrapped, never handed over itself:
 * light-my-request rewrites the prototypes of an Express app object it is given, which
 * Express shares between all its apps, and every later real request then fails
 * (README "Express stays intact"). Express also swaps the prototype of `req`/`res`, so
 * light-my-request's methods are pinned on each response; that is harmless elsewhere, so
 * any listener gets it (one may wrap an Express app).
 */
export function appHandler(app: InjectableApp): AppHandler {
  if (typeof app === 'function') {
    return { listener: (req, res) => app(req, res), pinInjectedMethods: true };
  }
  if (app !== null && typeof app === 'object' && typeof app.callback === 'function') {
    // Composed now, so middleware added to the app before this call is included.
    return { listener: app.callback(), pinInjectedMethods: false };
  }
  throw new TypeError('inbatch injectBatch: app must be an Express app, a Koa app, or a (req, res) listener.');
}
