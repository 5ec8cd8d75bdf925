// docs/compatibility.md: a request logger mounted in the app logs every inner request,
// as the inner requests pass through the app's whole middleware.
import express from 'express';
import morgan from 'morgan';
import { afterEach, describe, expect, it } from 'vitest';
import { batch } from '@inbatch/express';
import { listen } from '../support/apps.js';
import { sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

let server: Awaited<ReturnType<typeof listen>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('morgan mounted in an Express app', () => {
  it.each([
    ['before batch()', true],
    ['after batch()', false],
  ])('mounted %s, logs one line per inner request (and the batch itself when before)', async (_where, before) => {
    const lines: string[] = [];
    const logger = morgan(':method :url :status :remote-addr', {
      stream: { write: (line: string) => lines.push(line.trim()) },
    });
    const app = express();
    if (before) app.use(logger);
    app.use(batch());
    if (!before) app.use(logger);
    app.get('/items/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    server = await listen(app);
    const reply = await sendBatch(
      server.url,
      buildBatch([
        { method: 'GET', url: '/items/1' },
        { method: 'GET', url: '/items/2' },
        { method: 'GET', url: '/missing' },
      ]),
    );
    expect(reply.status).toBe(200);
    // The outer request's line is written when its answer finishes, after the client has it.
    await expect.poll(() => lines.length).toBe(before ? 4 : 3);
    const inner = ['GET /items/1 200 127.0.0.1', 'GET /items/2 200 127.0.0.1', 'GET /missing 404 127.0.0.1'];
    expect([...lines].sort()).toEqual((before ? [...inner, 'POST /batch 200 127.0.0.1'] : inner).sort());
  });
});
