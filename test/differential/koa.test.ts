import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { IncomingMessage, RequestListener } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import bodyParser from 'koa-bodyparser';
import compress from 'koa-compress';
import { describe, expect, it } from 'vitest';
import { batch } from '@inbatch/koa';
import type { DispatcherKind } from '@inbatch/core';
import { BINARY_300K, errorCode, FACT_REQUESTS, FACT_STATUSES, headerApiReport, ORIGIN, TEXT_20K } from './cases.js';
import { useDifferential } from './harness.js';
import type { Observer } from './observer.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/report.txt', import.meta.url));
const KOA = [
  ['koa3', Koa3],
  ['koa2', Koa2],
] as const;

/** The whole body of a request, read off the stream as a raw-body parser would. */
async function rawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** One Koa app with common middleware, recording what each inner request looks like. */
function differentialApp(Koa: typeof Koa3, kind: DispatcherKind, observer: Observer): RequestListener {
  const app = new Koa({ proxy: true });
  app.silent = true;
  app.keys = ['koa-secret'];
  app.use(batch({ dispatcher: kind, maxResponseBytes: 200_000, timeoutMs: 400 }));
  app.use(async (ctx, next) => {
    observer.track(ctx.req, ctx.res, {
      ip: ctx.ip,
      ips: ctx.ips,
      secure: ctx.secure,
      protocol: ctx.protocol,
      host: ctx.host,
      hostname: ctx.hostname,
      origin: ctx.origin,
      href: ctx.href,
      path: ctx.path,
      query: ctx.query,
      querystring: ctx.querystring,
      accepts: ctx.accepts(['json', 'html']),
      type: ctx.request.type,
      length: ctx.request.length ?? null,
      fresh: ctx.fresh,
    });
    await next();
  });
  app.use(compress({ threshold: 1 }));
  const router = new Router();
  router.get(['/facts', '/facts/:id'], (ctx) => {
    ctx.body = { id: ctx.params.id ?? null };
  });
  router.options('/facts', (ctx) => {
    ctx.set('Allow', 'GET, HEAD, OPTIONS');
    ctx.status = 204;
  });
  router.post('/json', bodyParser({ enableTypes: ['json', 'form', 'text'] }), (ctx) => {
    ctx.status = 201;
    ctx.body = { body: ctx.request.body, type: ctx.get('content-type'), length: ctx.get('content-length') };
  });
  router.post('/raw', async (ctx) => {
    const body = await rawBody(ctx.req);
    ctx.body = { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
  });
  router.get('/cookies', (ctx) => {
    ctx.cookies.set('plain', 'p', { signed: false });
    ctx.cookies.set('signed', 's', { signed: true });
    ctx.body = { a: ctx.cookies.get('a') ?? null, signed: ctx.cookies.get('signed', { signed: true }) ?? null };
  });
  router.get('/compressed', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = TEXT_20K;
  });
  router.get('/file', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = createReadStream(FIXTURE);
  });
  router.get('/redirect', (ctx) => {
    ctx.redirect('/facts?from=redirect');
  });
  router.get('/stream', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = Readable.from(
      (async function* chunks() {
        for (const chunk of ['one ', 'two ', 'three']) {
          yield chunk;
          await delay(1);
        }
      })(),
    );
  });
  router.get('/no-content', (ctx) => {
    ctx.status = 204;
  });
  router.get('/etag', (ctx) => {
    ctx.etag = '"v1"';
    ctx.body = 'a cached body';
    if (ctx.fresh) ctx.status = 304;
  });
  router.get('/big/:bytes', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = 'x'.repeat(Number(ctx.params.bytes));
  });
  router.get('/status-text', (ctx) => {
    ctx.status = 299;
    ctx.message = 'Custom Reason';
    ctx.body = 'custom';
  });
  router.get('/header-api', (ctx) => {
    ctx.respond = false;
    ctx.res.end(JSON.stringify(headerApiReport(ctx.res)));
  });
  router.get('/throw-sync', () => {
    throw new Error('sync failure');
  });
  router.get('/throw-async', async () => {
    await delay(1);
    throw Object.assign(new Error('teapot'), { status: 418, expose: true });
  });
  router.get('/fails-late', (ctx) => {
    let started = false;
    ctx.type = 'text/plain';
    ctx.body = new Readable({
      read() {
        if (started) return;
        started = true;
        this.push('partial');
        setImmediate(() => this.destroy(new Error('failed after the answer started')));
      },
    });
  });
  router.get('/hang', () => new Promise(() => {}));
  app.use(router.routes());
  const handle = app.callback();
  return (req, res) => void handle(req, res);
}

