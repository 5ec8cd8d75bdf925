import { gunzipSync } from 'node:zlib';
import compression from 'compression';
import cors from 'cors';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { batch } from '@inbatch/express';
import { EXPRESS, batchOf, gets, useServers } from './helpers.js';

const GOOD = 'https://good.example';
const EVIL = 'https://evil.example';
// Larger than compression()'s 1 KiB default threshold.
const LONG_TEXT = 'hello batch '.repeat(400);

describe.each(EXPRESS)('helmet inside inner requests, on %s', (_name, express) => {
  const serve = useServers();

  it('puts helmet’s headers on each inner answer and removes X-Powered-By', async () => {
    const app = express();
    app.use(helmet());
    app.use(batch());
    app.get('/page', (_req, res) => {
      res.json({ page: true });
    });
    const server = await serve(app);
    const reply = await batchOf(server, gets('/page', 2));
    for (const part of reply.parts) {
      expect(part.status).toBe(200);
      expect(part.json()).toEqual({ page: true });
      expect(part.headers).toMatchObject({
        'content-security-policy': [expect.stringContaining("default-src 'self'")],
        'strict-transport-security': ['max-age=31536000; includeSubDomains'],
        'x-content-type-options': ['nosniff'],
        'x-frame-options': ['SAMEORIGIN'],
        'referrer-policy': ['no-referrer'],
        'cross-origin-opener-policy': ['same-origin'],
      });
      expect(part.headers['x-powered-by']).toBeUndefined();
    }
    expect(reply.parts).toHaveLength(2);
  });
});

describe.each(EXPRESS)('cors inside inner requests, on %s', (_name, express) => {
  const serve = useServers();

  function corsApp() {
    const app = express();
    app.use(cors({ origin: [GOOD], credentials: true }));
    app.use(batch());
    app.get('/data', (req, res) => {
      res.json({ origin: req.get('origin') ?? null });
    });
    app.delete('/data', (_req, res) => {
      res.json({ deleted: true });
    });
    return app;
  }

  it('gives each inner answer the CORS headers for an allowed outer Origin', async () => {
    const server = await serve(corsApp());
    const reply = await batchOf(server, gets('/data'), { headers: { Origin: GOOD } });
    const [part] = reply.parts;
    expect(reply.headers['access-control-allow-origin']).toBe(GOOD);
    expect(part?.status).toBe(200);
    expect(part?.json()).toEqual({ origin: GOOD });
    expect(part?.headers['access-control-allow-origin']).toEqual([GOOD]);
    expect(part?.headers['access-control-allow-credentials']).toEqual(['true']);
    expect(part?.headers.vary).toEqual(['Origin']);
  });

  it('ignores an Origin header set on an inner request: an allowed inner Origin under a refused outer one gets no CORS headers', async () => {
    const server = await serve(corsApp());
    const reply = await batchOf(server, [{ method: 'GET', url: '/data', headers: { Origin: GOOD } }], {
      headers: { Origin: EVIL },
    });
    const [part] = reply.parts;
    expect(part?.status).toBe(200);
    expect(part?.json()).toEqual({ origin: EVIL });
    expect(part?.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers an inner OPTIONS preflight with cors’ 204 and its allowed methods', async () => {
    const server = await serve(corsApp());
    const reply = await batchOf(
      server,
      [{ method: 'OPTIONS', url: '/data', headers: { 'Access-Control-Request-Method': 'DELETE' } }],
      { headers: { Origin: GOOD } },
    );
    const [part] = reply.parts;
    expect(part?.status).toBe(204);
    expect(part?.text).toBe('');
    expect(part?.headers['access-control-allow-origin']).toEqual([GOOD]);
    expect(part?.headers['access-control-allow-methods']).toEqual(['GET,HEAD,PUT,PATCH,POST,DELETE']);
  });
});

describe.each(EXPRESS)('compression inside inner requests, on %s', (_name, express) => {
  const serve = useServers();

  function compressedApp(mount: 'before batch()' | 'after batch()') {
    const app = express();
    if (mount === 'before batch()') app.use(compression());
    app.use(batch());
    if (mount === 'after batch()') app.use(compression());
    app.get('/long', (_req, res) => {
      res.type('text/plain').send(LONG_TEXT);
    });
    return app;
  }

  it('gzips an inner answer inside its part when the outer Accept-Encoding allows gzip', async () => {
    const server = await serve(compressedApp('after batch()'));
    const reply = await batchOf(server, gets('/long'), { headers: { 'Accept-Encoding': 'gzip' } });
    const [part] = reply.parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-encoding']).toEqual(['gzip']);
    expect(part?.headers['content-length']).toEqual([String(part?.body.length)]);
    expect(part?.body.length).toBeLessThan(LONG_TEXT.length);
    expect(gunzipSync(part?.body ?? Buffer.alloc(0)).toString()).toBe(LONG_TEXT);
  });

  it('sends the plain body when the inner request asks for Accept-Encoding: identity', async () => {
    const server = await serve(compressedApp('after batch()'));
    const reply = await batchOf(server, [{ method: 'GET', url: '/long', headers: { 'Accept-Encoding': 'identity' } }], {
      headers: { 'Accept-Encoding': 'gzip' },
    });
    const [part] = reply.parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-encoding']).toBeUndefined();
    expect(part?.text).toBe(LONG_TEXT);
  });

  it('sends plain inner answers when the batch request has no Accept-Encoding', async () => {
    const server = await serve(compressedApp('after batch()'));
    const [part] = (await batchOf(server, gets('/long'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-encoding']).toBeUndefined();
    expect(part?.text).toBe(LONG_TEXT);
  });

  it('never compresses the multipart batch answer itself, even when mounted before batch()', async () => {
    const server = await serve(compressedApp('before batch()'));
    const reply = await batchOf(server, gets('/long'), { headers: { 'Accept-Encoding': 'gzip' } });
    const [part] = reply.parts;
    expect(reply.status).toBe(200);
    expect(reply.headers['content-encoding']).toBeUndefined();
    expect(part?.status).toBe(200);
    expect(part?.headers['content-encoding']).toEqual(['gzip']);
    expect(gunzipSync(part?.body ?? Buffer.alloc(0)).toString()).toBe(LONG_TEXT);
  });
});
