import { Readable, type ReadableOptions } from 'node:stream';
import type { InnerRequest } from '../../operation.js';
import { INNER_REQUEST } from '../dispatcher.js';
import { applyPresets, type Presets } from './presets.js';
import type { InnerSocket } from './socket.js';
import { wireUrl } from './wire-url.js';

const BODY = Symbol('inbatch.body');

/** Hands the app the whole body on its first read, then the end: it has all arrived. */
function readBody(this: Readable): void {
  const req = this as FastRequest;
  const body = req[BODY];
  req[BODY] = undefined;
  if (body !== undefined && body.length > 0) req.push(body);
  req.push(null);
}

/**
 * `req.destroy(error)` emits the error only to listeners, as Node's IncomingMessage does
 * ("backward compatible": an unheard error must not crash the server).
 */
function destroyBody(this: Readable, error: Error | null, callback: (error?: Error | null) => void): void {
  callback(error !== null && this.listenerCount('error') > 0 ? error : null);
}

// `read`/`destroy` given as options become own `_read`/`_destroy`, which survive Express's
// re-parenting onto IncomingMessage (whose own versions would pull from a real socket).
// The close event is the exchange's (once, with the response's), so the stream emits none.
const STREAM_OPTIONS: ReadableOptions = {
  read: readBody,
  destroy: destroyBody,
  autoDestroy: false,
  emitClose: false,
};

/**
 * The request of one inner request: a Readable holding the body, with the fields of an
 * `IncomingMessage` as its HTTP parser would have set them. Everything is an own
 * property, so Express's prototype swap (onto `app.request` → `IncomingMessage`) keeps
 * it a full Express request, and Koa (which swaps nothing) sees a plain Readable, as it
 * did with light-my-request.
 */
export class FastRequest extends Readable {
  declare readonly method: string;
  declare url: string;
  declare headers: Record<string, string>;
  declare rawHeaders: string[];
  readonly httpVersion = '1.1';
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor = 1;
  /**
   * The body is all here from the start, as on a request whose body has arrived, on a
   * connection that is open. body-parser 2 (through on-finished) reads
   * `!socket.readable || (complete && !req.readable)` to know a body was already parsed;
   * without it a route-level parser after an app-wide one re-reads an ended stream.
   */
  readonly complete = true;
  aborted = false;
  declare socket: InnerSocket;
  /** Own, so Express 4's reads skip light-my-request's deprecation getter and Koa sees it too. */
  declare connection: InnerSocket;
  declare [BODY]: Buffer | undefined;

  constructor(request: InnerRequest, socket: InnerSocket, markInner: boolean, presets: Presets | undefined) {
    super(STREAM_OPTIONS);
    this.method = request.method;
    this.url = wireUrl(request.url);
    // The Host and User-Agent exactly as the outer request had them, never invented
    // (THREATS T15); a plain object, as Node's parser makes.
    const headers: Record<string, string> = {};
    const rawHeaders: string[] = [];
    const source = request.headers;
    for (const name in source) {
      const value = source[name] as string;
      headers[name] = value;
      rawHeaders.push(name, value);
    }
    this.headers = headers;
    this.rawHeaders = rawHeaders;
    this.socket = socket;
    this.connection = socket;
    this[BODY] = request.body;
    if (markInner) (this as unknown as Record<symbol, boolean>)[INNER_REQUEST] = true;
    applyPresets(this, presets);
  }
}
