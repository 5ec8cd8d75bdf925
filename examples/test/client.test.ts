import { describe, expect, it } from 'vitest';
import { injectBatch } from '@inbatch/client/testing';
import { createApp as createExpressApp } from '../express/src/app.js';
import { createApp as createKoaApp } from '../koa/src/app.js';

// The example API tested the way an app's own integration tests would use
// @inbatch/client/testing: batches sent straight into the app, no server listening.
const APPS = [
  { name: 'Express', create: () => createExpressApp() },
  { name: 'Koa', create: () => createKoaApp() },
] as const;

const AUTH = { Authorization: 'Bearer test-token' };
const INVENTORIES = '/inventories/v1beta/accounts/123/products/online:en:US:123456/regionalInventories';
const PRODUCT = '/v1/accounts/123456/products/US:en:product_id_1';
const NEW_PRODUCT = '/v1/accounts/777/products/US:en:new_1';
const UNAUTHENTICATED = {
  error: {
    code: 401,
    message:
      'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    status: 'UNAUTHENTICATED',
  },
};

describe.each(APPS)('the $name example through injectBatch', ({ create }) => {
  it.each(['multipart', 'json'] as const)(
    'reads inventories and a product in one %s batch with one token',
    async (dialect) => {
      const [inventories, product] = await injectBatch(create(), [INVENTORIES, PRODUCT], { dialect, headers: AUTH });
      expect(inventories?.status).toBe(200);
      expect(await inventories?.json()).toEqual({
        regionalInventories: [
          {
            name: 'accounts/123/products/online:en:US:123456/regionalInventories/west',
            region: 'west',
            price: { amountMicros: '95000000', currencyCode: 'USD' },
          },
        ],
      });
      expect(product?.status).toBe(200);
      expect(await product?.json()).toEqual({
        parent: 'accounts/123456',
        name: 'US:en:product_id_1',
        targetCountry: 'US',
        contentLanguage: 'en',
        productId: 'product_id_1',
      });
    },
  );

  it('answers 401 to every request of a batch sent without a token', async () => {
    const responses = await injectBatch(create(), [INVENTORIES, PRODUCT]);
    expect(responses.map((response) => [response.status, response.headers.get('www-authenticate')])).toEqual([
      [401, 'Bearer'],
      [401, 'Bearer'],
    ]);
    expect(await Promise.all(responses.map((response) => response.json()))).toEqual([UNAUTHENTICATED, UNAUTHENTICATED]);
  });

  it('creates, reads and deletes a product in request order (the app runs batches with concurrency 1)', async () => {
    const json = { 'Content-Type': 'application/json' };
    const responses = await injectBatch(
      create(),
      [
        [NEW_PRODUCT, { method: 'PUT', headers: json, body: JSON.stringify({ gtin: ['4006381333931'] }) }],
        NEW_PRODUCT,
        [NEW_PRODUCT, { method: 'DELETE' }],
        NEW_PRODUCT,
      ],
      { headers: AUTH },
    );
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 404]);
    expect(await Promise.all(responses.map((response) => response.json()))).toEqual([
      {},
      {
        parent: 'accounts/777',
        name: 'US:en:new_1',
        targetCountry: 'US',
        contentLanguage: 'en',
        productId: 'new_1',
      },
      {},
      { error: { code: 404, message: 'Product accounts/777/products/US:en:new_1 not found.', status: 'NOT_FOUND' } },
    ]);
  });

  it('inserts a regional inventory and reads it back in the same batch', async () => {
    const insert = {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ region: 'east', price: { amountMicros: '1000000', currencyCode: 'EUR' } }),
    };
    const [inserted, listed] = await injectBatch(create(), [[`${INVENTORIES}:insert`, insert], INVENTORIES], {
      headers: AUTH,
    });
    expect(inserted?.status).toBe(200);
    expect(await inserted?.json()).toMatchObject({ region: 'east', price: { amountMicros: '1000000' } });
    expect(listed?.status).toBe(200);
    const body = await listed?.json<{ regionalInventories: { region: string }[] }>();
    expect(body?.regionalInventories.map((inventory) => inventory.region)).toEqual(['west', 'east']);
  });
});
