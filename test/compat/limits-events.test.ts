import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { send } from '../support/http.js';
import { EXPRESS, KOA, batchOf, gets, koaListener, useServers } from './helpers.js';

// Request and response lifecycle events, as listeners for logging, metrics and cleanup see
// them. Over the wire each request gets: res 'finish' once, res 'close' once, req 'close' once.

/** Counts the lifecycle events of the requests to `/observed`, by path. */
function eventCounter() {
  const counts: Record<string, number> = {};
  const count = (name: string) => () => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  return {
    counts,
    observe(req: IncomingMessage, res: ServerResponse) {
      res.on('finish', count('res finish'));
      res.on('close', count('res close'));
      req.on('close', count('req close'));
    },
  };
}

const OVER_THE_WIRE = { 'res finish': 1, 'res close': 1, 'req close': 1 };

describe.each(EXPRESS)('request and response events inside inner requests, on %s', (_name, express) => {
  const serve = useServers();

  function eventsApp() {
    const events = eventCounter();
    const app = express();
    app.use(expressBatch());
    app.get('/observed', (req, res) => {
      events.observe(req, res);
      res.json({ observed: true });
    });
    app.get('/counts', (_req, res) => {
      res.json(events.counts);
      for (const name of Object.keys(events.counts)) delete events.counts[name];
    });
    return app;
  }

  it('over the wire, for comparison: res finish, res close and req close each fire once', async () => {
    const server = await serve(eventsApp());
    const direct = await send(server.url, '/observed');
    expect(direct.status).toBe(200);
    expect((await send(server.url, '/counts')).json()).toEqual(OVER_THE_WIRE);
  });

  it('fires res finish, res close and req close once each for an inner request, as over the wire', async () => {
    const server = await serve(eventsApp());
    const reply = await batchOf(server, gets('/observed'));
    expect(reply.parts[0]?.status).toBe(200);
    expect(reply.parts[0]?.json()).toEqual({ observed: true });
    expect((await send(server.url, '/counts')).json()).toEqual(OVER_THE_WIRE);
  });
});

describe.each(KOA)('request and response events inside inner requests, on %s', (_name, Koa) => {
  const serve = useServers();

  function eventsApp() {
    const events = eventCounter();
    const app = new Koa();
    app.silent = true;
    app.use(koaBatch());
    app.use((ctx) => {
      if (ctx.path === '/observed') {
        events.observe(ctx.req, ctx.res);
        ctx.body = { observed: true };
        return;
      }
      ctx.body = { ...events.counts };
      for (const name of Object.keys(events.counts)) delete events.counts[name];
    });
    return app;
  }

  it('over the wire, for comparison: res finish, res close and req close each fire once', async () => {
    const server = await serve(koaListener(eventsApp()));
    const direct = await send(server.url, '/observed');
    expect(direct.status).toBe(200);
    expect((await send(server.url, '/counts')).json()).toEqual(OVER_THE_WIRE);
  });

  it('fires res finish, res close and req close once each for an inner request, as over the wire', async () => {
    const server = await serve(koaListener(eventsApp()));
    const reply = await batchOf(server, gets('/observed'));
    expect(reply.parts[0]?.status).toBe(200);
    expect(reply.parts[0]?.json()).toEqual({ observed: true });
    expect((await send(server.url, '/counts')).json()).toEqual(OVER_THE_WIRE);
  });
});
