import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import cors from 'cors';
import express5 from 'express';
import express4 from 'express4';
import session from 'express-session';
import helmet from 'helmet';
import multer from 'multer';
import { describe, expect, it } from 'vitest';
import { batch } from '@inbatch/express';
import type { DispatcherKind } from '@inbatch/core';
import {
  BINARY_300K,
  errorCode,
  FACT_REQUESTS,
  FACT_STATUSES,
  formData,
  headerApiReport,
  ORIGIN,
  TEXT_20K,
} from './cases.js';
import { useDifferential } from './harness.js';
import type { Observer } from './observer.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/report.txt', import.meta.url));
const EXPRESS = [
  ['express5', express5],
  ['express4', express4],
] as const;

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

type Express = typeof express5;

/** One Express app with the middleware people mount, recording what each inner request looks like. */
function differentialApp(express: Express, kind: DispatcherKind, observer: Observer) {
  const app = express();
  // Express logs route errors unless its env is 'test'; its error page would show their stacks.
  app.set('env', 'test');
  app.set('trust proxy', 'loopback');
  app.use((req, res, next) => {
    observer.track(req, res, {
      ip: req.ip,
      ips: req.ips,
      secure: req.secure,
      protocol: req.protocol,
      hostname: req.hostname ?? null,
      host: req.get('host') ?? null,
      userAgent: req.get('user-agent') ?? null,
      path: req.path,
      query: req.query,
      originalUrl: req.originalUrl,
      xhr: req.xhr,
      accepts: req.accepts(['json', 'html']),
    });
    next();
  });
  app.use(batch({ dispatcher: kind, maxResponseBytes: 200_000, timeoutMs: 400 }));
  app.use(helmet());
  app.use(cors({ origin: [ORIGIN], credentials: true }));
  app.use(cookieParser('cookie-secret'));
  app.use(
    session({
      secret: 'session-secret',
      resave: false,
      saveUninitialized: false,
      genid: () => 'fixed-session-id',
      store: new session.MemoryStore(),
    }),
  );
  app.get(['/facts', '/facts/:id'], (req, res) => {
    res.json({ id: req.params.id ?? null });
  });
  app.post('/json', express.json(), (req, res) => {
    res.status(201).json({ body: req.body, type: req.get('content-type') ?? null, length: req.get('content-length') });
  });
  app.post('/form', express.urlencoded({ extended: false }), (req, res) => {
    res.json(req.body);
  });
  app.post('/text', express.text(), (req, res) => {
    res.type('text/plain').send(`got ${String(req.body)}`);
  });
  app.post('/raw', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    res.json({ bytes: body.length, sha256: sha256(body) });
  });
  app.post('/upload', multer({ storage: multer.memoryStorage() }).single('file'), (req, res) => {
    res.status(201).json({
      title: (req.body as { title?: string }).title ?? null,
      size: req.file?.size ?? null,
      sha256: req.file === undefined ? null : sha256(req.file.buffer),
    });
  });
  app.get('/cookies', (req, res) => {
    res.cookie('plain', 'p', { path: '/' });
    res.cookie('signed', 's', { signed: true });
    res.clearCookie('gone');
    res.json({ cookies: req.cookies as unknown, signed: req.signedCookies as unknown });
  });
  app.post('/session', (req, res) => {
    const data = req.session as unknown as { views?: number };
    data.views = (data.views ?? 0) + 1;
    res.json({ views: data.views, id: req.sessionID });
  });
  app.get('/compressed', compression({ threshold: 1 }), (_req, res) => {
    res.type('text/plain').send(TEXT_20K);
  });
  app.get('/file', (_req, res, next) => {
    res.sendFile(FIXTURE, (error) => {
      if (error) next(error);
    });
  });
  app.get('/redirect', (_req, res) => {
    res.redirect('/facts?from=redirect');
  });
  app.get('/stream', async (_req, res) => {
    res.type('text/plain');
    for (const chunk of ['one ', 'two ', 'three']) {
      res.write(chunk);
      await delay(1);
    }
    res.end();
  });
  app.get('/pipe', (_req, res) => {
    res.type('text/plain');
    Readable.from(['a', 'b', 'c']).pipe(res);
  });
  app.get('/backpressure', async (_req, res) => {
    // A producer that honours write()'s answer and waits for drain, as stream.pipe does.
    res.type('text/plain');
    for (let i = 0; i < 10; i++) {
      if (!res.write(String(i).repeat(16 * 1024))) await once(res, 'drain');
    }
    res.end();
  });
  app.get('/no-content', (_req, res) => {
    res.status(204).end();
  });
  app.get('/etag', (_req, res) => {
    res.send('a cached body');
  });
  app.get('/big/:bytes', (req, res) => {
    res.type('text/plain').send('x'.repeat(Number(req.params.bytes)));
  });
  app.get('/status-text', (_req, res) => {
    res.statusMessage = 'Custom Reason';
    res.status(299).send('custom');
  });
  app.get('/write-head', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Object': 'o' });
    res.end('written');
  });
  app.get('/write-head-array', (_req, res) => {
    res.setHeader('X-Before', 'b');
    res.writeHead(200, 'Fine', ['Content-Type', 'text/plain', 'X-Array', 'a', 'X-Array', 'b']);
    res.end('array');
  });
  app.get('/header-api', (_req, res) => {
    res.end(JSON.stringify(headerApiReport(res)));
  });
  app.get('/write-after-end', (req, res) => {
    res.end('done');
    res.write('late', (error) => observer.note(req, `write after end: ${(error as { code?: string }).code}`));
  });
  app.get('/throw-sync', () => {
    throw new Error('sync failure');
  });
  app.get('/throw-async', (_req, _res, next) => {
    void delay(1).then(() => next(new Error('async failure')));
  });
  app.get('/fails-late', (_req, res, next) => {
    res.type('text/plain');
    res.write('partial');
    setImmediate(() => next(new Error('failed after the answer started')));
  });
  app.get('/hang', () => {});
  app.use(
    (
      error: Error,
      _req: IncomingMessage,
      res: ServerResponse & { headersSent: boolean },
      next: (error: Error) => void,
    ) => {
      if (res.headersSent) {
        next(error);
        return;
      }
      res.statusCode = 500;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ failed: error.message }));
    },
  );
  return app as unknown as (req: IncomingMessage, res: ServerResponse) => void;
}