describe.each(KOA)('the fast dispatcher against light-my-request, on %s', (name, Koa) => {
  const { same } = useDifferential((kind, observer) => differentialApp(Koa, kind, observer));
  const outer = { localAddress: '127.0.0.2', headers: { 'X-Forwarded-For': '203.0.113.7', Origin: ORIGIN } };

  it('hands the app the same request: line, headers, raw headers, identity, socket, Koa’s view', async () => {
    const outcome = await same(FACT_REQUESTS, { ...outer, path: '/batch?lang=en' });
    expect(outcome.reply.parts.map((part) => part.status)).toEqual(FACT_STATUSES);
    expect(outcome.observations.c1?.framework).toMatchObject({ ip: '203.0.113.7', query: { lang: 'en' } });
    expect(outcome.observations.c1?.request).toMatchObject({ isIncomingMessage: false, setTimeout: 'undefined' });
  });

  it('hands the app the same bodies: JSON, form, text, 300 KB of binary, empty', async () => {
    const binary = BINARY_300K;
    const outcome = await same(
      [
        { method: 'POST', url: '/json', headers: { 'Content-Type': 'application/json' }, body: '{"a":[1,2],"b":"ü"}' },
        {
          method: 'POST',
          url: '/json',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'a=1&b=x+y',
        },
        { method: 'POST', url: '/json', headers: { 'Content-Type': 'text/plain' }, body: 'plain words' },
        { method: 'POST', url: '/raw', headers: { 'Content-Type': 'application/octet-stream' }, body: binary },
        { method: 'POST', url: '/json', headers: { 'Content-Type': 'application/json' } },
      ],
      outer,
    );
    expect(outcome.reply.parts.map((part) => part.status)).toEqual([201, 201, 201, 200, 201]);
  });

  it('gives the same answers: cookies, gzip, a file stream, redirect, a slow stream, 204, 304, a custom reason', async () => {
    const outcome = await same(
      [
        { method: 'GET', url: '/cookies', headers: { Cookie: 'a=1' } },
        { method: 'GET', url: '/compressed', headers: { 'Accept-Encoding': 'gzip' } },
        { method: 'GET', url: '/file' },
        { method: 'HEAD', url: '/file' },
        { method: 'GET', url: '/redirect' },
        { method: 'GET', url: '/stream' },
        { method: 'GET', url: '/no-content' },
        { method: 'GET', url: '/etag', headers: { 'If-None-Match': '"v1"' } },
        { method: 'GET', url: '/status-text' },
        { method: 'GET', url: '/header-api' },
      ],
      outer,
    );
    expect(outcome.reply.parts.map((part) => part.status)).toEqual([200, 200, 200, 200, 302, 200, 204, 304, 299, 203]);
    expect(outcome.reply.parts[0]?.headers['set-cookie']).toHaveLength(3);
    expect(outcome.reply.parts[1]?.headers['content-encoding']).toEqual(['gzip']);
  });

  it('cuts off the same answer past maxResponseBytes', async () => {
    const outcome = await same([
      { method: 'GET', url: '/big/150000' },
      { method: 'GET', url: '/big/250000' },
    ]);
    expect(outcome.reply.parts.map((part) => [part.status, errorCode(part)])).toEqual([
      [200, null],
      [502, 'batch.part.response_too_large'],
    ]);
  });

  it('fails the same way: sync and async errors, a stream failing after the answer started, a hung route', async () => {
    const outcome = await same([
      { method: 'GET', url: '/throw-sync' },
      { method: 'GET', url: '/throw-async' },
      { method: 'GET', url: '/fails-late' },
      { method: 'GET', url: '/hang' },
      { method: 'GET', url: '/facts' },
    ]);
    // Koa 3 destroys the response when a stream body fails; Koa 2 leaves it open until the timeout.
    const late = name === 'koa3' ? [502, 'batch.part.dispatch_failed'] : [504, 'batch.part.timeout'];
    expect(outcome.reply.parts.map((part) => [part.status, errorCode(part)])).toEqual([
      [500, null],
      [418, null],
      late,
      [504, 'batch.part.timeout'],
      [200, null],
    ]);
  });
});

describe.each(KOA)('the fast dispatcher against light-my-request over TLS, on %s', (_name, Koa) => {
  const { same } = useDifferential((kind, observer) => differentialApp(Koa, kind, observer), { https: true });

  it('hands the app the same TLS flag and protocol', async () => {
    const outcome = await same([{ method: 'GET', url: '/facts' }]);
    expect(outcome.observations.c1?.framework).toMatchObject({ secure: true, protocol: 'https' });
  });
});
