import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { connect, createSecureServer, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { buildBatch, parseAnswer } from '../support/multipart.js';
import { EXPRESS, KOA, batchOf, gets, koaListener, useServers } from './helpers.js';

const PART_TIMEOUT_MS = 200;

const UPGRADE_HEADERS = {
  Upgrade: 'websocket',
  Connection: 'Upgrade',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version': '13',
};

/** What a WebSocket handler would look at. */
function upgradeFacts(req: IncomingMessage) {
  return {
    upgrade: req.headers.upgrade ?? null,
    connection: req.headers.connection ?? null,
    key: req.headers['sec-websocket-key'] ?? null,
    version: req.headers['sec-websocket-version'] ?? null,
  };
}

const PLAIN_GET = { upgrade: null, connection: null, key: null, version: null };

describe.each(EXPRESS)('never-ending answers and upgrades inside inner requests, on %s', (_name, express) => {
  const serve = useServers();

  function streamingApp(events: string[]) {
    const app = express();
    app.use(expressBatch({ timeoutMs: PART_TIMEOUT_MS }));
    app.get('/events', (_req, res) => {
      res.on('close', () => events.push('closed'));
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      res.write('data: first\n\n');
    });
    app.get('/items', (_req, res) => {
      res.json({ items: [] });
    });
    app.get('/socket', (req, res) => {
      res.status(426).json(upgradeFacts(req));
    });
    return app;
  }

  it('Server-Sent Events are not supported: a never-ending stream answers 504 batch.part.timeout and is closed', async () => {
    const events: string[] = [];
    const server = await serve(streamingApp(events));
    const reply = await batchOf(server, [...gets('/events'), ...gets('/items')]);
    const [sse, items] = reply.parts;
    expect(reply.status).toBe(200);
    expect(sse?.status).toBe(504);
    expect(sse?.json().error).toMatchObject({ code: 'batch.part.timeout', limit: PART_TIMEOUT_MS });
    expect(sse?.text).not.toContain('data: first');
    expect(items?.status).toBe(200);
    expect(items?.json()).toEqual({ items: [] });
    expect(events).toEqual(['closed']);
  });

  it('WebSocket upgrades are not supported: the inner request arrives as a plain GET without Upgrade headers', async () => {
    const server = await serve(streamingApp([]));
    let upgrades = 0;
    server.server.on('upgrade', (_req, socket) => {
      upgrades++;
      socket.destroy();
    });
    const reply = await batchOf(server, [{ method: 'GET', url: '/socket', headers: UPGRADE_HEADERS }]);
    expect(reply.parts[0]?.status).toBe(426);
    expect(reply.parts[0]?.json()).toEqual(PLAIN_GET);
    expect(upgrades).toBe(0);
  });
});

describe.each(KOA)('never-ending answers and upgrades inside inner requests, on %s', (_name, Koa) => {
  const serve = useServers();

  function streamingApp(events: string[]) {
    const app = new Koa();
    app.silent = true;
    app.use(koaBatch({ timeoutMs: PART_TIMEOUT_MS }));
    app.use((ctx) => {
      if (ctx.path === '/events') {
        ctx.res.on('close', () => events.push('closed'));
        const stream = new PassThrough();
        ctx.type = 'text/event-stream';
        ctx.body = stream;
        stream.write('data: first\n\n');
      } else if (ctx.path === '/socket') {
        ctx.status = 426;
        ctx.body = upgradeFacts(ctx.req);
      } else {
        ctx.body = { items: [] };
      }
    });
    return app;
  }

  it('Server-Sent Events are not supported: a never-ending stream answers 504 batch.part.timeout and is closed', async () => {
    const events: string[] = [];
    const server = await serve(koaListener(streamingApp(events)));
    const reply = await batchOf(server, [...gets('/events'), ...gets('/items')]);
    const [sse, items] = reply.parts;
    expect(reply.status).toBe(200);
    expect(sse?.status).toBe(504);
    expect(sse?.json().error).toMatchObject({ code: 'batch.part.timeout', limit: PART_TIMEOUT_MS });
    expect(sse?.text).not.toContain('data: first');
    expect(items?.status).toBe(200);
    expect(items?.json()).toEqual({ items: [] });
    expect(events).toEqual(['closed']);
  });

  it('WebSocket upgrades are not supported: the inner request arrives as a plain GET without Upgrade headers', async () => {
    const server = await serve(koaListener(streamingApp([])));
    let upgrades = 0;
    server.server.on('upgrade', (_req, socket) => {
      upgrades++;
      socket.destroy();
    });
    const reply = await batchOf(server, [{ method: 'GET', url: '/socket', headers: UPGRADE_HEADERS }]);
    expect(reply.parts[0]?.status).toBe(426);
    expect(reply.parts[0]?.json()).toEqual(PLAIN_GET);
    expect(upgrades).toBe(0);
  });
});

describe.each(KOA)('a batch sent over HTTP/2, on %s', (_name, Koa) => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  /** A Koa app on an HTTP/2 TLS server; one client session to it. */
  async function http2App() {
    const app = new Koa();
    app.silent = true;
    app.use(koaBatch());
    app.use((ctx) => {
      const req = ctx.req as IncomingMessage & { stream?: unknown };
      const res = ctx.res as typeof ctx.res & { createPushResponse?: unknown };
      ctx.body = {
        httpVersion: req.httpVersion,
        stream: typeof req.stream,
        push: typeof res.createPushResponse,
        pseudoHeaders: Object.keys(ctx.headers).filter((name) => name.startsWith(':')),
        host: ctx.host,
        secure: ctx.secure,
      };
    });
    const tls = {
      key: readFileSync(new URL('../fixtures/tls/key.pem', import.meta.url)),
      cert: readFileSync(new URL('../fixtures/tls/cert.pem', import.meta.url)),
    };
    const handle = app.callback();
    const server = createSecureServer({ ...tls, allowHTTP1: true }, (req, res) => void handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const session = connect(origin, { rejectUnauthorized: false });
    closers.push(() => {
      session.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const request = (headers: Record<string, string>, body?: Buffer) =>
      new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const stream = session.request(headers);
        const chunks: Buffer[] = [];
        let answerHeaders: IncomingHttpHeaders = {};
        stream.on('response', (received) => {
          answerHeaders = received;
        });
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => resolve({ headers: answerHeaders, body: Buffer.concat(chunks) }));
        stream.on('error', reject);
        stream.end(body);
      });
    return { origin, request };
  }

  it('HTTP/2-only features are not supported inside: inner requests are HTTP/1.1, without stream, push or pseudo-headers', async () => {
    const { origin, request } = await http2App();
    const direct = await request({ ':method': 'GET', ':path': '/h2' });
    const built = buildBatch(gets('/h2'));
    const answer = await request(
      { ':method': 'POST', ':path': '/batch', 'content-type': built.contentType },
      built.body,
    );
    const host = new URL(origin).host;
    expect(direct.headers[':status']).toBe(200);
    expect(JSON.parse(direct.body.toString())).toEqual({
      httpVersion: '2.0',
      stream: 'object',
      push: 'function',
      pseudoHeaders: [':method', ':path', ':authority', ':scheme'],
      host,
      secure: true,
    });
    expect(answer.headers[':status']).toBe(200);
    const [part] = parseAnswer(String(answer.headers['content-type']), answer.body);
    expect(part?.status).toBe(200);
    expect(part?.json()).toEqual({
      httpVersion: '1.1',
      stream: 'undefined',
      push: 'undefined',
      pseudoHeaders: [],
      host,
      secure: true,
    });
  });
});
