import { IncomingMessage, type ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { EXPRESS, KOA, batchOf, gets, koaListener, useServers } from './helpers.js';

// Inner requests run on light-my-request's mock socket: an EventEmitter that carries
// only the outer client's address (and `encrypted` when the batch came over TLS).

/** What a handler can learn from the socket and the HTTP layer of the request it got. */
function socketFacts(req: IncomingMessage) {
  const socket = req.socket as Partial<TLSSocket>;
  return {
    remoteAddress: socket.remoteAddress ?? null,
    remotePort: socket.remotePort ?? null,
    remoteFamily: socket.remoteFamily ?? null,
    localAddress: socket.localAddress ?? null,
    localPort: socket.localPort ?? null,
    encrypted: socket.encrypted ?? null,
    authorized: socket.authorized ?? null,
    getPeerCertificate: typeof socket.getPeerCertificate,
    methods: (['setTimeout', 'setKeepAlive', 'setNoDelay'] as const).filter(
      (name) => typeof socket[name] === 'function',
    ),
    httpVersion: req.httpVersion,
    isIncomingMessage: req instanceof IncomingMessage,
  };
}

/** Calls req.setTimeout() as a long upload or report route would, and says what happened. */
function extendTimeout(req: IncomingMessage) {
  try {
    req.setTimeout(5_000);
    return { threw: null };
  } catch (error) {
    return { threw: String(error) };
  }
}

/** Writes a body, then announces a trailer and adds it, as a checksum-after-body API would. */
function writeWithTrailer(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/plain', Trailer: 'X-Checksum' });
  res.write('abc');
  res.addTrailers({ 'X-Checksum': '900150983cd24fb0' });
  res.end();
}

/** Sends a 103 Early Hints before the real answer. */
function writeWithEarlyHints(res: ServerResponse): void {
  res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('final');
}

const CLIENT = '127.0.0.2';
const PLAIN_FACTS = {
  remoteAddress: CLIENT,
  remotePort: null,
  remoteFamily: null,
  localAddress: null,
  localPort: null,
  encrypted: null,
  authorized: null,
  getPeerCertificate: 'undefined',
  methods: [],
  httpVersion: '1.1',
  // Express re-parents every request onto its own IncomingMessage subclass.
  isIncomingMessage: true,
};
// light-my-request's request is a Readable, not an IncomingMessage; Koa leaves it so.
const KOA_FACTS = { ...PLAIN_FACTS, isIncomingMessage: false };

describe.each(EXPRESS)('socket-level APIs inside inner requests, on %s', (_name, express) => {
  const serve = useServers();

  function socketApp() {
    const app = express();
    app.use(expressBatch());
    app.get('/socket', (req, res) => {
      res.json(socketFacts(req));
    });
    app.get('/set-timeout', (req, res) => {
      res.json(extendTimeout(req));
    });
    app.get('/trailers', (_req, res) => {
      writeWithTrailer(res);
    });
    app.get('/early-hints', (_req, res) => {
      writeWithEarlyHints(res);
    });
    return app;
  }

  it('carries the client’s address, but remotePort, remoteFamily, localAddress, localPort and socket methods are not supported', async () => {
    const server = await serve(socketApp());
    const [part] = (await batchOf(server, gets('/socket'), { localAddress: CLIENT })).parts;
    expect(part?.status).toBe(200);
    expect(part?.json()).toEqual(PLAIN_FACTS);
  });

  it('carries the TLS flag, but TLS socket details are not supported: no peer certificate, no authorized flag', async () => {
    const server = await serve(socketApp(), { https: true });
    const [part] = (await batchOf(server, gets('/socket'), { localAddress: CLIENT })).parts;
    expect(part?.status).toBe(200);
    expect(part?.json()).toEqual({ ...PLAIN_FACTS, encrypted: true });
  });

  it('req.setTimeout() is not supported: it throws a TypeError, as the mock socket has no setTimeout', async () => {
    const server = await serve(socketApp());
    const [part] = (await batchOf(server, gets('/set-timeout'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.json()).toEqual({ threw: 'TypeError: this.socket.setTimeout is not a function' });
  });

  it('trailers are not supported: res.addTrailers() is dropped, the Trailer header too, and the body arrives', async () => {
    const server = await serve(socketApp());
    const [part] = (await batchOf(server, gets('/trailers'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.text).toBe('abc');
    expect(part?.headers.trailer).toBeUndefined();
    expect(part?.headers['x-checksum']).toBeUndefined();
  });

  it('1xx answers are not passed on: res.writeEarlyHints() is dropped and only the final answer is in the part', async () => {
    const server = await serve(socketApp());
    const [part] = (await batchOf(server, gets('/early-hints'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.text).toBe('final');
    expect(part?.headers.link).toBeUndefined();
  });
});

describe.each(KOA)('socket-level APIs inside inner requests, on %s', (_name, Koa) => {
  const serve = useServers();

  function socketApp() {
    const app = new Koa();
    app.silent = true;
    app.use(koaBatch());
    app.use((ctx) => {
      switch (ctx.path) {
        case '/socket':
          ctx.body = socketFacts(ctx.req);
          return;
        case '/set-timeout':
          ctx.body = extendTimeout(ctx.req);
          return;
        case '/trailers':
          ctx.respond = false;
          writeWithTrailer(ctx.res);
          return;
        case '/early-hints':
          ctx.respond = false;
          writeWithEarlyHints(ctx.res);
          return;
      }
    });
    return app;
  }

  it('carries the client’s address, but remotePort, remoteFamily, localAddress, localPort and socket methods are not supported, and ctx.req is no IncomingMessage', async () => {
    const server = await serve(koaListener(socketApp()));
    const [part] = (await batchOf(server, gets('/socket'), { localAddress: CLIENT })).parts;
    expect(part?.status).toBe(200);
    expect(part?.json()).toEqual(KOA_FACTS);
  });

  it('carries the TLS flag, but TLS socket details are not supported: no peer certificate, no authorized flag', async () => {
    const server = await serve(koaListener(socketApp()), { https: true });
    const [part] = (await batchOf(server, gets('/socket'), { localAddress: CLIENT })).parts;
    expect(part?.status).toBe(200);
    expect(part?.json()).toEqual({ ...KOA_FACTS, encrypted: true });
  });

  it('req.setTimeout() is not supported: it throws a TypeError, as ctx.req is not an IncomingMessage', async () => {
    const server = await serve(koaListener(socketApp()));
    const [part] = (await batchOf(server, gets('/set-timeout'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.json()).toEqual({ threw: 'TypeError: req.setTimeout is not a function' });
  });

  it('trailers are not supported: res.addTrailers() is dropped, the Trailer header too, and the body arrives', async () => {
    const server = await serve(koaListener(socketApp()));
    const [part] = (await batchOf(server, gets('/trailers'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.text).toBe('abc');
    expect(part?.headers.trailer).toBeUndefined();
    expect(part?.headers['x-checksum']).toBeUndefined();
  });

  it('1xx answers are not passed on: res.writeEarlyHints() is dropped and only the final answer is in the part', async () => {
    const server = await serve(koaListener(socketApp()));
    const [part] = (await batchOf(server, gets('/early-hints'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.text).toBe('final');
    expect(part?.headers.link).toBeUndefined();
  });
});
