import { afterEach, describe, expect, it } from 'vitest';
import { CONFORMANCE_FRAMEWORKS, startApp, type TestServer } from '../support/apps.js';
import { send, sendBatch } from '../support/http.js';
import { buildBatch, type PartSpec } from '../support/multipart.js';

const items = (count: number): PartSpec[] =>
  Array.from({ length: count }, (_, i) => ({ method: 'GET', url: `/items/${i + 1}` }));

/** Inner requests the app saw (the outer batch request excluded). */
const innerHits = (app: TestServer) => app.hits.filter((hit) => !hit.startsWith('POST /batch'));

describe.each(CONFORMANCE_FRAMEWORKS)('limits on %s', (framework) => {
  let app: TestServer;
  afterEach(async () => {
    await app.close();
  });

  it('accepts 1000 operations and answers every one', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, buildBatch(items(1000)));
    expect(reply.status).toBe(200);
    expect(reply.parts).toHaveLength(1000);
    expect(reply.parts.every((part, i) => part.status === 200 && part.json().id === String(i + 1))).toBe(true);
  });

  it('refuses 1001 operations whole with 413 batch.too_many_operations and runs none', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, buildBatch(items(1001)));
    expect(reply.status).toBe(413);
    expect(reply.json()).toEqual({
      error: {
        code: 'batch.too_many_operations',
        message: 'The batch has more than 1000 operations.',
        part: 1001,
        line: expect.any(Number),
        limit: 1000,
      },
    });
    expect(innerHits(app)).toEqual([]);
  });

  it('refuses an outer body over maxBodyBytes with 413 batch.too_large before running anything', async () => {
    app = await startApp(framework, { batch: { maxBodyBytes: 1000 } });
    const reply = await sendBatch(app.url, buildBatch(items(40)));
    expect(reply.status).toBe(413);
    expect(reply.json().error).toMatchObject({ code: 'batch.too_large', limit: 1000 });
    expect(innerHits(app)).toEqual([]);
  });

  it('refuses one operation body over maxOperationBodyBytes in its slot, and runs the others', async () => {
    app = await startApp(framework, { batch: { maxOperationBodyBytes: 64 } });
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, body: `"${'x'.repeat(100)}"` },
        { method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, body: '{"ok":true}' },
      ]),
    );
    expect(reply.parts.map((part) => part.status)).toEqual([413, 201]);
    expect(reply.parts[0]?.json().error).toMatchObject({ code: 'batch.part.too_large', part: 1, limit: 64 });
    expect(innerHits(app)).toEqual(['POST /echo']);
  });

  it('cuts an inner answer over maxResponseBytes and answers 502 batch.part.response_too_large in its slot', async () => {
    app = await startApp(framework, { batch: { maxResponseBytes: 1000 } });
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/big/5000' },
        { method: 'GET', url: '/big/1000' },
      ]),
    );
    expect(reply.parts.map((part) => part.status)).toEqual([502, 200]);
    expect(reply.parts[0]?.json().error).toMatchObject({ code: 'batch.part.response_too_large', part: 1, limit: 1000 });
    expect(reply.parts[1]?.text).toBe('x'.repeat(1000));
  });

  it('withholds answers past maxTotalResponseBytes, in request order', async () => {
    app = await startApp(framework, { batch: { maxTotalResponseBytes: 1000 } });
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/big/600' },
        { method: 'GET', url: '/big/600' },
        { method: 'GET', url: '/big/300' },
      ]),
    );
    expect(reply.parts.map((part) => part.status)).toEqual([200, 502, 200]);
    expect(reply.parts[1]?.json().error).toMatchObject({ code: 'batch.part.response_too_large', part: 2, limit: 1000 });
  });

  it('answers 504 batch.part.timeout for an operation that hangs, closes its response, and runs the others', async () => {
    app = await startApp(framework, { batch: { timeoutMs: 150 } });
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/never' },
        { method: 'GET', url: '/items/2' },
      ]),
    );
    expect(reply.parts.map((part) => part.status)).toEqual([504, 200]);
    expect(reply.parts[0]?.json().error).toMatchObject({ code: 'batch.part.timeout', part: 1, limit: 150 });
    expect(app.events).toContain('closed /never');
  });

  it('stops at batchTimeoutMs: the running operation times out, the ones not started are not started', async () => {
    app = await startApp(framework, { batch: { batchTimeoutMs: 150, concurrency: 1 } });
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/slow/1000' },
        { method: 'GET', url: '/items/2' },
      ]),
    );
    expect(reply.parts.map((part) => part.status)).toEqual([504, 503]);
    expect(reply.parts[1]?.json().error).toMatchObject({ code: 'batch.part.not_started', part: 2 });
    expect(innerHits(app)).toEqual(['GET /slow/1000']);
  });

  it('with concurrency 1, runs operations strictly in request order', async () => {
    app = await startApp(framework, { batch: { concurrency: 1 } });
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/slow/40' },
        { method: 'GET', url: '/slow/1' },
        { method: 'GET', url: '/items/3' },
      ]),
    );
    expect(reply.parts.map((part) => part.status)).toEqual([200, 200, 200]);
    expect(innerHits(app)).toEqual(['GET /slow/40', 'GET /slow/1', 'GET /items/3']);
  });

  it('runs only the paths `allow` lets through and refuses the rest with 403 batch.part.forbidden_path', async () => {
    app = await startApp(framework, { batch: { allow: ['/items', /^\/whoami$/] } });
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/items/1' },
        { method: 'GET', url: '/ITEMS/2' },
        { method: 'GET', url: '/admin/secret' },
        { method: 'GET', url: '/itemsX' },
        { method: 'GET', url: '/whoami' },
      ]),
    );
    // `allow` compares paths as routers do, case-insensitively, so /ITEMS/2 runs; Express and
    // Koa's router then answer it, while Fastify, Hono and plain node:http route case-sensitively.
    const upperCase = ['express5', 'express4', 'koa3', 'koa2'].includes(framework) ? 200 : 404;
    expect(reply.parts.map((part) => part.status)).toEqual([200, upperCase, 403, 403, 200]);
    expect(reply.parts[2]?.json().error).toMatchObject({ code: 'batch.part.forbidden_path', part: 3 });
    expect(innerHits(app)).not.toContain('GET /admin/secret');
  });

  it('refuses methods outside `methods` with 400 batch.part.method in the slot', async () => {
    app = await startApp(framework, { batch: { methods: ['GET'] } });
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, body: '{}' },
        { method: 'GET', url: '/items/1' },
      ]),
    );
    expect(reply.parts.map((part) => part.status)).toEqual([400, 200]);
    expect(reply.parts[0]?.json().error).toMatchObject({ code: 'batch.part.method', part: 1 });
  });

  it('keeps answering ordinary requests while a large batch runs', async () => {
    app = await startApp(framework);
    const running = sendBatch(
      app.url,
      buildBatch(Array.from({ length: 200 }, () => ({ method: 'GET', url: '/slow/5' }))),
    );
    const ordinary = await send(app.url, '/items/42');
    expect(ordinary.json()).toEqual({ id: '42' });
    expect((await running).parts).toHaveLength(200);
  });
});
