import fastifyAuth from '@fastify/auth';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { batch, type FastifyBatchOptions } from '@inbatch/fastify';
import { send, sendBatch, sendJsonBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';
import { gets } from './helpers.js';

const CLIENT_A = '127.0.0.2';
const CLIENT_B = '127.0.0.3';

describe('@inbatch/fastify: Fastify’s own hooks, schemas and plugins run for each inner request', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(setup: (app: FastifyInstance) => Promise<void> | void, options: FastifyBatchOptions = {}) {
    app = Fastify();
    await setup(app);
    await app.register(batch, options);
    app.get('/items/:id', (request) => ({ id: (request.params as { id: string }).id, ip: request.ip }));
    return app.listen({ port: 0, host: '127.0.0.1' });
  }

  it('runs onRequest, preHandler and onResponse hooks once per inner request', async () => {
    const seen: string[] = [];
    const url = await start((app) => {
      app.addHook('onRequest', (request, _reply, done) => {
        seen.push(`onRequest ${request.url}`);
        done();
      });
      app.addHook('preHandler', (request, _reply, done) => {
        seen.push(`preHandler ${request.url}`);
        done();
      });
      app.addHook('onResponse', (request, _reply, done) => {
        seen.push(`onResponse ${request.url}`);
        done();
      });
    });
    const reply = await sendBatch(url, buildBatch(gets('/items/1').concat(gets('/items/2'))));
    expect(reply.parts.map((part) => part.json().id)).toEqual(['1', '2']);
    for (const path of ['/items/1', '/items/2']) {
      expect(seen.filter((line) => line.endsWith(` ${path}`)).sort()).toEqual([
        `onRequest ${path}`,
        `onResponse ${path}`,
        `preHandler ${path}`,
      ]);
    }
    // The outer request is a request too: the app-wide hooks ran for POST /batch as well.
    expect(seen).toContain('onRequest /batch');
  });

  it('validates each inner body against the route’s schema: a bad one answers 400 in its slot only', async () => {
    const url = await start((app) => {
      app.post(
        '/orders',
        {
          schema: { body: { type: 'object', required: ['qty'], properties: { qty: { type: 'integer', minimum: 1 } } } },
        },
        (request, reply) => reply.code(201).send({ order: request.body }),
      );
    });
    const reply = await sendJsonBatch(url, [
      { id: 'good', method: 'POST', url: '/orders', body: { qty: 2 } },
      { id: 'bad', method: 'POST', url: '/orders', body: { qty: 0 } },
    ]);
    expect(reply.responses.map((answer) => answer.status)).toEqual([201, 400]);
    expect(reply.responses[0]?.body).toEqual({ order: { qty: 2 } });
    expect(reply.responses[1]?.body).toMatchObject({ code: 'FST_ERR_VALIDATION', message: 'body/qty must be >= 1' });
  });

  it('counts each inner request against @fastify/rate-limit, per real client', async () => {
    const url = await start(async (app) => {
      // The outer POST /batch counts too: 1 + 3 inner requests fill a limit of 4.
      await app.register(rateLimit, { max: 4, timeWindow: 60_000 });
    });
    const first = await sendBatch(url, buildBatch(gets('/items/1', 5)), { localAddress: CLIENT_A });
    expect(first.parts.map((part) => part.status)).toEqual([200, 200, 200, 429, 429]);
    expect(first.parts[0]?.json()).toEqual({ id: '1', ip: CLIENT_A });
    expect(first.parts[3]?.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    // Another client has its own bucket: inner requests never share a loopback identity.
    const other = await sendBatch(url, buildBatch(gets('/items/1', 2)), { localAddress: CLIENT_B });
    expect(other.parts.map((part) => [part.status, part.json().ip])).toEqual([
      [200, CLIENT_B],
      [200, CLIENT_B],
    ]);
  });

  it('runs @fastify/auth for each inner request, with the outer Authorization or the inner one', async () => {
    const verify = (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
      if (request.headers.authorization === 'Bearer good') done();
      else done(Object.assign(new Error('bad token'), { statusCode: 401 }));
    };
    const url = await start(async (app) => {
      await app.register(fastifyAuth);
      app.after(() => {
        app.get('/private', { preHandler: app.auth([verify]) }, () => ({ secret: true }));
      });
    });
    const reply = await sendBatch(
      url,
      buildBatch([
        { method: 'GET', url: '/private' },
        { method: 'GET', url: '/private', headers: { Authorization: 'Bearer forged' } },
      ]),
      { headers: { Authorization: 'Bearer good' } },
    );
    expect(reply.parts.map((part) => part.status)).toEqual([200, 401]);
    expect(reply.parts[0]?.json()).toEqual({ secret: true });
    const anonymous = await sendBatch(url, buildBatch([{ method: 'GET', url: '/private' }]));
    expect(anonymous.parts[0]?.status).toBe(401);
  });

  it('adds nothing to the instance it is registered on: the app’s own parsers still refuse what they refused', async () => {
    const url = await start((app) => {
      app.post('/json-only', (request) => ({ body: request.body }));
    });
    const direct = await send(url, '/json-only', {
      method: 'POST',
      headers: { 'content-type': 'multipart/mixed; boundary=x' },
      body: '--x--',
    });
    expect(direct.status).toBe(415);
    const inner = await sendBatch(
      url,
      buildBatch([{ method: 'POST', url: '/json-only', headers: { 'content-type': 'application/xml' }, body: '<a/>' }]),
    );
    expect(inner.parts[0]?.status).toBe(415);
  });

  it('serves {prefix}{path} when registered with a prefix, and inner URLs stay paths from the host root', async () => {
    const url = await start(() => undefined, { prefix: '/api', path: '/$batch' });
    const reply = await sendBatch(url, buildBatch(gets('/items/7')), { path: '/api/$batch' });
    expect(reply.status).toBe(200);
    expect(reply.parts[0]?.json()).toEqual({ id: '7', ip: '127.0.0.1' });
    expect((await send(url, '/batch', { method: 'POST' })).status).toBe(404);
  });

  it('refuses bad options when the app boots, not on the first batch', async () => {
    const bad = Fastify();
    void bad.register(batch, { maxOperations: 0 });
    await expect(bad.ready()).rejects.toThrow(/option "maxOperations"/);
  });
});
