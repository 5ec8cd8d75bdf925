import { afterEach, describe, expect, it } from 'vitest';
import { send, sendBatch } from '../../test/support/http.js';
import { MANUFACTURER_AUTH, MERCHANT_AUTH, seedBatch, startApp, EXAMPLES } from './helpers.js';

const WEST = {
  name: 'accounts/123/products/online:en:US:123456/regionalInventories/west',
  region: 'west',
  price: { amountMicros: '95000000', currencyCode: 'USD' },
};
// The insert answer the Merchant seed shows.
const SEED_INSERT_ANSWER = {
  name: 'accounts/123/products/online:en:US:123456/regionalInventories/123456',
  region: '123456',
  price: { amountMicros: '100000000', currencyCode: 'USD' },
};
const INVALID_JSON = { error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } };

describe.each(EXAMPLES)('the seeds, sent as their curl commands send them ($name example)', (example) => {
  let app: Awaited<ReturnType<typeof startApp>>;
  afterEach(async () => {
    await app.close();
  });

  it.each(['merchant-en', 'merchant-pt'] as const)(
    'answers the %s seed with the inventory list (200) and the app’s own 400 for its invalid JSON',
    async (seed) => {
      app = await startApp(example);
      const reply = await sendBatch(app.url, seedBatch(seed), { headers: MERCHANT_AUTH });
      expect(reply.status).toBe(200);
      expect(reply.parts.map((part) => [part.contentId, part.status])).toEqual([
        ['<response-get:online:en:US:123456>', 200],
        ['<response-post:online:en:US:123456>', 400],
      ]);
      expect(reply.parts[0]?.json()).toEqual({ regionalInventories: [WEST] });
      expect(reply.parts[1]?.json()).toEqual(INVALID_JSON);
    },
  );

  it('answers the Merchant seed with its corrected JSON with the seed’s insert answer, and keeps the inventory', async () => {
    app = await startApp(example);
    const seed = seedBatch('merchant-en');
    const corrected = Buffer.from(seed.body.toString().replace('"region: "123456",', '"region": "123456",'));
    const reply = await sendBatch(app.url, { ...seed, body: corrected }, { headers: MERCHANT_AUTH });
    expect(reply.parts.map((part) => [part.contentId, part.status])).toEqual([
      ['<response-get:online:en:US:123456>', 200],
      ['<response-post:online:en:US:123456>', 200],
    ]);
    expect(reply.parts[1]?.headers['content-type']).toEqual(['application/json; charset=utf-8']);
    expect(reply.parts[1]?.json()).toEqual(SEED_INSERT_ANSWER);

    const list = await send(
      app.url,
      '/inventories/v1beta/accounts/123/products/online:en:US:123456/regionalInventories',
      { headers: MERCHANT_AUTH },
    );
    expect(list.status).toBe(200);
    expect(list.json()).toEqual({ regionalInventories: [WEST, SEED_INSERT_ANSWER] });
  });

  it('answers the Manufacturer Center seed in order: PUT {}, GET the product, DELETE {}, with empty Content-IDs', async () => {
    app = await startApp(example);
    const reply = await sendBatch(app.url, seedBatch('manufacturer-center'), { headers: MANUFACTURER_AUTH });
    expect(reply.status).toBe(200);
    expect(reply.parts.map((part) => [part.contentId, part.status])).toEqual([
      ['', 200],
      ['', 200],
      ['', 200],
    ]);
    expect(reply.parts.map((part) => part.json())).toEqual([
      {},
      {
        parent: 'accounts/account_id',
        name: 'targetCountry:contentLanguage:productId',
        targetCountry: 'targetCountry',
        contentLanguage: 'contentLanguage',
        productId: 'productId',
      },
      {},
    ]);

    const after = await send(app.url, '/v1/accounts/account_id/products/targetCountry:contentLanguage:productId', {
      headers: MANUFACTURER_AUTH,
    });
    expect(after.status).toBe(404);
    expect(after.json()).toEqual({
      error: {
        code: 404,
        message: 'Product accounts/account_id/products/targetCountry:contentLanguage:productId not found.',
        status: 'NOT_FOUND',
      },
    });
  });
});
