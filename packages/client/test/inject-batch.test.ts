import { describe, expect, it } from 'vitest';
import { BatchRequestError } from '@inbatch/client';
import { injectBatch } from '@inbatch/client/testing';
import {
  BINARY,
  FRAMEWORKS,
  expressApp,
  koaApp,
  listen,
  type AppOptions,
  type Framework,
  type Recorder,
} from '../../../test/support/apps.js';
import { DIALECTS, innerHits, outerBatches } from './helpers.js';

/** A test app that never listens: injectBatch is its only client. */
function createApp(framework: Framework, options: AppOptions = {}) {
  const recorder: Recorder = { hits: [], events: [] };
  const app =
    framework === 'express5' || framework === 'express4'
      ? expressApp(framework, recorder, options)
      : koaApp(framework, recorder, options);
  return { app, recorder };
}

const newRecorder = (): Recorder => ({ hits: [], events: [] });

describe.each(FRAMEWORKS)('injectBatch into a %s app, with no server listening', (framework) => {
  it.each(DIALECTS)(
    'answers GET, JSON, text and binary requests (%s) as standard Responses in order',
    async (dialect) => {
      const { app, recorder } = createApp(framework);
      const [item, echo, text, binary, missing] = await injectBatch(
        app,
        [
          new Request('http://x/items/1'),
          [
            '/echo',
            { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ a: 1 }) },
          ],
          ['/echo-text', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hé\r\n' }],
          '/binary',
          '/nowhere',
        ],
        { dialect },
      );
      expect([item?.status, await item?.json()]).toEqual([200, { id: '1' }]);
      expect([echo?.status, await echo?.json()]).toEqual([
        201,
        { body: { a: 1 }, contentType: 'application/json', contentLength: '7' },
      ]);
      expect([text?.status, await text?.text()]).toEqual([200, 'text/plain|hé\r\n']);
      expect(binary?.status).toBe(200);
      expect(Buffer.from(await (binary as Response).arrayBuffer()).equals(BINARY)).toBe(true);
      expect(missing?.status).toBe(404);
      expect(outerBatches(recorder)).toEqual(['POST /batch']);
      expect(innerHits(recorder).sort()).toEqual(
        ['GET /binary', 'GET /items/1', 'GET /nowhere', 'POST /echo', 'POST /echo-text'].sort(),
      );
    },
  );

  it('sends the outer headers and client address to every inner request', async () => {
    const { app } = createApp(framework);
    const [who] = await injectBatch(app, ['/whoami?x=1'], {
      headers: { Authorization: 'Bearer test' },
      remoteAddress: '203.0.113.7',
      encrypted: true,
    });
    expect(who?.status).toBe(200);
    expect(await who?.json()).toMatchObject({
      ip: '203.0.113.7',
      secure: true,
      protocol: 'https',
      method: 'GET',
      url: '/whoami?x=1',
      headers: { authorization: 'Bearer test' },
      query: { x: '1' },
    });
  });

  it('rejects a refused batch with a BatchRequestError carrying its status and error', async () => {
    const { app, recorder } = createApp(framework, { batch: { maxOperations: 1 } });
    const injected = injectBatch(app, ['/items/1', '/items/2']);
    await expect(injected).rejects.toBeInstanceOf(BatchRequestError);
    await expect(injected).rejects.toMatchObject({
      status: 413,
      code: 'batch.too_many_operations',
      body: { error: { message: 'The batch has more than 1 operations.' } },
    });
    expect(innerHits(recorder)).toEqual([]);
  });

  it('sends the batch to another path with `path`', async () => {
    const { app } = createApp(framework, { batch: { path: '/api/batch' } });
    const [item] = await injectBatch(app, ['/items/7'], { path: '/api/batch' });
    expect([item?.status, await item?.json()]).toEqual([200, { id: '7' }]);
  });
});

describe('injectBatch and the app it is given', () => {
  it('leaves an Express app serving real HTTP requests afterwards', async () => {
    const app = expressApp('express5', newRecorder());
    const [injected] = await injectBatch(app, ['/items/1']);
    expect(injected?.status).toBe(200);
    const server = await listen(app);
    try {
      const direct = await fetch(`${server.url}/items/2`);
      expect([direct.status, await direct.json()]).toEqual([200, { id: '2' }]);
      const batched = await fetch(`${server.url}/batch`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ requests: [{ id: 'a', method: 'GET', url: '/items/3' }] }),
      });
      const answer = (await batched.json()) as { responses: { body: unknown }[] };
      expect([batched.status, answer.responses[0]?.body]).toEqual([200, { id: '3' }]);
    } finally {
      await server.close();
    }
  });

  it('takes a Koa app’s callback, or any (req, res) listener', async () => {
    const koa = koaApp('koa3', newRecorder());
    const express = expressApp('express4', newRecorder());
    const [fromKoa] = await injectBatch(koa.callback(), ['/items/k']);
    const [fromListener] = await injectBatch((req, res) => express(req, res), ['/items/e']);
    expect([fromKoa?.status, await fromKoa?.json()]).toEqual([200, { id: 'k' }]);
    expect([fromListener?.status, await fromListener?.json()]).toEqual([200, { id: 'e' }]);
  });

  it('refuses something that is not an app with a TypeError', async () => {
    await expect(injectBatch({} as never, ['/items/1'])).rejects.toThrow(
      new TypeError('inbatch injectBatch: app must be an Express app, a Koa app, or a (req, res) listener.'),
    );
  });
});
