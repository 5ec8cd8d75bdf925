import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatchEngine, createDispatcher, outerRequestFromNode, sendNodeAnswer } from '@inbatch/core';
import { listen } from '../support/apps.js';
import { sendBatch } from '../support/http.js';
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
