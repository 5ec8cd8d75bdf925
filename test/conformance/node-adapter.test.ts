import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createBatchEngine,
  createBatchHandler,
  createDispatcher,
  outerRequestFromNode,
  sendNodeAnswer,
} from '@inbatch/core';
import { listen } from '../support/apps.js';
import { send, sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

// The third adapter of packages/core/README.md, as written there: plain node:http.
function handler(req: IncomingMessage, res: ServerResponse) {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ url: req.url, ip: req.socket.remoteAddress }));
}
const engine = createBatchEngine({ maxOperations: 100 });
const dispatcher = createDispatcher(handler, { kind: engine.options.dispatcher });
function listener(req: IncomingMessage, res: ServerResponse) {
  const route = engine.match(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname);
  if (route === undefined) return handler(req, res);
  const outer = outerRequestFromNode(req, res, { url: req.url ?? '/' });
  void engine.handle(outer, dispatcher, route).then((answer) => sendNodeAnswer(res, answer, engine.options.onError));
}

describe('an adapter for plain node:http, as the core README shows it', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  afterEach(async () => {
    await server.close();
  });

  it('answers a batch through the handler, with the client’s address, in a few lines of glue', async () => {
    server = await listen(listener);
    const reply = await sendBatch(
      server.url,
      buildBatch([
        { method: 'GET', url: '/a?x=1' },
        { method: 'GET', url: '/batch' },
      ]),
      { localAddress: '127.0.0.2' },
    );
    expect(reply.status).toBe(200);
    expect(reply.parts[0]?.json()).toEqual({ url: '/a?x=1', ip: '127.0.0.2' });
    expect(reply.parts[1]?.json().error.code).toBe('batch.part.nested');
  });
});

describe('createBatchHandler, the node:http adapter', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  afterEach(async () => {
    await server.close();
  });

  it('hands every request that is not a batch route to the wrapped listener untouched', async () => {
    const seen: string[] = [];
    server = await listen(
      createBatchHandler((req, res) => {
        seen.push(`${req.method} ${req.url}`);
        res.end('app');
      }),
    );
    for (const path of ['/items/1', '/batchx', '/batch/not-a-job-id']) {
      const reply = await send(server.url, path);
      expect([reply.status, reply.text]).toEqual([200, 'app']);
    }
    expect(seen).toEqual(['GET /items/1', 'GET /batchx', 'GET /batch/not-a-job-id']);
  });

  it('runs inner requests through the wrapped listener with the client’s address, and answers in order', async () => {
    server = await listen(createBatchHandler(handler, { path: '/$batch' }));
    const reply = await sendBatch(
      server.url,
      buildBatch([
        { method: 'GET', url: '/b' },
        { method: 'GET', url: '/a' },
      ]),
      { path: '/$batch', localAddress: '127.0.0.2' },
    );
    expect(reply.parts.map((part) => part.json())).toEqual([
      { url: '/b', ip: '127.0.0.2' },
      { url: '/a', ip: '127.0.0.2' },
    ]);
  });

  it('checks its options when it is created', () => {
    expect(() => createBatchHandler(handler, { maxOperations: 0 })).toThrow(/option "maxOperations"/);
  });
});
