import { afterEach, describe, expect, it } from 'vitest';
import { CONFORMANCE_FRAMEWORKS, startApp, type TestServer } from '../support/apps.js';
import { send, sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

describe.each(CONFORMANCE_FRAMEWORKS)('answers on %s', (framework) => {
  let app: TestServer;
  afterEach(async () => {
    await app.close();
  });

  it('answers each part with the app’s own status, headers and body', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/items/7' }]));
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^multipart\/mixed; boundary=batch_[A-Za-z0-9_-]{32}$/);
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.parts).toHaveLength(1);
    const [part] = reply.parts;
    expect(part?.status).toBe(200);
    expect(part?.statusText).toBe('OK');
    expect(part?.headers['content-type']?.[0]).toMatch(/^application\/json/);
    expect(part?.headers['content-length']).toEqual([String(part?.body.length)]);
    expect(part?.json()).toEqual({ id: '7' });
  });

  it('uses a fresh random boundary for every answer', async () => {
    app = await startApp(framework);
    const batch = buildBatch([{ method: 'GET', url: '/items/1' }]);
    const first = await sendBatch(app.url, batch);
    const second = await sendBatch(app.url, batch);
    expect(first.headers['content-type']).not.toBe(second.headers['content-type']);
  });

  it('returns answers in request order even when later operations finish first', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/slow/60' },
        { method: 'GET', url: '/slow/1' },
        { method: 'GET', url: '/items/3' },
      ]),
    );
    expect(reply.parts.map((part) => part.json())).toEqual([{ ms: 60 }, { ms: 1 }, { id: '3' }]);
  });

  it('answers Content-ID <x> with <response-x>, x with response-x, and none with none', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/items/1', contentId: '<get:online:en:US:1>' },
        { method: 'GET', url: '/items/2', contentId: 'plain-2' },
        { method: 'GET', url: '/items/3' },
        { method: 'GET', url: '/items/4', contentId: '' },
      ]),
    );
    expect(reply.parts.map((part) => part.contentId)).toEqual([
      '<response-get:online:en:US:1>',
      'response-plain-2',
      undefined,
      '',
    ]);
  });

  it('delivers an inner POST body byte for byte with its own Content-Type and an exact Content-Length', async () => {
    app = await startApp(framework);
    const payload = JSON.stringify({ name: 'widget', tags: ['a', 'ü'] });
    const reply = await sendBatch(
      app.url,
      buildBatch([{ method: 'POST', url: '/echo', headers: { 'Content-Type': 'application/json' }, body: payload }]),
    );
    const [part] = reply.parts;
    expect(part?.status).toBe(201);
    expect(part?.json()).toEqual({
      body: { name: 'widget', tags: ['a', 'ü'] },
      contentType: 'application/json',
      contentLength: String(Buffer.byteLength(payload)),
    });
  });

  it('passes a streamed answer (write, write, end) through byte-exact', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/stream' }]));
    expect(reply.parts[0]?.text).toBe('abc');
    expect(reply.parts[0]?.headers['transfer-encoding']).toBeUndefined();
  });

  it('answers HEAD parts without a body', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, buildBatch([{ method: 'HEAD', url: '/items/9' }]));
    expect(reply.parts[0]?.status).toBe(200);
    expect(reply.parts[0]?.body.length).toBe(0);
  });

  it('answers a route that throws with the app’s own 500 in that slot only', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/fail' },
        { method: 'GET', url: '/items/2' },
      ]),
    );
    expect(reply.parts.map((part) => part.status)).toEqual([500, 200]);
  });

  it('answers an unknown route with the app’s own 404', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/nowhere' }]));
    expect(reply.parts[0]?.status).toBe(404);
  });

  it('keeps serving ordinary HTTP requests after batches ran through the app', async () => {
    app = await startApp(framework);
    await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/items/1' },
        { method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, body: '{"a":1}' },
      ]),
    );
    const get = await send(app.url, '/items/5');
    expect(get.status).toBe(200);
    expect(get.json()).toEqual({ id: '5' });
    const post = await send(app.url, '/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"b":2}',
    });
    expect(post.status).toBe(201);
    expect(post.json()).toMatchObject({ body: { b: 2 } });
  });

  it('lets requests that are not for the batch endpoint pass through untouched', async () => {
    app = await startApp(framework);
    const reply = await send(app.url, '/items/1?x=1');
    expect(reply.json()).toEqual({ id: '1' });
    expect(app.hits).toEqual(['GET /items/1?x=1']);
  });
});
