// Copy this file into your app to see each inner request of a batch as its own span.
// Inner requests run in-process and never reach http.Server's `request` event, so
// OpenTelemetry's HTTP instrumentation sees only the outer POST /batch; inbatch publishes
// every inner request on node:diagnostics_channel instead, and this turns them into
// child spans of the batch's span, with `traceparent` (or whatever propagator you set)
// added to each inner request so your handlers and outgoing calls join the same trace.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { propagation, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { INNER_END_CHANNEL, INNER_START_CHANNEL, type InnerRequestMessage } from '@inbatch/core';

export interface InnerSpanOptions {
  tracer: Tracer;
  /**
   * The context holding the batch's span, from the outer request (undefined for async
   * jobs). With @opentelemetry/instrumentation-http, remember `context.active()` per
   * request in a middleware mounted before batch() and return it here.
   */
  parentContext: (outer: IncomingMessage | undefined) => Context;
}

/**
 * Starts a span for every inner request (named `GET /items/:path`-style from its method
 * and path) as a child of the batch's span; ends it with the status the slot answered.
 * Returns the function that stops it.
 *
 * @example
 * const stop = traceInnerRequests({ tracer: trace.getTracer('api'), parentContext: (req) => contexts.get(req) ?? context.active() });
 */
export function traceInnerRequests(options: InnerSpanOptions): () => void {
  const spans = new WeakMap<InnerRequestMessage, Span>();
  const onStart = (message: unknown): void => {
    const inner = message as InnerRequestMessage;
    const parent = options.parentContext(inner.outer);
    const span = options.tracer.startSpan(
      `${inner.method} ${inner.path}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': inner.method,
          'url.path': inner.path,
          'inbatch.batch_id': inner.batchId,
          'inbatch.index': inner.index,
          ...(inner.operationId === undefined ? {} : { 'inbatch.operation_id': inner.operationId }),
        },
      },
      parent,
    );
    spans.set(inner, span);
    propagation.inject(trace.setSpan(parent, span), inner, {
      set: (carrier, key, value) => carrier.setHeader(key, value),
    });
  };
  const onEnd = (message: unknown): void => {
    const inner = message as InnerRequestMessage;
    const span = spans.get(inner);
    if (span === undefined) return;
    if (inner.status !== undefined) span.setAttribute('http.response.status_code', inner.status);
    if (inner.errorCode !== undefined) span.setAttribute('inbatch.error_code', inner.errorCode);
    if (inner.status !== undefined && inner.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  subscribe(INNER_START_CHANNEL, onStart);
  subscribe(INNER_END_CHANNEL, onEnd);
  return () => {
    unsubscribe(INNER_START_CHANNEL, onStart);
    unsubscribe(INNER_END_CHANNEL, onEnd);
  };
}
