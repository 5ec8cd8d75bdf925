import { fileURLToPath } from 'node:url';
import { batch } from '@inbatch/express';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import {
  ApiError,
  DEMO_BATCH_OPTIONS,
  INVALID_JSON_MESSAGE,
  MERCHANT_BATCH_PATH,
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

/** A positive page number from the query, or the default. */
function pageNumber(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new ApiError(400, `Invalid page value ${JSON.stringify(value)}.`);
  return number;
}

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

  // Before the routes and the 404 catch-all, which would otherwise answer POST /batch
  // themselves; before the body parser too, so batch()'s own limits and errors apply.
  // The Merchant seed sends its batch to /batch/inventories/v1beta; the other seeds to
  // /batch (DEMO_BATCH_OPTIONS: operations in order, perPage capped, the bulk resource).
  app.use(batch({ path: MERCHANT_BATCH_PATH, concurrency: 1 }));
  // Plus the jobs demo's bulk resource (`/jobs.html`, src/jobs-demo.ts).
  app.use(batch({ ...DEMO_BATCH_OPTIONS, bulk: { ...DEMO_BATCH_OPTIONS.bulk, ...DEMO_BULK } }));

  // The demo page and the client it loads: public files, no token needed.
  app.use(express.static(PUBLIC_DIR));
  app.use('/client', express.static(options.clientDir ?? CLIENT_DIR), clientNotBuilt);

  // The Merchant seed's insert request has no Content-Type, and the seed's answer shows
  // Google reading its body as JSON anyway; so does this API.
  app.use(['/inventories', '/v1', '/v2'], requireBearer, express.json({ type: () => true }));

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

  // The operations seed's catalogue and the bulk seed's masterlist.
  app.get('/v1/products', (req, res) => {
    res.json(store.listProducts(pageNumber(req.query.page, 1), pageNumber(req.query.perPage, 10)));
  });
  app.post('/v1/products', (req, res) => {
    res.status(201).json(store.createProduct(req.body));
  });
  app.put('/v2/masterlist/:asin', (req, res) => {
    const { created, item } = store.putMasterlistItem(req.params.asin, req.body);
    // The bulk seed's status documents show the item's own `message`.
    res.status(created ? 201 : 200).json({ ...item, message: 'successfully' });
  });

  app.use(jobsDemoRoutes());

  app.use(notFound);
  app.use(renderError);
  return app;
}
