import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { describe, expect, it } from 'vitest';
import { batch } from '@inbatch/express';
import { send } from '../support/http.js';
import { EXPRESS, batchOf, gets, useServers } from './helpers.js';

const CLIENT_A = '127.0.0.2';
const CLIENT_B = '127.0.0.3';
const REFUSED = 'Too many requests, please try again later.';

describe.each(EXPRESS)('express-rate-limit v8 inside inner requests, on %s', (_name, express) => {
  const serve = useServers();

  /** `GET /limited` behind a limiter of `limit` per minute; `logged` collects its validation messages. */
  function limitedApp(limit: number, options: { global?: boolean; trustProxy?: string; concurrency?: number } = {}) {
    const logged: string[] = [];
    const limiter: RequestHandler = rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: 'draft-6',
      legacyHeaders: false,
      logger: {
        warn: (warning: unknown) => logged.push(`warn ${String(warning)}`),
        error: (error: unknown) => logged.push(`error ${String(error)}`),
      },
    });
    const app = express();
    if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);
    if (options.global) app.use(limiter);
    app.use(batch(options.concurrency === undefined ? {} : { concurrency: options.concurrency }));
    const handler: RequestHandler = (req, res) => {
      res.json({ ip: req.ip });
    };
    if (options.global) app.get('/limited', handler);
    else app.get('/limited', limiter, handler);
    return { app, logged };
  }

  it('counts a batch of N inner requests as N hits against the limit', async () => {
    const { app } = limitedApp(5);
    const server = await serve(app);
    const reply = await batchOf(server, gets('/limited', 3), { localAddress: CLIENT_A });
    expect(reply.parts.map((part) => [part.status, part.json()])).toEqual([
      [200, { ip: CLIENT_A }],
      [200, { ip: CLIENT_A }],
      [200, { ip: CLIENT_A }],
    ]);
    const direct = await send(server.url, '/limited', { localAddress: CLIENT_A });
    expect(direct.status).toBe(200);
    expect(direct.headers['ratelimit-remaining']).toBe('1');
    expect(direct.json()).toEqual({ ip: CLIENT_A });
  });

  it('refuses only the inner requests past the limit, even when they run concurrently: 4 against 3 answer 200, 200, 200, 429', async () => {
    const { app } = limitedApp(3);
    const server = await serve(app);
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
    const { app } = limitedApp(3, { concurrency: 1 });
    const server = await serve(app);
    const reply = await batchOf(server, gets('/limited', 4), { localAddress: CLIENT_A });
    expect(reply.parts.map((part) => [part.status, part.text])).toEqual([
      [200, JSON.stringify({ ip: CLIENT_A })],
      [200, JSON.stringify({ ip: CLIENT_A })],
      [200, JSON.stringify({ ip: CLIENT_A })],
      [429, REFUSED],
    ]);
  });

  it('keeps a bucket per real client: 127.0.0.2 using up its quota leaves 127.0.0.3 untouched', async () => {
    const { app } = limitedApp(3);
    const server = await serve(app);
    const first = await batchOf(server, gets('/limited', 3), { localAddress: CLIENT_A });
    const exhausted = await batchOf(server, gets('/limited'), { localAddress: CLIENT_A });
    const other = await batchOf(server, gets('/limited'), { localAddress: CLIENT_B });
    expect(first.parts.map((part) => part.status)).toEqual([200, 200, 200]);
    expect(exhausted.parts[0]?.status).toBe(429);
    expect(exhausted.parts[0]?.text).toBe(REFUSED);
    expect(other.parts[0]?.status).toBe(200);
    expect(other.parts[0]?.headers['ratelimit-remaining']).toEqual(['2']);
    expect(other.parts[0]?.json()).toEqual({ ip: CLIENT_B });
  });

  it('counts the batch request itself too when the limiter is mounted before batch() (N + 1)', async () => {
    const { app } = limitedApp(5, { global: true });
    const server = await serve(app);
    const reply = await batchOf(server, gets('/limited', 3), { localAddress: CLIENT_A });
    expect(reply.status).toBe(200);
    expect(reply.headers['ratelimit-remaining']).toBe('4');
    expect(reply.parts.map((part) => part.status)).toEqual([200, 200, 200]);
    const direct = await send(server.url, '/limited', { localAddress: CLIENT_A });
    expect(direct.status).toBe(200);
    expect(direct.headers['ratelimit-remaining']).toBe('0');
    expect(direct.json()).toEqual({ ip: CLIENT_A });
  });

  it('with trust proxy, buckets by the outer X-Forwarded-For and ignores one set on an inner request', async () => {
    const { app } = limitedApp(2, { trustProxy: 'loopback' });
    const server = await serve(app);
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

  it('raises none of its validation errors or warnings for inner requests', async () => {
    const { app, logged } = limitedApp(5);
    const server = await serve(app);
    // The limiter runs each check once, on the first request it sees: make that an inner one.
    const reply = await batchOf(server, gets('/limited', 2), { localAddress: CLIENT_A });
    expect(reply.parts.map((part) => [part.status, part.json()])).toEqual([
      [200, { ip: CLIENT_A }],
      [200, { ip: CLIENT_A }],
    ]);
    expect(logged).toEqual([]);
  });
});
