import type { IncomingMessage, ServerResponse } from 'node:http';
import { createDispatcher } from '../dispatch/create.js';
import type { NodeHandler } from '../dispatch/dispatcher.js';
import { createBatchEngine } from '../endpoint.js';
import { pathOf } from '../engine/context.js';
import type { BatchOptions } from '../options.js';
import { outerRequestFromNode, sendNodeAnswer } from './http.js';

/** A Node request listener, as `http.createServer()` takes it. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Wraps a plain `node:http` request listener with a batch endpoint (default `POST /batch`,
 * and the async routes). Batch routes are answered here; every other request goes to
 * `listener` untouched. Inner requests run through the returned listener itself, so they
 * see the whole app, and one aimed at the batch endpoint is refused as nested (THREATS T7).
 * The client's address and TLS flag reach `req.socket` of every inner request.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { createBatchHandler } from '@inbatch/core';
 *
 * createServer(createBatchHandler(app, { maxOperations: 100 })).listen(3000);
 */
export function createBatchHandler(listener: NodeHandler, options?: BatchOptions): RequestListener {
  const engine = createBatchEngine(options);
  const handler: RequestListener = (req, res) => {
    // A shared job store (Redis): this process runs jobs too, from its first request on.
    if (engine.wantsDispatcher) engine.serve(() => dispatcher);
    const url = req.url ?? '/';
    const route = engine.mayMatch(url) ? engine.match(req.method ?? 'GET', pathOf(url)) : undefined;
    if (route === undefined) {
      void listener(req, res);
      return;
    }
    const outer = outerRequestFromNode(req, res, { url });
    void engine.handle(outer, dispatcher, route).then((answer) => {
      sendNodeAnswer(res, answer, engine.options.onError);
    });
  };
  const dispatcher = createDispatcher(handler, { kind: engine.options.dispatcher });
  return handler;
}
