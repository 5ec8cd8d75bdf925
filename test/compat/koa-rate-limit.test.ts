import Router, { type RouterContext } from '@koa/router';
import ratelimit from 'koa-ratelimit';
import { describe, expect, it } from 'vitest';
import { batch } from '@inbatch/koa';
import { send } from '../support/http.js';
import { KOA, batchOf, gets, koaListener, useServers } from './helpers.js';

const CLIENT_A = '127.0.0.2';
const CLIENT_B = '127.0.0.3';
const REFUSED = 'Slow down.';

describe.each(KOA)('koa-ratelimit (memory driver) inside inner requests, on %s', (_name, Koa) => {
  const serve = useServers();

  /** `GET /limited` behind a limit of `max` per minute, or every request when `global`. */
  function limitedApp(max: number, options: { global?: boolean; proxy?: boolean; concurrency?: number } = {}) {
    const limiter = ratelimit({ driver: 'memory', db: new Map(), duration: 60_000, max, errorMessage: REFUSED });
    const app = new Koa();
    app.silent = true;
    app.proxy = options.proxy === true;
    if (options.global) app.use(limiter);
    app.use(batch(options.concurrency === undefined ? {} : { concurrency: options.concurrency }));
    const router = new Router();
    const handler = (ctx: RouterContext) => {
      ctx.body = { ip: ctx.ip };
    };
    if (options.global) router.get('/limited', handler);
    else router.get('/limited', limiter, handler);
    app.use(router.routes());
    return app;
  }

  it('counts a batch of N inner requests as N hits against the limit', async () => {
    const server = await serve(koaListener(limitedApp(5)));
    const reply = await batchOf(server, gets('/limited', 3), { localAddress: CLIENT_A });
    expect(reply.parts.map((part) => [part.status, part.json()])).toEqual([
      [200, { ip: CLIENT_A }],
      [200, { ip: CLIENT_A }],
      [200, { ip: CLIENT_A }],
    ]);
    const direct = await send(server.url, '/limited', { localAddress: CLIENT_A });
    expect(direct.status).toBe(200);
    expect(direct.headers['x-ratelimit-remaining']).toBe('1');
    expect(direct.json()).toEqual({ ip: CLIENT_A });
  });

  it('refuses only the inner requests past the limit, even when they run concurrently: 4 against 3 answer 200, 200, 200, 429', async () => {
    const server = await serve(koaListener(limitedApp(3)));
    const reply = await batchOf(server, gets('/limited', 4), { localAddress: CLIENT_A });
    expect(reply.status).toBe(200);
    expect(reply.parts.map((part) => [part.status, part.text])).toEqual([
      [200, JSON.stringify({ ip: CLIENT_A })],
      [200, JSON.stringify({ ip: CLIENT_A })],
      [200, JSON.stringify({ ip: CLIENT_A })],
      [429, REFUSED],
    ]);
  });

  it('answers 200, 200, 200, 429 for 4 against 3 when the batch runs with concurrency: 1 (the workaround)', async () => {
    const server = await serve(koaListener(limitedApp(3, { concurrency: 1 })));
    const reply = await batchOf(server, gets('/limited', 4), { localAddress: CLIENT_A });
    expect(reply.parts.map((part) => [part.status, part.text])).toEqual([
      [200, JSON.stringify({ ip: CLIENT_A })],
      [200, JSON.stringify({ ip: CLIENT_A })],
      [200, JSON.stringify({ ip: CLIENT_A })],
      [429, REFUSED],
    ]);
  });

  it('keeps a bucket per real client: 127.0.0.2 using up its quota leaves 127.0.0.3 untouched', async () => {
    const server = await serve(koaListener(limitedApp(3)));
    const first = await batchOf(server, gets('/limited', 3), { localAddress: CLIENT_A });
    const exhausted = await batchOf(server, gets('/limited'), { localAddress: CLIENT_A });
    const other = await batchOf(server, gets('/limited'), { localAddress: CLIENT_B });
    expect(first.parts.map((part) => part.status)).toEqual([200, 200, 200]);
    expect(exhausted.parts[0]?.status).toBe(429);
    expect(exhausted.parts[0]?.text).toBe(REFUSED);
    expect(other.parts[0]?.status).toBe(200);
    expect(other.parts[0]?.headers['x-ratelimit-remaining']).toEqual(['2']);
    expect(other.parts[0]?.json()).toEqual({ ip: CLIENT_B });
  });

  it('counts the batch request itself too when the limiter is mounted before batch() (N + 1)', async () => {
    const server = await serve(koaListener(limitedApp(5, { global: true })));
    const reply = await batchOf(server, gets('/limited', 3), { localAddress: CLIENT_A });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-ratelimit-remaining']).toBe('4');
    expect(reply.parts.map((part) => part.status)).toEqual([200, 200, 200]);
    const direct = await send(server.url, '/limited', { localAddress: CLIENT_A });
    expect(direct.status).toBe(200);
    expect(direct.headers['x-ratelimit-remaining']).toBe('0');
    expect(direct.json()).toEqual({ ip: CLIENT_A });
  });

  it('with app.proxy, buckets by the outer X-Forwarded-For and ignores one set on an inner request', async () => {
    const server = await serve(koaListener(limitedApp(2, { proxy: true })));
    const spoofing = (xff: string) => ({ method: 'GET', url: '/limited', headers: { 'X-Forwarded-For': xff } });
    const outer = { localAddress: CLIENT_A, headers: { 'X-Forwarded-For': '203.0.113.7' } };
    const first = await batchOf(server, [spoofing('10.0.0.1'), spoofing('10.0.0.2')], outer);
    const second = await batchOf(server, [spoofing('10.0.0.3')], outer);
    expect(first.parts.map((part) => [part.status, part.json()])).toEqual([
      [200, { ip: '203.0.113.7' }],
      [200, { ip: '203.0.113.7' }],
    ]);
    expect(second.parts.map((part) => [part.status, part.text])).toEqual([[429, REFUSED]]);
  });
});
