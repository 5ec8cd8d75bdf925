import { randomUUID } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { ErrorLocation } from './errors.js';
import { isFieldValue, isToken } from './http-grammar.js';
import type { InnerRequest, OperationResult } from './operation.js';

/**
 * Inner requests never pass through `http.Server`'s `request` event, so HTTP
 * instrumentations, APM agents and request loggers see only the outer `POST /batch`.
 * Each inner request is published here instead, the Node convention undici and Fastify
 * follow: `inbatch:inner:start` just before it is dispatched, `inbatch:inner:end` once it
 * answered (or timed out, or failed). Plain channels rather than a `TracingChannel`, which
 * is experimental on Node 20 and built around wrapping one function call.
 */
export const INNER_START_CHANNEL = 'inbatch:inner:start';
/** See `INNER_START_CHANNEL`. */
export const INNER_END_CHANNEL = 'inbatch:inner:end';

const startChannel = channel(INNER_START_CHANNEL);
const endChannel = channel(INNER_END_CHANNEL);

/**
 * What both channels publish for one inner request. The end message is the start message
 * object itself, with `status` and `durationMs` set, so a subscriber can keep its own data
 * on it from start to end (a span), as with a `TracingChannel`'s context object.
 */
export interface InnerRequestMessage {
  /** One id per batch run (a UUID), shared by its operations. */
  readonly batchId: string;
  /** The operation's 0-based position in the batch. */
  readonly index: number;
  /** The operation's own id, in dialects that have one (JSON, operations). */
  readonly operationId: string | undefined;
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  /** Path and query, as dispatched. */
  readonly url: string;
  /**
   * The outer (batch) request as Node received it, to find what a tracer or logger keeps
   * for it; undefined for jobs, which outlive it.
   */
  readonly outer: IncomingMessage | undefined;
  /** The inner request's headers as the app will see them (names in lower case); read-only. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Adds or replaces a header of the inner request before it is dispatched (on
   * `inbatch:inner:start` only): a tracer propagates `traceparent` this way, as undici's
   * `request.addHeader`. A name that is not a token or a value with control characters throws.
   */
  setHeader(name: string, value: string): void;
  /** The status the slot answered with (on `inbatch:inner:end`). */
  status?: number;
  /** Milliseconds from dispatch to answer (on `inbatch:inner:end`). */
  durationMs?: number;
  /** Set when inbatch answered the slot itself (a timeout, a failure): its error code. */
  errorCode?: string;
}

/** What the engine knows of the batch for tracing; jobs give none. */
export interface TraceSource {
  batchId?: string;
  outer?: IncomingMessage | undefined;
}

/** One batch run's tracing: the id is drawn only if an operation is ever published. */
export class BatchTrace {
  private batchId: string | undefined;

  constructor(private readonly source: TraceSource | undefined) {
    this.batchId = source?.batchId;
  }

  /**
   * Publishes the start of an operation and returns the function that publishes its end;
   * undefined, at the cost of two property reads, when no one listens to either channel.
   */
  start(request: InnerRequest, where: ErrorLocation): ((result: OperationResult) => void) | undefined {
    if (!startChannel.hasSubscribers && !endChannel.hasSubscribers) return undefined;
    this.batchId ??= randomUUID();
    const query = request.url.indexOf('?');
    const message: InnerRequestMessage = {
      batchId: this.batchId,
      index: (where.part ?? 0) - 1,
      operationId: where.operationId,
      method: request.method,
      path: query === -1 ? request.url : request.url.slice(0, query),
      url: request.url,
      outer: this.source?.outer,
      headers: request.headers,
      setHeader(name, value) {
        if (!isToken(name) || !isFieldValue(value)) {
          throw new TypeError(`inbatch: setHeader(${JSON.stringify(name)}) got an invalid header name or value`);
        }
        request.headers[name.toLowerCase()] = value;
      },
    };
    const startedAt = performance.now();
    if (startChannel.hasSubscribers) startChannel.publish(message);
    return (result) => {
      message.status = result.status;
      message.durationMs = performance.now() - startedAt;
      if (result.error !== undefined) message.errorCode = result.error.code;
      if (endChannel.hasSubscribers) endChannel.publish(message);
    };
  }
}
