import { IncomingMessage, ServerResponse } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import { listen, startApp, type TestServer } from '../support/apps.js';
import { send, sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';
import { expectAppAnswers, expectBystanderServed, guardProcess } from './harness.js';

guardProcess();

const EXPRESS = { express5, express4 } as const;

/** An Express app that knows nothing of inbatch. */
async function unrelatedApp(express: typeof express5) {
  const app = express();
  app.get('/plain', (_req, res) => {
    res.json({ plain: true, ip: _req.ip });
  });
  app.post('/plain', express.json(), (req, res) => {
    res.status(201).json({ body: req.body });
  });
  return listen(app);
}

const BATCHES = [
  buildBatch([
    { method: 'GET', url: '/items/1' },
    { method: 'POST', url: '/echo', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' },
    { method: 'GET', url: '/stream' },
    { method: 'GET', url: '/fail' },
  ]),
  buildBatch([{ method: 'HEAD', url: '/items/2' }]),
];

describe.each(['express5', 'express4'] as const)('T12 Express shared prototypes, on %s', (flavor) => {
  const express = EXPRESS[flavor];
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  async function batchedApp(): Promise<TestServer> {
    const app = await startApp(flavor);
    closers.push(() => app.close());
    for (const batch of BATCHES) {
      const reply = await sendBatch(app.url, batch);
      expect(reply.status).toBe(200);
    }
    return app;
  }

  it('T12: leaves express.request and express.response on Node’s own prototypes after batches', async () => {
    expect(Object.getPrototypeOf(express.request)).toBe(IncomingMessage.prototype);
    expect(Object.getPrototypeOf(express.response)).toBe(ServerResponse.prototype);
    await batchedApp();
    expect(Object.getPrototypeOf(express.request)).toBe(IncomingMessage.prototype);
    expect(Object.getPrototypeOf(express.response)).toBe(ServerResponse.prototype);
  });

  it('T12: keeps real HTTP working on the batched app, GET and POST with a body parser', async () => {
    const app = await batchedApp();
    await expectAppAnswers(app.url);
    const post = await send(app.url, '/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"real":true}',
    });
    expect(post.status).toBe(201);
    expect(post.json()).toEqual({ body: { real: true }, contentType: 'application/json', contentLength: '13' });
    await expectBystanderServed(app.url);
  });

  it('T12: keeps real HTTP working on a second, unrelated Express app, created before or after the batches', async () => {
    const before = await unrelatedApp(express);
    closers.push(before.close);
    await batchedApp();
    const after = await unrelatedApp(express);
    closers.push(after.close);
    for (const other of [before, after]) {
      const get = await send(other.url, '/plain');
      expect(get.status).toBe(200);
      expect(get.json()).toEqual({ plain: true, ip: '127.0.0.1' });
      const post = await send(other.url, '/plain', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"x":1}',
      });
      expect(post.status).toBe(201);
      expect(post.json()).toEqual({ body: { x: 1 } });
    }
  });

  it('T12: gives inner requests the app’s own request and response prototypes, as real requests get', async () => {
    const app = await batchedApp();
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/whoami' }]));
    expect(reply.parts[0]?.status).toBe(200);
    // req.ip, req.hostname and res.json only work when Express's prototypes are in the chain.
    expect(reply.parts[0]?.json()).toMatchObject({ ip: '127.0.0.1', hostname: '127.0.0.1', method: 'GET' });
  });
});
