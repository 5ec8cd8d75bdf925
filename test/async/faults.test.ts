import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchOptions } from '@inbatch/core';
import { batch } from '@inbatch/express';
import { send, type Reply } from '../support/http.js';

// Faults around async jobs on the memory store (issue 13, item 7): webhook receivers that
// are down, slow or failing, an event loop blocked by a route, and operations that throw,
// reject, never answer or answer twice. Each asserts how often every operation ran and that
// the job reached a final status. Its own app, so it depends on nothing but the public API.

const FINAL = new Set(['finished', 'failed', 'cancelled']);

interface FaultApp {
  url: string;
  /** How many times each route ran, by path. */
  runs: Map<string, number>;
  close(): Promise<void>;
}

async function startFaultApp(options: BatchOptions = {}): Promise<FaultApp> {
  const runs = new Map<string, number>();
  const app = express();
  app.set('env', 'test'); // no stack traces on Express's error page
  app.use(batch({ onError: () => undefined, ...options }));
  app.use((req, _res, next) => {
    runs.set(req.path, (runs.get(req.path) ?? 0) + 1);
    next();
  });
  app.get('/ok/:n', (req, res) => {
    res.json({ n: req.params.n });
  });
  app.get('/throws', () => {
    throw new Error('thrown synchronously');
  });
  app.get('/rejects', async () => {
    await delay(1);
    throw new Error('rejected');
  });
  app.get('/never', () => undefined);
  app.get('/twice', (_req, res) => {
    res.json({ first: true });
    try {
      res.json({ second: true });
    } catch {
      // Express throws ERR_HTTP_HEADERS_SENT: the app's own bug, caught as apps do
    }
  });
  app.get('/blocks', (_req, res) => {
    const until = performance.now() + 300;
    while (performance.now() < until); // the event loop is blocked for 300 ms
    res.json({ blocked: true });
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    runs,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function submit(app: FaultApp, endpoints: string[], webhook?: { callbackUrl: string }): Promise<Reply> {
  return send(app.url, '/batch', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      batch: {
        operations: endpoints.map((endpoint, i) => ({ operationId: `op${i + 1}`, method: 'GET', endpoint, body: '' })),
        ...(webhook === undefined ? {} : { webhook }),
      },
    }),
  });
}

async function finalStatus(app: FaultApp, uuid: string): Promise<any> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const reply = await send(app.url, `/batch/${uuid}`);
    const document = reply.json();
    if (FINAL.has(document.status)) return document;
    if (performance.now() > deadline) throw new Error(`job did not end: ${reply.text}`);
    await delay(10);
  }
}

async function jsonl(app: FaultApp, uuid: string): Promise<Array<{ operationId: string; statusCode: number }>> {
  const reply = await send(app.url, `/batch/${uuid}/jsonl`);
  return reply.text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
}

/** A webhook receiver on loopback that fails as told, counting its calls. */
async function startReceiver(behave: 'down' | 'slow' | 'fails') {
  let calls = 0;
  const server = createServer((_req, res) => {
    calls++;
    if (behave === 'fails') {
      res.statusCode = 500;
      res.end();
    }
    // 'slow': never answers; the webhook's own timeout ends the call
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  if (behave === 'down') await new Promise<void>((resolve) => server.close(() => resolve())); // the port refuses
  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('async jobs under faults (memory store)', () => {
  let app: FaultApp;
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await app.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it.each(['down', 'slow', 'fails'] as const)(
    'finishes the job whatever the webhook receiver does (%s), and calls it a bounded number of times',
    async (behave) => {
      const receiver = await startReceiver(behave);
      if (behave !== 'down') cleanups.push(receiver.close);
      app = await startFaultApp({
        webhookAllowHttp: true,
        webhookAllowPrivate: true,
        webhookPorts: [receiver.port],
        webhookRetryDelaysMs: [10, 10],
        webhookTimeoutMs: 200,
      });
      const reply = await submit(app, ['/ok/1', '/ok/2'], { callbackUrl: receiver.url });
      expect(reply.status).toBe(201);
      const { uuid } = reply.json();
      const document = await finalStatus(app, uuid);
      expect(document.status).toBe('finished');
      expect([app.runs.get('/ok/1'), app.runs.get('/ok/2')]).toEqual([1, 1]);
      // Three attempts (one and two retries), then nothing more, and the status is unchanged.
      await delay(1500);
      expect(receiver.calls()).toBe(behave === 'down' ? 0 : 3);
      expect((await finalStatus(app, uuid)).status).toBe('finished');
    },
  );

  it('runs every operation once and finishes when they throw, reject, never answer or answer twice', async () => {
    app = await startFaultApp({ timeoutMs: 300 });
    const endpoints = ['/throws', '/rejects', '/never', '/twice', '/ok/5'];
    const { uuid } = (await submit(app, endpoints)).json();
    const document = await finalStatus(app, uuid);
    expect(document.status).toBe('finished');
    for (const endpoint of endpoints) expect(app.runs.get(endpoint), endpoint).toBe(1);
    const statuses = Object.fromEntries((await jsonl(app, uuid)).map((line) => [line.operationId, line.statusCode]));
    // Express answers a thrown or rejected route 500 itself; a hung one times out in its slot.
    expect(statuses).toEqual({ op1: 500, op2: 500, op3: 504, op4: 200, op5: 200 });
  });

  it('finishes a job whose route blocks the event loop, while ordinary requests wait their turn and answer', async () => {
    app = await startFaultApp();
    const { uuid } = (await submit(app, ['/blocks', '/ok/1', '/blocks'])).json();
    const ordinary = await send(app.url, '/ok/9');
    expect(ordinary.json()).toEqual({ n: '9' });
    const document = await finalStatus(app, uuid);
    expect(document.status).toBe('finished');
    expect([app.runs.get('/blocks'), app.runs.get('/ok/1')]).toEqual([2, 1]);
  });
});