describe.each(EXPRESS)('the fast dispatcher against light-my-request, on %s', (_name, express) => {
  const { same, run } = useDifferential((kind, observer) => differentialApp(express, kind, observer));
  const outer = { localAddress: '127.0.0.2', headers: { 'X-Forwarded-For': '203.0.113.7', Origin: ORIGIN } };

  it('hands the app the same request: line, headers, raw headers, identity, socket, framework view', async () => {
    const outcome = await same(FACT_REQUESTS, { ...outer, path: '/batch?lang=en' });
    expect(outcome.reply.parts.map((part) => part.status)).toEqual(FACT_STATUSES);
    expect(outcome.observations.c1?.framework).toMatchObject({ ip: '203.0.113.7', query: { lang: 'en' } });
  });

  it('hands the app the same bodies: JSON, form, text, 300 KB of binary, multipart upload, empty', async () => {
    const binary = BINARY_300K;
    const outcome = await same(
      [
        { method: 'POST', url: '/json', headers: { 'Content-Type': 'application/json' }, body: '{"a":[1,2],"b":"ü"}' },
        {
          method: 'POST',
          url: '/form',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'a=1&b=x+y',
        },
        { method: 'POST', url: '/text', headers: { 'Content-Type': 'text/plain' }, body: 'plain words' },
        { method: 'POST', url: '/raw', headers: { 'Content-Type': 'application/octet-stream' }, body: binary },
        { method: 'POST', url: '/upload', headers: formData.headers, body: formData.body },
        { method: 'POST', url: '/json', headers: { 'Content-Type': 'application/json' } },
      ],
      outer,
    );
    expect(outcome.reply.parts.map((part) => part.status)).toEqual([201, 200, 200, 200, 201, 201]);
    expect(outcome.reply.parts[3]?.json()).toEqual({ bytes: binary.length, sha256: sha256(binary) });
  });

  it('gives the same answers: cookies, a session, gzip, sendFile (GET, HEAD, Range, 304), redirect, streams', async () => {
    const outcome = await same(
      [
        { method: 'GET', url: '/cookies', headers: { Cookie: 'a=1; b=2' } },
        { method: 'POST', url: '/session' },
        { method: 'GET', url: '/compressed', headers: { 'Accept-Encoding': 'gzip' } },
        { method: 'GET', url: '/file' },
        { method: 'HEAD', url: '/file' },
        { method: 'GET', url: '/file', headers: { Range: 'bytes=10-29' } },
        { method: 'GET', url: '/file', headers: { 'If-Modified-Since': 'Fri, 01 Jan 2100 00:00:00 GMT' } },
        { method: 'GET', url: '/redirect' },
        { method: 'GET', url: '/stream' },
        { method: 'GET', url: '/pipe' },
        { method: 'GET', url: '/no-content' },
        { method: 'GET', url: '/status-text' },
        { method: 'GET', url: '/backpressure' },
      ],
      outer,
    );
    expect(outcome.reply.parts.map((part) => part.status)).toEqual([
      200, 200, 200, 200, 200, 206, 304, 302, 200, 200, 204, 299, 200,
    ]);
    expect(outcome.reply.parts[12]?.body.length).toBe(10 * 16 * 1024);
    expect(outcome.reply.parts[0]?.headers['set-cookie']).toHaveLength(3);
    expect(outcome.reply.parts[2]?.headers['content-encoding']).toEqual(['gzip']);
    expect(outcome.reply.parts[11]?.statusText).toBe('Custom Reason');
  });

  it('gives the same answers to the response API: writeHead forms, header methods, their errors', async () => {
    const outcome = await same([
      { method: 'GET', url: '/write-head' },
      { method: 'GET', url: '/write-head-array' },
      { method: 'GET', url: '/header-api' },
    ]);
    expect(outcome.reply.parts[1]?.statusText).toBe('Fine');
    expect(outcome.reply.parts[2]?.status).toBe(203);
  });

  it('gives the same 304 for a matching ETag, and the same cut-off past maxResponseBytes', async () => {
    const first = await run([{ method: 'GET', url: '/etag' }]);
    const etag = first.fast.reply.parts[0]?.headers.etag?.[0] ?? '';
    expect(etag).toBe(first['light-my-request'].reply.parts[0]?.headers.etag?.[0]);
    const outcome = await same([
      { method: 'GET', url: '/etag', headers: { 'If-None-Match': etag } },
      { method: 'GET', url: '/big/150000' },
      { method: 'GET', url: '/big/250000' },
    ]);
    expect(outcome.reply.parts.map((part) => part.status)).toEqual([304, 200, 502]);
    expect(outcome.reply.parts[2]?.json().error.code).toBe('batch.part.response_too_large');
  });

  it('fails the same way: sync and async errors, a failure after the answer started, a hung route', async () => {
    const outcome = await same([
      { method: 'GET', url: '/throw-sync' },
      { method: 'GET', url: '/throw-async' },
      { method: 'GET', url: '/fails-late' },
      { method: 'GET', url: '/hang' },
      { method: 'GET', url: '/facts' },
    ]);
    expect(outcome.reply.parts.map((part) => [part.status, errorCode(part)])).toEqual([
      [500, null],
      [500, null],
      [502, 'batch.part.dispatch_failed'],
      [504, 'batch.part.timeout'],
      [200, null],
    ]);
  });
});

describe.each(EXPRESS)('the fast dispatcher against light-my-request over TLS, on %s', (_name, express) => {
  const { same } = useDifferential((kind, observer) => differentialApp(express, kind, observer), { https: true });

  it('hands the app the same TLS flag, protocol and secure cookies', async () => {
    const outcome = await same([
      { method: 'GET', url: '/facts' },
      { method: 'GET', url: '/cookies' },
    ]);
    expect(outcome.observations.c1?.framework).toMatchObject({ secure: true, protocol: 'https' });
    expect(outcome.observations.c1?.request).toMatchObject({ encrypted: true });
  });
});
