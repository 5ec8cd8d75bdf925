import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { isInnerRequest } from '../dispatch/dispatcher.js';
import { declaredBodyLength, type BodySource } from './body.js';

/** The facts about the outer request that the engine needs, whatever the framework. */
export interface OuterRequest {
  method: string;
  /** Path and query from the host root (as sent over the wire). */
  url: string;
  headers: IncomingHttpHeaders;
  /** The client's address, handed on to every inner request. */
  remoteAddress: string | undefined;
  /** Whether the client connected over TLS, handed on to every inner request. */
  encrypted: boolean;
  /** Whether this request was itself dispatched by inbatch (then it may not be a batch). */
  isInner: boolean;
  body: BodySource;
  /** Aborted when the client goes away before the answer is complete. */
  signal: AbortSignal;
  /** The request as Node received it, handed to tracing subscribers (tracing.ts). */
  incoming?: IncomingMessage;
  /**
   * Calls `listener` once the exchange is over (answered, or the connection closed); at once
   * when it already is. Without it, what a batch holds is released when its answer ends.
   */
  onClose?: (listener: () => void) => void;
}

/** How long writing a streamed answer may take (see the `writeTimeoutMs` option). */
export interface WriteDeadline {
  /** The longest the client may take no bytes while some wait for it. */
  stallMs: number;
  /** The longest the whole answer may take, from when it starts. */
  totalMs: number;
}

/** What the engine answers; adapters only copy it onto their framework's response. */
export interface BatchAnswer {
  status: number;
  headers: Record<string, string>;
  /** A whole body, or one written part by part as operations finish. */
  body: Buffer | AsyncIterable<Buffer>;
  /** For a streamed body: when the writer gives up on a client that does not read. */
  writeDeadline?: WriteDeadline;
}

/**
 * Where the body is. A raw or text parser's bytes are used as they are; an unread
 * stream is read by `batch()` itself; anything else was consumed before us.
 */
function bodySource(req: IncomingMessage, captured: unknown): BodySource {
  if (Buffer.isBuffer(captured)) return { kind: 'captured', bytes: captured };
  if (typeof captured === 'string') return { kind: 'captured', bytes: Buffer.from(captured) };
  // The test body-parser itself uses (on-finished's isFinished) to know a body was read.
  const consumed = req.readableEnded || (req.complete && !req.readable);
  if (!consumed)
    return { kind: 'stream', stream: req, declaredLength: declaredBodyLength(req.headers['content-length']) };
  return captured === undefined ? { kind: 'consumed' } : { kind: 'parsed', value: captured };
}

/**
 * Reads the outer request's facts off Node's request and response.
 * `url` is the path from the host root (Express `originalUrl`, Koa `originalUrl`);
 * `captured` is what a body parser left (`req.body`, Koa `ctx.request.rawBody`).
 */
export function outerRequestFromNode(
  req: IncomingMessage,
  res: ServerResponse,
  facts: { url: string; captured?: unknown },
): OuterRequest {
  const controller = new AbortController();
  // One 'close' listener for all of it: frameworks add several of their own, and Node warns past ten.
  let closed = res.destroyed;
  let onClosed: Array<() => void> = [];
  const inner = isInnerRequest(req);
  if (!closed) {
    res.once('close', () => {
      closed = true;
      if (!inner && !res.writableFinished) controller.abort();
      const listeners = onClosed;
      onClosed = [];
      for (const listener of listeners) listener();
    });
  }
  const socket = req.socket as (Socket & { encrypted?: boolean }) | null;
  return {
    method: req.method ?? 'GET',
    url: facts.url,
    headers: req.headers,
    remoteAddress: socket?.remoteAddress,
    encrypted: socket?.encrypted === true,
    isInner: inner,
    body: bodySource(req, facts.captured),
    signal: controller.signal,
    incoming: req,
    onClose: (listener) => {
      if (closed) listener();
      else onClosed.push(listener);
    },
  };
}

/** Writes an answer to a Node response, streaming it when it streams. */
export function sendNodeAnswer(res: ServerResponse, answer: BatchAnswer, onError: (error: unknown) => void): void {
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  if (Buffer.isBuffer(answer.body)) {
    res.setHeader('Content-Length', answer.body.length);
    res.end(answer.body);
    return;
  }
  if (answer.writeDeadline !== undefined) guardWrites(res, answer.writeDeadline);
  void writeStream(res, answer.body, onError);
}

// Chunks a streamed answer holds between the engine and the socket (Koa pipes a Readable):
// in bytes, so what waits for a slow client stays near one chunk, not sixteen of them.
const STREAM_HIGH_WATER_BYTES = 64 * 1024;

/**
 * A streamed answer as a byte `Readable` for frameworks that pipe a body (Koa), with the
 * answer's write deadline armed on `res`. Destroying it stops the answer.
 */
export function nodeAnswerStream(res: ServerResponse, answer: BatchAnswer & { body: AsyncIterable<Buffer> }): Readable {
  if (answer.writeDeadline !== undefined) guardWrites(res, answer.writeDeadline);
  return Readable.from(answer.body, { objectMode: false, highWaterMark: STREAM_HIGH_WATER_BYTES });
}

/**
 * Closes the connection of a client that takes no bytes for `stallMs` while some wait for
 * it, or has not taken the whole answer `totalMs` after it started: a client that never
 * reads must not pin a batch's buffers and its share of the budget (THREATS T5). One
 * unref'd interval per streamed answer, which ends itself once the response has (no
 * 'close' listener: frameworks add many, and Node warns past ten).
 */
function guardWrites(res: ServerResponse, deadline: WriteDeadline): void {
  const startedAt = Date.now();
  let lastWritten = -1;
  let lastProgressAt = startedAt;
  const check = (): void => {
    if (res.writableFinished || res.destroyed) {
      clearInterval(interval);
      return;
    }
    const now = Date.now();
    const written = res.socket?.bytesWritten ?? 0;
    if (written !== lastWritten || res.writableLength === 0) {
      lastWritten = written;
      lastProgressAt = now;
    }
    if (now - lastProgressAt >= deadline.stallMs || now - startedAt >= deadline.totalMs) res.destroy();
  };
  const interval = setInterval(check, Math.max(10, Math.min(1000, Math.floor(deadline.stallMs / 4))));
  interval.unref();
}

/** Resolves when the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes a streamed answer chunk by chunk, waiting for `drain` when the socket is full.
 * A client that went away stops the answer (leaving the loop returns the generator, whose
 * cleanup closes what still runs); an error is reported and ends the response.
 */
async function writeStream(
  res: ServerResponse,
  body: AsyncIterable<Buffer>,
  onError: (error: unknown) => void,
): Promise<void> {
  try {
    for await (const chunk of body) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await drained(res);
    }
    if (!res.destroyed) res.end();
  } catch (error) {
    onError(error);
    res.destroy();
  }
}
