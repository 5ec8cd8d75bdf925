import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import express from 'express';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { INNER_END_CHANNEL, INNER_START_CHANNEL, type InnerRequestMessage } from '@inbatch/core';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { listen } from '../support/apps.js';
import { sendBatch, sendJsonBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

type Listening = Awaited<ReturnType<typeof listen>>;

interface Seen {
  channel: 'start' | 'end';
  message: InnerRequestMessage;
  status: number | undefined;
}

let server: Listening | undefined;
const subscriptions: Array<[string, (message: unknown) => void]> = [];

function record(): Seen[] {
  const seen: Seen[] = [];
  for (const [name, channel] of [
    [INNER_START_CHANNEL, 'start'],
    [INNER_END_CHANNEL, 'end'],
  ] as const) {
    const listener = (message: unknown) => {
      const inner = message as InnerRequestMessage;
      seen.push({ channel, message: inner, status: inner.status });
    };
    subscribe(name, listener);
    subscriptions.push([name, listener]);
  }
  return seen;
}

afterEach(async () => {
  for (const [name, listener] of subscriptions.splice(0)) unsubscribe(name, listener);
  await server?.close();
  server = undefined;
});

function expressApp() {
  const app = express();
  app.use(expressBatch({ timeoutMs: 200 }));
  app.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id, traceparent: req.headers.traceparent ?? null });
  });
  app.get('/slow', () => {
    // never answers: its slot times out
  });
  return app;
}

describe('inner requests on node:diagnostics_channel', () => {
  it('publishes start and end for each inner request, with the batch, the operation and the outer request', async () => {
    const seen = record();
    server = await listen(expressApp());
    await sendBatch(
      server.url,
      buildBatch([
        { method: 'GET', url: '/items/1?x=1' },
        { method: 'GET', url: '/items/2' },
      ]),
    );
    const starts = seen.filter((event) => event.channel === 'start').map((event) => event.message);
    const ends = seen.filter((event) => event.channel === 'end');
    expect(
      starts.map(({ index, method, path, url }) => ({ index, method, path, url })).sort((a, b) => a.index - b.index),
    ).toEqual([
      { index: 0, method: 'GET', path: '/items/1', url: '/items/1?x=1' },
      { index: 1, method: 'GET', path: '/items/2', url: '/items/2' },
    ]);
    expect(new Set(starts.map((message) => message.batchId)).size).toBe(1);
    expect(starts[0]?.batchId).toMatch(/^[0-9a-f-]{36}$/);
    const outer = starts[0]?.outer as IncomingMessage;
    expect([outer.method, outer.url]).toEqual(['POST', '/batch']);
    // The end message is the start message, completed.
    expect(ends.map((event) => event.message).sort((a, b) => a.index - b.index)).toEqual(
      [...starts].sort((a, b) => a.index - b.index),
    );
    expect(ends.map((event) => event.status)).toEqual([200, 200]);
    for (const { message } of ends) expect(message.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('draws a new batch id per batch, and carries JSON operation ids', async () => {
    const seen = record();
    server = await listen(expressApp());
    await sendJsonBatch(server.url, [{ id: 'first', method: 'GET', url: '/items/1' }]);
    await sendJsonBatch(server.url, [{ id: 'second', method: 'GET', url: '/items/2' }]);
    const starts = seen.filter((event) => event.channel === 'start').map((event) => event.message);
    expect(starts.map((message) => message.operationId)).toEqual(['first', 'second']);
    expect(starts[0]?.batchId).not.toBe(starts[1]?.batchId);
  });

  it('ends a timed-out operation with its 504 and error code', async () => {
    const seen = record();
    server = await listen(expressApp());
    await sendJsonBatch(server.url, [{ id: 'slow', method: 'GET', url: '/slow' }]);
    const end = seen.find((event) => event.channel === 'end');
    expect([end?.status, end?.message.errorCode]).toEqual([504, 'batch.part.timeout']);
  });

  it('lets a start subscriber add a header the app then sees, and refuses one with a line break', async () => {
    const errors: unknown[] = [];
    const onStart = (message: unknown) => {
      const inner = message as InnerRequestMessage;
      inner.setHeader('Traceparent', `00-${'a'.repeat(32)}-${'b'.repeat(15)}${inner.index}-01`);
      try {
        inner.setHeader('x-evil', 'a\r\nx-injected: 1');
      } catch (error) {
        errors.push(error);
      }
    };
    subscribe(INNER_START_CHANNEL, onStart);
    subscriptions.push([INNER_START_CHANNEL, onStart]);
    server = await listen(expressApp());
    const reply = await sendJsonBatch(server.url, [
      { id: 'a', method: 'GET', url: '/items/1' },
      { id: 'b', method: 'GET', url: '/items/2' },
    ]);
    expect(reply.responses.map((response) => response.body.traceparent)).toEqual([
      `00-${'a'.repeat(32)}-${'b'.repeat(15)}0-01`,
      `00-${'a'.repeat(32)}-${'b'.repeat(15)}1-01`,
    ]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(TypeError);
  });

  it('publishes the inner requests of a Koa app too', async () => {
    const seen = record();
    const app = new Koa();
    app.use(koaBatch());
    app.use((ctx) => {
      ctx.body = { path: ctx.path };
    });
    const handle = app.callback();
    server = await listen((req, res) => void handle(req, res));
    await sendJsonBatch(server.url, [{ id: 'k', method: 'DELETE', url: '/things/9' }]);
    expect(seen.map((event) => [event.channel, event.message.method, event.message.path, event.status])).toEqual([
      ['start', 'DELETE', '/things/9', undefined],
      ['end', 'DELETE', '/things/9', 200],
    ]);
  });
});
