import { fileURLToPath } from 'node:url';
import { batch } from '@inbatch/express';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import {
  ApiError,
  INVALID_JSON_MESSAGE,
  UNAUTHENTICATED_MESSAGE,
  createStore,
  errorBody,
  hasBearerToken,
} from '@inbatch/example-inventory';
import { DEMO_BULK, jobsDemoRoutes } from './jobs-demo.js';

const REGIONAL_INVENTORIES = '/inventories/v1beta/accounts/:account/products/:product/regionalInventories';
// `\\:` keeps `:insert` literal: path-to-regexp v8 would read it as a parameter named
// `insert`, and the route would then also answer `regionalInventories:delete`.
const INSERT_REGIONAL_INVENTORY = `${REGIONAL_INVENTORIES}\\:insert`;
const PRODUCT = '/v1/accounts/:account/products/:name';
/** The demo page (`GET /`), which batches its API calls with @inbatch/client. */
const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
/** The client's ES modules as `pnpm --filter @inbatch/client build` writes them. */
const CLIENT_DIR = fileURLToPath(new URL('../../../packages/client/dist/', import.meta.url));

/** Options of the example app. */
export interface AppOptions {
  /**
   * The directory of the built @inbatch/client ES modules, served at `/client/` for the
   * demo page (tests build them elsewhere).
   * @default packages/client/dist of this repository
   */
  clientDir?: string;
}

/** Every route under these prefixes needs a bearer token, inner requests included. */
const requireBearer: RequestHandler = (req, res, next) => {
  if (hasBearerToken(req.get('authorization'))) {
    next();
    return;
  }
  res.status(401).set('WWW-Authenticate', 'Bearer').json(errorBody(401, UNAUTHENTICATED_MESSAGE));
};

// The page imports the client from /client/index.js; say how to get it rather than a bare 404.
const clientNotBuilt: RequestHandler = (_req, res) => {
  res
    .status(404)
    .type('text/plain')
    .send('The client is not built: run `npx -y pnpm@10 --filter @inbatch/client build` from the repository root.');
};

const notFound: RequestHandler = (req, res) => {
  res.status(404).json(errorBody(404, `No route for ${req.method} ${req.path}.`));
};

const renderError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  if (error instanceof ApiError) {
    res.status(error.code).json(errorBody(error.code, error.message));
    return;
  }
  const parserError = error as { type?: unknown; status?: unknown; expose?: unknown; message?: unknown };
  if (parserError.type === 'entity.parse.failed') {
    res.status(400).json(errorBody(400, INVALID_JSON_MESSAGE));
    return;
  }
  // Other body-parser refusals (too large, bad charset) carry a safe status and message.
  if (typeof parserError.status === 'number' && parserError.status < 500 && parserError.expose === true) {
    res.status(parserError.status).json(errorBody(parserError.status, String(parserError.message)));
    return;
  }
  console.error(error);
  res.status(500).json(errorBody(500, 'Internal error.'));
};

/**
 * A small product/inventory API shaped like the seeds' Merchant (regional inventories)
 * and Manufacturer Center (products) APIs, with a multipart batch endpoint at `/batch`,
 * and a demo page at `/` that loads its data in one batch.
 */
export function createApp(options: AppOptions = {}): Express {
  const store = createStore();
  const app = express();
  app.disable('x-powered-by');

  // Before the body parser, so the outer multipart body reaches batch() unread. Concurrency
  // 1 runs operations in request order: the Manufacturer seed PUTs, GETs and DELETEs one
  // product in a single batch, and only sequential execution makes that deterministic.
  // `bulk` adds the jobs demo's resource (`/jobs.html`, src/jobs-demo.ts).
  app.use(batch({ concurrency: 1, bulk: DEMO_BULK }));

  // The demo page and the client it loads: public files, no token needed.
  app.use(express.static(PUBLIC_DIR));
  app.use('/client', express.static(options.clientDir ?? CLIENT_DIR), clientNotBuilt);

  // The Merchant seed's insert request has no Content-Type, and the seed's answer shows
  // Google reading its body as JSON anyway; so does this API.
  app.use(['/inventories', '/v1'], requireBearer, express.json({ type: () => true }));

  app.get(REGIONAL_INVENTORIES, (req, res) => {
    res.json({ regionalInventories: store.listRegionalInventories(req.params.account, req.params.product) });
  });
  app.post(INSERT_REGIONAL_INVENTORY, (req, res) => {
    res.json(store.insertRegionalInventory(req.params.account, req.params.product, req.body));
  });

  app.put(PRODUCT, (req, res) => {
    store.updateProduct(req.params.account, req.params.name, req.body);
    res.json({});
  });
  app.get(PRODUCT, (req, res) => {
    res.json(store.getProduct(req.params.account, req.params.name));
  });
  app.delete(PRODUCT, (req, res) => {
    store.deleteProduct(req.params.account, req.params.name);
    res.json({});
  });

  app.use(jobsDemoRoutes());

  app.use(notFound);
  app.use(renderError);
  return app;
}
