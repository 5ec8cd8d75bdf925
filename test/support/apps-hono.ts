import { setTimeout as delay } from 'node:timers/promises';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { batch } from '@inbatch/hono';
import type { AppOptions, Recorder } from './apps.js';

let created = 0;

/**
 * The test API of apps.ts on Hono (run by @hono/node-server). Hono has no "trust proxy"
 * setting: with `trustProxy` the app reads the forwarding headers itself, as one behind a
 * proxy does.
 */
export function honoApp(recorder: Recorder, options: AppOptions, binary: Buffer): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    const url = new URL(c.req.url);
    recorder.hits.push(`${c.req.method} ${url.pathname}${url.search}`);
    await next();
  });
  app.use(batch(app, { ...options.batch, getConnInfo }));
  app.get('/whoami', (c) => {
    const url = new URL(c.req.url);
    const forwarded = options.trustProxy === true ? c.req.header('x-forwarded-for')?.split(',')[0]?.trim() : undefined;
    const proto = options.trustProxy === true ? c.req.header('x-forwarded-proto') : undefined;
    const protocol = proto ?? url.protocol.slice(0, -1);
    return c.json({
      ip: forwarded ?? getConnInfo(c).remote.address,
      secure: protocol === 'https',
      protocol,
      hostname: url.hostname,
      method: c.req.method,
      url: url.pathname + url.search,
      headers: c.req.header(),
      query: c.req.query(),
    });
  });
  app.get('/items/:id', (c) => c.json({ id: c.req.param('id') }));
  app.post('/echo', async (c) =>
    c.json(
      {
        body: await c.req.json(),
        contentType: c.req.header('content-type') ?? null,
        contentLength: c.req.header('content-length') ?? null,
      },
      201,
    ),
  );
  app.get('/slow/:ms', async (c) => {
    await delay(Number(c.req.param('ms')));
    return c.json({ ms: Number(c.req.param('ms')) });
  });
  app.get('/never', async (c) => {
    c.req.raw.signal.addEventListener('abort', () => recorder.events.push('closed /never'));
    const hang: Promise<Response> = new Promise(() => undefined);
    return hang;
  });
  app.get('/big/:bytes', (c) => c.text('x'.repeat(Number(c.req.param('bytes')))));
  app.get('/stream', (c) => {
    c.header('content-type', 'text/plain');
    return stream(c, async (out) => {
      for (const chunk of ['a', 'b', 'c']) {
        await out.write(chunk);
        await delay(2);
      }
    });
  });
  app.get('/set-cookie/:name', (c) => {
    c.header('set-cookie', `${c.req.param('name')}=1; Path=/`);
    return c.json({ set: c.req.param('name') });
  });
  app.get('/fail', () => {
    throw new Error('route failed');
  });
  app.get('/admin/secret', (c) => c.json({ secret: true }));
  app.post('/items', async (c) => {
    const id = `item-${++created}`;
    c.header('location', `/items/${id}`);
    const body = await c.req.json<object>();
    return c.json({ id, ...body }, 201);
  });
  app.get('/binary', (c) => c.body(new Uint8Array(binary), 200, { 'content-type': 'application/octet-stream' }));
  app.post('/echo-text', async (c) => c.text(`${c.req.header('content-type')}|${await c.req.text()}`));
  app.post('/echo-bytes', async (c) =>
    c.body(await c.req.arrayBuffer(), 200, { 'content-type': 'application/octet-stream' }),
  );
  return app;
}
