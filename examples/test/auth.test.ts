import { afterEach, describe, expect, it } from 'vitest';
import { send, sendBatch } from '../../test/support/http.js';
import { buildBatch } from '../../test/support/multipart.js';
import { MERCHANT_AUTH, seedBatch, startApp, EXAMPLES } from './helpers.js';

const LIST = '/inventories/v1beta/accounts/123/products/online:en:US:123456/regionalInventories';
const UNAUTHENTICATED = {
  error: {
    code: 401,
    message:
      'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    status: 'UNAUTHENTICATED',
  },
};

describe.each(EXAMPLES)('auth on every inner request ($name example)', (example) => {
  let app: Awaited<ReturnType<typeof startApp>>;
  afterEach(async () => {
    await app.close();
  });

  it('answers 401 in every part of a seed batch sent without Authorization', async () => {
    app = await startApp(example);
    const reply = await sendBatch(app.url, seedBatch('merchant-en'));
    expect(reply.status).toBe(200);
    expect(reply.parts.map((part) => part.status)).toEqual([401, 401]);
    expect(reply.parts.map((part) => part.json())).toEqual([UNAUTHENTICATED, UNAUTHENTICATED]);
    expect(reply.parts[0]?.headers['www-authenticate']).toEqual(['Bearer']);
  });

  it('lets an inner Authorization header stand in for a missing outer one, for that part only', async () => {
    app = await startApp(example);
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: LIST, headers: { Authorization: 'Bearer inner-token' } },
        { method: 'GET', url: LIST },
      ]),
    );
    expect(reply.parts.map((part) => part.status)).toEqual([200, 401]);
    expect(reply.parts[0]?.json()).toMatchObject({ regionalInventories: [{ region: 'west' }] });
    expect(reply.parts[1]?.json()).toEqual(UNAUTHENTICATED);
  });

  it('lets an inner Authorization header override the outer one', async () => {
    app = await startApp(example);
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: LIST, headers: { Authorization: 'Basic dXNlcjpwYXNz' } },
        { method: 'GET', url: LIST },
      ]),
      { headers: MERCHANT_AUTH },
    );
    expect(reply.parts.map((part) => part.status)).toEqual([401, 200]);
    expect(reply.parts[0]?.json()).toEqual(UNAUTHENTICATED);
    expect(reply.parts[1]?.json()).toMatchObject({ regionalInventories: [{ region: 'west' }] });
  });

  it('asks for a token on any case of the protected prefixes, as the router matches them', async () => {
    app = await startApp(example);
    const reply = await send(app.url, '/V1/accounts/123456/products/US:en:product_id_1');
    expect(reply.status).toBe(401);
    expect(reply.json()).toEqual(UNAUTHENTICATED);
  });
});
