// The example module examples/tracing/src/opentelemetry.ts, as an app would use it: every
// inner request becomes a child span of the batch's span, and the app's handlers see a
// `traceparent` naming their own span.
import type { IncomingMessage } from 'node:http';
import { context, propagation, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import express from 'express';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { traceInnerRequests } from '../../examples/tracing/src/opentelemetry.js';
import { listen } from '../support/apps.js';
import { sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('inbatch-test');

// What an HTTP instrumentation does for the outer request, kept small: one span per
// request over the wire, remembered for the inner requests to find.
const outerContexts = new WeakMap<IncomingMessage, Context>();
function startOuterSpan(req: IncomingMessage, res: { once(event: 'finish', listener: () => void): unknown }): void {
  const span = tracer.startSpan(`${req.method} ${req.url}`);
  outerContexts.set(req, trace.setSpan(ROOT_CONTEXT, span));
  res.once('finish', () => span.end());
}

let stop: () => void;
let server: Awaited<ReturnType<typeof listen>> | undefined;

beforeAll(() => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  stop = traceInnerRequests({
    tracer,
    parentContext: (outer) => (outer === undefined ? context.active() : (outerContexts.get(outer) ?? context.active())),
  });
});
afterAll(() => {
  stop();
  propagation.disable();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  exporter.reset();
});

const N = 5;
const innerBatch = buildBatch(Array.from({ length: N }, (_, i) => ({ method: 'GET', url: `/items/${i}` })));

async function expectChildSpans(reply: Awaited<ReturnType<typeof sendBatch>>) {
  expect(reply.status).toBe(200);
  // The outer span ends on 'finish', after the client has the answer.
  await expect.poll(() => exporter.getFinishedSpans().length).toBe(N + 1);
  const spans = exporter.getFinishedSpans();
  const batchSpans = spans.filter((span) => span.name === 'POST /batch');
  expect(batchSpans).toHaveLength(1);
  const batchContext = (batchSpans[0] as (typeof spans)[number]).spanContext();
  const inner = spans.filter((span) => span !== batchSpans[0]);
  expect(inner.map((span) => span.name).sort()).toEqual(Array.from({ length: N }, (_, i) => `GET /items/${i}`));
  for (const span of inner) {
    expect(span.parentSpanContext?.spanId).toBe(batchContext.spanId);
    expect(span.spanContext().traceId).toBe(batchContext.traceId);
    expect(span.attributes['http.response.status_code']).toBe(200);
  }
  // Each handler saw the traceparent of its own span.
  const seen = reply.parts.map((part) => part.json().traceparent as string);
  const expected = inner
    .sort((a, b) => Number(a.attributes['inbatch.index']) - Number(b.attributes['inbatch.index']))
    .map((span) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  expect(seen).toEqual(expected);
}

describe('OpenTelemetry spans of inner requests (examples/tracing)', () => {
  it('makes N inner requests N child spans of the batch span on Express, traceparent propagated', async () => {
    const app = express();
    app.use(expressBatch());
    app.get('/items/:id', (req, res) => {
      res.json({ id: req.params.id, traceparent: req.headers.traceparent });
    });
    server = await listen((req, res) => {
      startOuterSpan(req, res);
      app(req, res);
    });
    await expectChildSpans(await sendBatch(server.url, innerBatch));
  });

  it('does the same on Koa', async () => {
    const app = new Koa();
    app.use(koaBatch());
    app.use((ctx) => {
      ctx.body = { path: ctx.path, traceparent: ctx.get('traceparent') };
    });
    const handle = app.callback();
    server = await listen((req, res) => {
      startOuterSpan(req, res);
      void handle(req, res);
    });
    await expectChildSpans(await sendBatch(server.url, innerBatch));
  });
});
