import { gunzipSync } from 'node:zlib';
import compress from 'koa-compress';
import { describe, expect, it } from 'vitest';
import { batch } from '@inbatch/koa';
import { KOA, batchOf, gets, koaListener, useServers } from './helpers.js';

// Larger than koa-compress's 1 KiB default threshold.
const LONG_TEXT = 'hello batch '.repeat(400);

describe.each(KOA)('koa-compress inside inner requests, on %s', (_name, Koa) => {
  const serve = useServers();

  function compressedApp(mount: 'before batch()' | 'after batch()') {
    const app = new Koa();
    app.silent = true;
    if (mount === 'before batch()') app.use(compress());
    app.use(batch());
    if (mount === 'after batch()') app.use(compress());
    app.use((ctx) => {
      ctx.type = 'text/plain';
      ctx.body = LONG_TEXT;
    });
    return app;
  }

  it('gzips an inner answer inside its part when the outer Accept-Encoding allows gzip', async () => {
    const server = await serve(koaListener(compressedApp('after batch()')));
    const reply = await batchOf(server, gets('/long'), { headers: { 'Accept-Encoding': 'gzip' } });
    const [part] = reply.parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-encoding']).toEqual(['gzip']);
    expect(part?.headers.vary).toEqual(['Accept-Encoding']);
    expect(part?.headers['content-length']).toEqual([String(part?.body.length)]);
    expect(part?.body.length).toBeLessThan(LONG_TEXT.length);
    expect(gunzipSync(part?.body ?? Buffer.alloc(0)).toString()).toBe(LONG_TEXT);
  });

  it('sends the plain body when the inner request asks for Accept-Encoding: identity', async () => {
    const server = await serve(koaListener(compressedApp('after batch()')));
    const reply = await batchOf(server, [{ method: 'GET', url: '/long', headers: { 'Accept-Encoding': 'identity' } }], {
      headers: { 'Accept-Encoding': 'gzip' },
    });
    const [part] = reply.parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-encoding']).toBeUndefined();
    expect(part?.text).toBe(LONG_TEXT);
  });

  it('sends plain inner answers when the batch request has no Accept-Encoding', async () => {
    const server = await serve(koaListener(compressedApp('after batch()')));
    const [part] = (await batchOf(server, gets('/long'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-encoding']).toBeUndefined();
    expect(part?.text).toBe(LONG_TEXT);
  });

  it('never compresses the multipart batch answer itself, even when mounted before batch()', async () => {
    const server = await serve(koaListener(compressedApp('before batch()')));
    const reply = await batchOf(server, gets('/long'), { headers: { 'Accept-Encoding': 'gzip' } });
    const [part] = reply.parts;
    expect(reply.status).toBe(200);
    expect(reply.headers['content-encoding']).toBeUndefined();
    expect(part?.status).toBe(200);
    expect(part?.headers['content-encoding']).toEqual(['gzip']);
    expect(gunzipSync(part?.body ?? Buffer.alloc(0)).toString()).toBe(LONG_TEXT);
  });
});
