import { getConnInfo } from '@hono/node-server/conninfo';
import { getRequestListener } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { validator } from 'hono/validator';
import { describe, expect, it } from 'vitest';
import { batch } from '@inbatch/hono';
import { sendBatch, sendJsonBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';
import { gets, useServers } from './helpers.js';

const CLIENT_A = '127.0.0.2';
const CLIENT_B = '127.0.0.3';

/** A fixed-window limiter keyed by the runtime's conn info, as Hono rate limiters are. */
function limitPerClient(max: number): MiddlewareHandler {
  const hits = new Map<string, number>();
  return async (c, next) => {
    const key = getConnInfo(c).remote.address ?? 'unknown';
    const count = (hits.get(key) ?? 0) + 1;
    hits.set(key, count);
    if (count > max) return c.json({ error: 'too many requests' }, 429);
    await next();
  };
}

describe('@inbatch/hono: the app’s middleware runs for each inner request', () => {
  const serve = useServers();

  function listening(app: Hono) {
    const handle = getRequestListener(app.fetch);
    return serve((req, res) => void handle(req, res));
  }

  it('counts each inner request against a per-client limiter keyed by getConnInfo, per real client', async () => {
    const app = new Hono();
    app.use(batch(app, { getConnInfo }));
    app.use('/items/*', limitPerClient(3));
    app.get('/items/:id', (c) => c.json({ id: c.req.param('id'), ip: getConnInfo(c).remote.address }));
    const server = await listening(app);
    const first = await sendBatch(server.url, buildBatch(gets('/items/1', 5)), { localAddress: CLIENT_A });
    expect(first.parts.map((part) => part.status)).toEqual([200, 200, 200, 429, 429]);
    expect(first.parts[0]?.json()).toEqual({ id: '1', ip: CLIENT_A });
    const other = await sendBatch(server.url, buildBatch(gets('/items/2', 2)), { localAddress: CLIENT_B });
    expect(other.parts.map((part) => [part.status, part.json().ip])).toEqual([
      [200, CLIENT_B],
      [200, CLIENT_B],
    ]);
  });

  it('runs bearerAuth for each inner request, with the outer Authorization or the inner one', async () => {
    const app = new Hono();
    app.use(batch(app));
    app.use('/private/*', bearerAuth({ token: 'good' }));
    app.get('/private/data', (c) => c.json({ secret: true }));
    const server = await listening(app);
    const reply = await sendBatch(
      server.url,
      buildBatch([
        { method: 'GET', url: '/private/data' },
        { method: 'GET', url: '/private/data', headers: { Authorization: 'Bearer forged' } },
      ]),
      { headers: { Authorization: 'Bearer good' } },
    );
    expect(reply.parts.map((part) => part.status)).toEqual([200, 401]);
    expect(reply.parts[0]?.json()).toEqual({ secret: true });
  });

  it('validates each inner body with hono/validator: a bad one answers 400 in its slot only', async () => {
    const app = new Hono();
    app.use(batch(app));
    app.post(
      '/orders',
      validator('json', (value: { qty?: unknown }, c) =>
        typeof value.qty === 'number' && value.qty >= 1
          ? { qty: value.qty }
          : c.json({ error: 'qty must be >= 1' }, 400),
      ),
      (c) => c.json({ order: c.req.valid('json') }, 201),
    );
    const server = await listening(app);
    const reply = await sendJsonBatch(server.url, [
      { id: 'good', method: 'POST', url: '/orders', body: { qty: 2 } },
      { id: 'bad', method: 'POST', url: '/orders', body: { qty: 0 } },
    ]);
    expect(reply.responses.map((answer) => [answer.status, answer.body])).toEqual([
      [201, { order: { qty: 2 } }],
      [400, { error: 'qty must be >= 1' }],
    ]);
  });

  it('runs on app.fetch alone, with no Node server: inner requests get the outer env bindings', async () => {
    const app = new Hono<{ Bindings: { TENANT: string } }>();
    app.use(batch(app));
    app.get('/tenant', (c) => c.json({ tenant: c.env.TENANT }));
    const body = JSON.stringify({ requests: [{ id: 't', method: 'GET', url: '/tenant' }] });
    const response = await app.fetch(
      new Request('https://api.example/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
      { TENANT: 'acme' },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      responses: [{ id: 't', status: 200, headers: { 'Content-Type': 'application/json' }, body: { tenant: 'acme' } }],
    });
  });
});
