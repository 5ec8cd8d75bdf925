import { afterEach, describe, expect, it } from 'vitest';
import { send } from '../../test/support/http.js';
import { MERCHANT_AUTH, startApp, EXAMPLES } from './helpers.js';

const INVENTORIES = '/inventories/v1beta/accounts/123/products/online:en:US:123456/regionalInventories';
const PRODUCT = '/v1/accounts/123456/products/US:en:product_id_1';
const JSON_AUTH = { ...MERCHANT_AUTH, 'content-type': 'application/json' };
const INSERT = JSON.stringify({ region: 'east', price: { amountMicros: '1000000', currencyCode: 'EUR' } });

describe.each(EXAMPLES)('the API over the wire ($name example)', (example) => {
  let app: Awaited<ReturnType<typeof startApp>>;
  afterEach(async () => {
    await app.close();
  });

  it('inserts a regional inventory at the literal :insert path', async () => {
    app = await startApp(example);
    const reply = await send(app.url, `${INVENTORIES}:insert`, { method: 'POST', headers: JSON_AUTH, body: INSERT });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({
      name: 'accounts/123/products/online:en:US:123456/regionalInventories/east',
      region: 'east',
      price: { amountMicros: '1000000', currencyCode: 'EUR' },
    });
  });

  it('answers 404 to another word after regionalInventories: (":insert" is not a parameter)', async () => {
    app = await startApp(example);
    const reply = await send(app.url, `${INVENTORIES}:delete`, { method: 'POST', headers: JSON_AUTH, body: INSERT });
    expect(reply.status).toBe(404);
    expect(reply.json()).toEqual({
      error: { code: 404, message: `No route for POST ${INVENTORIES}:delete.`, status: 'NOT_FOUND' },
    });
  });

  it('answers invalid JSON with its own Google-style 400', async () => {
    app = await startApp(example);
    const reply = await send(app.url, `${INVENTORIES}:insert`, {
      method: 'POST',
      headers: JSON_AUTH,
      body: '{"region: "1"}',
    });
    expect(reply.status).toBe(400);
    expect(reply.json()).toEqual({
      error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' },
    });
  });

  it('refuses an insert without a price with 400 INVALID_ARGUMENT', async () => {
    app = await startApp(example);
    const reply = await send(app.url, `${INVENTORIES}:insert`, {
      method: 'POST',
      headers: JSON_AUTH,
      body: JSON.stringify({ region: 'east' }),
    });
    expect(reply.status).toBe(400);
    expect(reply.json()).toEqual({
      error: { code: 400, message: "Invalid value at 'price': an object is required.", status: 'INVALID_ARGUMENT' },
    });
  });

  it('serves the product seeded at startup', async () => {
    app = await startApp(example);
    const reply = await send(app.url, PRODUCT, { headers: MERCHANT_AUTH });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({
      parent: 'accounts/123456',
      name: 'US:en:product_id_1',
      targetCountry: 'US',
      contentLanguage: 'en',
      productId: 'product_id_1',
    });
  });

  it('refuses a product name that is not targetCountry:contentLanguage:productId with 400', async () => {
    app = await startApp(example);
    const reply = await send(app.url, '/v1/accounts/123456/products/product_id_1', {
      method: 'PUT',
      headers: JSON_AUTH,
      body: '{}',
    });
    expect(reply.status).toBe(400);
    expect(reply.json()).toEqual({
      error: {
        code: 400,
        message: 'Invalid product name "product_id_1": expected targetCountry:contentLanguage:productId.',
        status: 'INVALID_ARGUMENT',
      },
    });
  });
});
