import { batch } from '@inbatch/koa';
import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
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

const REGIONAL_INVENTORIES = '/inventories/v1beta/accounts/:account/products/:product/regionalInventories';
// `\\:` keeps `:insert` literal: @koa/router's path-to-regexp v8 would read it as a
// parameter named `insert`, and the route would then also answer `regionalInventories:delete`.
const INSERT_REGIONAL_INVENTORY = `${REGIONAL_INVENTORIES}\\:insert`;
const PRODUCT = '/v1/accounts/:account/products/:name';
// What the two paths above guarantee to be in ctx.params.
type InventoryParams = { account: string; product: string };
type ProductParams = { account: string; name: string };
// Matched case-insensitively on whole segments, as the router matches routes, so that
// `/V1/...` can't reach a route without a token.
const PROTECTED = /^\/(?:inventories|v1|v2)(?:\/|$)/i;

/** Renders every error, and unknown routes, as Google-style JSON. */
const renderErrors: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (error: unknown) {
    const { code, message } = describeError(error);
    ctx.status = code;
    ctx.body = errorBody(code, message);
    return;
  }
  if (ctx.status === 404 && ctx.body == null) {
    // Explicitly: Koa turns an implicit 404 into 200 once a body is set.
    ctx.status = 404;
    ctx.body = errorBody(404, `No route for ${ctx.method} ${ctx.path}.`);
  }
};

function describeError(error: unknown): { code: number; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  // co-body marks a body that is not JSON as a SyntaxError with status 400.
  if (error instanceof SyntaxError && (error as { status?: unknown }).status === 400) {
    return { code: 400, message: INVALID_JSON_MESSAGE };
  }
  // Other body refusals (too large, bad charset) carry a safe status and message.
  const httpError = error as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof httpError.status === 'number' && httpError.status < 500 && httpError.expose === true) {
    return { code: httpError.status, message: String(httpError.message) };
  }
  console.error(error);
  return { code: 500, message: 'Internal error.' };
}

/** A positive page number from the query, or the default. */
function pageNumber(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new ApiError(400, `Invalid page value ${JSON.stringify(value)}.`);
  return number;
}

/** Every route under /inventories, /v1 and /v2 needs a bearer token, inner requests included. */
const requireBearer: Middleware = async (ctx, next) => {
  if (!PROTECTED.test(ctx.path) || hasBearerToken(ctx.get('authorization'))) {
    await next();
    return;
  }
  ctx.status = 401;
  ctx.set('WWW-Authenticate', 'Bearer');
  ctx.body = errorBody(401, UNAUTHENTICATED_MESSAGE);
};

/**
 * The Express example's product/inventory API on Koa: routes shaped like the seeds'
 * Merchant and Manufacturer Center APIs, with a multipart batch endpoint at `/batch`.
 */
export function createApp(): Koa {
  const store = createStore();
  const app = new Koa();
  const router = new Router();

  // The Merchant seed's insert request has no Content-Type, and the seed's answer shows
  // Google reading its body as JSON anyway; so does this API. Router-level, so it only
  // reads bodies of API routes.
  router.use(bodyParser({ enableTypes: ['json'], detectJSON: () => true }));

  router.get(REGIONAL_INVENTORIES, (ctx) => {
    const { account, product } = ctx.params as InventoryParams;
    ctx.body = { regionalInventories: store.listRegionalInventories(account, product) };
  });
  router.post(INSERT_REGIONAL_INVENTORY, (ctx) => {
    const { account, product } = ctx.params as InventoryParams;
    ctx.body = store.insertRegionalInventory(account, product, ctx.request.body);
  });

  router.put(PRODUCT, (ctx) => {
    const { account, name } = ctx.params as ProductParams;
    store.updateProduct(account, name, ctx.request.body);
    ctx.body = {};
  });
  router.get(PRODUCT, (ctx) => {
    const { account, name } = ctx.params as ProductParams;
    ctx.body = store.getProduct(account, name);
  });
  router.delete(PRODUCT, (ctx) => {
    const { account, name } = ctx.params as ProductParams;
    store.deleteProduct(account, name);
    ctx.body = {};
  });

  // The operations seed's catalogue and the bulk seed's masterlist.
  router.get('/v1/products', (ctx) => {
    ctx.body = store.listProducts(pageNumber(ctx.query.page, 1), pageNumber(ctx.query.perPage, 10));
  });
  router.post('/v1/products', (ctx) => {
    ctx.status = 201;
    ctx.body = store.createProduct(ctx.request.body);
  });
  router.put('/v2/masterlist/:asin', (ctx) => {
    const { created, item } = store.putMasterlistItem((ctx.params as { asin: string }).asin, ctx.request.body);
    ctx.status = created ? 201 : 200;
    // The bulk seed's status documents show the item's own `message`.
    ctx.body = { ...item, message: 'successfully' };
  });

  // First, so inner requests' errors are rendered like any other request's.
  app.use(renderErrors);
  // Before the routes, and before the body parser so batch()'s own limits and errors
  // apply. The Merchant seed sends its batch to /batch/inventories/v1beta; the other seeds
  // to /batch (DEMO_BATCH_OPTIONS: operations in order, perPage capped, the bulk resource).
  app.use(batch({ path: MERCHANT_BATCH_PATH, concurrency: 1 }));
  app.use(batch(DEMO_BATCH_OPTIONS));
  app.use(requireBearer);
  app.use(router.routes());
  return app;
}
