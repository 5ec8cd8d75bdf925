import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Exchange } from './exchange.js';
import { HeaderStoreObject, OUT_HEADERS } from '../header-store.js';
import { applyPresets, type Presets } from './presets.js';
import { assertChunk, isChunk, refuseEnd, refuseWrite } from './node-errors.js';

/** Node's internals of a response that the capture reads and writes. */
interface ResponseInternals {
  _header: string | null;
  _hasBody: boolean;
  finished: boolean;
  _implicitHeader(): void;
}

type NodeWriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;
const { writeHead: nodeWriteHead } = ServerResponse.prototype as unknown as { writeHead: NodeWriteHead };

const EXCHANGE = Symbol('inbatch.exchange');

function toBuffer(chunk: string | Uint8Array, encoding: unknown, copy: boolean): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding as BufferEncoding | undefined);
  if (Buffer.isBuffer(chunk)) return copy ? Buffer.from(chunk) : chunk;
  return copy ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * `writeHead` is Node's own (status and reason checks, `_hasBody` for 204/304/1xx, the
 * exact errors), with two changes: headers passed to it are always stored, so the answer
 * reads them like any other (as light-my-request arranges too); and `_storeHeader` only
 * marks the head as sent instead of rendering it (Node's header machinery is most of a
 * real response's cost, and the part is serialized from the stored headers anyway).
 */
function writeHead(this: FastResponse, ...args: unknown[]): FastResponse {
  const [, reason, obj] = args;
  const headers = typeof reason === 'string' ? obj : (obj ?? reason);
  if (OUT_HEADERS === undefined && headers && !this.headersSent && this.getHeaderNames().length === 0) {
    // Node passes headers straight to the renderer while it has no header store (one is
    // made up front when this Node version's layout is known: header-store.ts).
    this.setHeader('x-inbatch-store', '');
    this.removeHeader('x-inbatch-store');
  }
  nodeWriteHead.apply(this, args);
  return this;
}

function storeHeader(this: FastResponse, firstLine: string): void {
  (this as unknown as ResponseInternals)._header = `${firstLine}\r\n`;
  const exchange = this[EXCHANGE];
  exchange.status = this.statusCode;
  exchange.statusText = this.statusMessage;
}

/** Drops what Node writes to the connection itself (100 Continue, 102, 103 Early Hints, flushHeaders): not part of the answer. */
function writeRaw(this: FastResponse, _data: unknown, encoding?: unknown, callback?: unknown): boolean {
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') process.nextTick(done);
  return true;
}

/**
 * Captures a body chunk. The sink is memory, bounded by `maxResponseBytes`, so it never
 * pushes back: `false` only once the answer is over or cut off. The chunk is copied: a
 * writer may reuse its buffer once the callback ran.
 */
function write(this: FastResponse, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  const internals = this as unknown as ResponseInternals;
  if (typeof encoding === 'function') {
    callback = encoding;
    encoding = undefined;
  }
  if (!isChunk(chunk) || internals.finished || this.destroyed) {
    return refuseWrite(internals.finished, chunk, encoding, callback);
  }
  if (!internals._header) internals._implicitHeader();
  // Like a real server, no body for HEAD requests and 204, 304 or 1xx answers.
  if (internals._hasBody) this[EXCHANGE].collect(toBuffer(chunk, encoding, true), false);
  if (typeof callback === 'function') process.nextTick(callback);
  return !this.destroyed;
}

/**
 * Ends the answer: `prefinish` and `finish` now, as light-my-request fires them, and the
 * close events right after (exchange.ts). The last chunk is not copied: the answer is over.
 */
function end(this: FastResponse, chunk?: unknown, encoding?: unknown, callback?: unknown): FastResponse {
  const internals = this as unknown as ResponseInternals;
  if (typeof chunk === 'function') {
    callback = chunk;
    chunk = undefined;
    encoding = undefined;
  } else if (typeof encoding === 'function') {
    callback = encoding;
    encoding = undefined;
  }
  if (internals.finished) {
    refuseEnd(chunk, encoding, callback);
    return this;
  }
  if (chunk) {
    assertChunk(chunk);
    if (!this.destroyed) {
      if (!internals._header) internals._implicitHeader();
      if (internals._hasBody) this[EXCHANGE].collect(toBuffer(chunk, encoding, false), true);
    }
  } else if (!internals._header && !this.destroyed) {
    internals._implicitHeader();
  }
  internals.finished = true;
  // A destroyed answer (cut off, aborted) never finishes, as with a closed connection.
  if (this.destroyed) return this;
  const exchange = this[EXCHANGE];
  this.emit('prefinish');
  this.emit('finish');
  if (typeof callback === 'function') (callback as () => void)();
  exchange.answer();
  exchange.ended();
  return this;
}

/** Closes the answer: an unfinished operation fails (`batch.part.dispatch_failed`) and the app sees the connection go. */
function destroy(this: FastResponse, error?: Error): FastResponse {
  if (this.destroyed) return this;
  this.destroyed = true;
  const ended = (this as unknown as ResponseInternals).finished;
  this[EXCHANGE].destroyed(error, ended);
  return this;
}

/** `res.setTimeout()`: its callback gets `'timeout'` if the answer is still open then (there is no idle socket). */
function setResponseTimeout(this: FastResponse, ms: number, callback?: () => void): FastResponse {
  if (callback) this.on('timeout', callback);
  this[EXCHANGE].setTimeout(ms);
  return this;
}

/** Trailers are not passed on (the part has no trailer section); dropped, as light-my-request drops them. */
function addTrailers(): void {}

// The methods that capture the answer. Express re-parents `res` onto its own prototype
// (`app.response` → `http.ServerResponse.prototype`), which would hide these, so for it
// they are also set on each instance, where a prototype swap can't reach (THREATS V2);
// no shared prototype is ever touched (THREATS V1).
const CAPTURE = {
  writeHead,
  _storeHeader: storeHeader,
  _writeRaw: writeRaw,
  write,
  end,
  destroy,
  setTimeout: setResponseTimeout,
  addTrailers,
};

/**
 * The response of one inner request: a real `http.ServerResponse` (so Node's own header
 * methods, getters and errors apply) whose writing methods capture the answer in memory
 * instead of rendering it onto a connection.
 */
export class FastResponse extends ServerResponse {
  declare [EXCHANGE]: Exchange;

  constructor(req: IncomingMessage, exchange: Exchange, pin: boolean, presets: Presets | undefined) {
    super(req);
    if (OUT_HEADERS !== undefined) (this as unknown as Record<symbol, unknown>)[OUT_HEADERS] = new HeaderStoreObject();
    this[EXCHANGE] = exchange;
    // Through the setter: `res.socket` is the request's socket, as on a real server.
    (this as { socket: Socket | null }).socket = exchange.socket as unknown as Socket;
    if (pin) {
      // One assignment each: cheaper than Object.assign, and a stable shape.
      const own = this as unknown as typeof CAPTURE;
      own.writeHead = writeHead;
      own._storeHeader = storeHeader;
      own._writeRaw = writeRaw;
      own.write = write;
      own.end = end;
      own.destroy = destroy;
      own.setTimeout = setResponseTimeout;
      own.addTrailers = addTrailers;
    }
    applyPresets(this, presets);
  }
}

Object.assign(FastResponse.prototype, CAPTURE);
