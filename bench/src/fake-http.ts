import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/**
 * The cheapest request/response objects Express 5 and Koa 3 accept (PEERS-PERF's
 * "fake req/res" floor): plain fields, no socket, no parser, no stream unless there is a
 * body to read. They exist only to measure what the framework itself costs per request.
 */

/** What one fake exchange produced. */
export interface FakeAnswer {
  status: number;
  body: Buffer | string | undefined;
}

type HeaderValue = number | string | readonly string[];
type Settle = (answer: FakeAnswer) => void;

/** The fields our response methods use; Express's prototype swap keeps own properties. */
interface FakeResponseFields {
  statusCode: number;
  statusMessage: string;
  headersSent: boolean;
  finished: boolean;
  writableEnded: boolean;
  writableFinished: boolean;
  fields: Record<string, HeaderValue>;
  chunks: Array<Buffer | string> | undefined;
  settle: Settle;
  emit?(event: string): boolean;
}

/** The outer client's socket as far as `req.ip`/`req.secure`/`ctx.ip` read it. */
const FAKE_SOCKET = Object.freeze({ remoteAddress: '127.0.0.1', remotePort: 40000, encrypted: false });

function setHeader(this: FakeResponseFields, name: string, value: HeaderValue): FakeResponseFields {
  this.fields[name.toLowerCase()] = value;
  return this;
}
function getHeader(this: FakeResponseFields, name: string): HeaderValue | undefined {
  return this.fields[name.toLowerCase()];
}
function getHeaders(this: FakeResponseFields): Record<string, HeaderValue> {
  return { ...this.fields };
}
function getHeaderNames(this: FakeResponseFields): string[] {
  return Object.keys(this.fields);
}
function hasHeader(this: FakeResponseFields, name: string): boolean {
  return this.fields[name.toLowerCase()] !== undefined;
}
function removeHeader(this: FakeResponseFields, name: string): void {
  delete this.fields[name.toLowerCase()];
}
function writeHead(this: FakeResponseFields, status: number, ...rest: unknown[]): FakeResponseFields {
  this.statusCode = status;
  const headers = rest.find((item) => typeof item === 'object' && item !== null);
  if (headers !== undefined) for (const [name, value] of Object.entries(headers)) setHeader.call(this, name, value);
  this.headersSent = true;
  return this;
}
function write(this: FakeResponseFields, chunk: Buffer | string): boolean {
  (this.chunks ??= []).push(chunk);
  this.headersSent = true;
  return true;
}
function end(this: FakeResponseFields, chunk?: unknown, ...rest: unknown[]): FakeResponseFields {
  let body = typeof chunk === 'string' || Buffer.isBuffer(chunk) ? chunk : undefined;
  if (this.chunks !== undefined) {
    if (body !== undefined) this.chunks.push(body);
    body = Buffer.concat(this.chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  }
  this.headersSent = true;
  this.finished = true;
  this.writableEnded = true;
  this.writableFinished = true;
  this.emit?.('finish');
  const callback = typeof chunk === 'function' ? chunk : rest.find((item) => typeof item === 'function');
  if (typeof callback === 'function') (callback as () => void)();
  this.settle({ status: this.statusCode, body });
  return this;
}

/** Koa never swaps prototypes, so its fake keeps its methods on the prototype. */
class FakeKoaResponse extends EventEmitter implements FakeResponseFields {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  finished = false;
  writableEnded = false;
  writableFinished = false;
  fields: Record<string, HeaderValue> = Object.create(null) as Record<string, HeaderValue>;
  chunks: Array<Buffer | string> | undefined = undefined;
  constructor(readonly settle: Settle) {
    super();
  }
}
Object.assign(FakeKoaResponse.prototype, {
  setHeader,
  getHeader,
  getHeaders,
  getHeaderNames,
  hasHeader,
  removeHeader,
  writeHead,
  write,
  end,
});

/**
 * Express 5's `app.handle` re-parents `res` onto `app.response` (→ ServerResponse), so
 * every method and every field Node declares as a getter (headersSent, writableEnded…)
 * must be an own property, created in one literal.
 */
function fakeExpressResponse(settle: Settle): FakeResponseFields {
  return {
    statusCode: 200,
    statusMessage: '',
    headersSent: false,
    finished: false,
    writableEnded: false,
    writableFinished: false,
    fields: Object.create(null) as Record<string, HeaderValue>,
    chunks: undefined,
    settle,
    setHeader,
    getHeader,
    getHeaders,
    getHeaderNames,
    hasHeader,
    removeHeader,
    writeHead,
    write,
    end,
  } as FakeResponseFields;
}

// `read` given as an option becomes an own `_read`, which survives Express's re-parenting
// onto IncomingMessage (whose `_read` and `_destroy` would poke a socket the fake doesn't
// have); `autoDestroy: false` keeps the stream from calling that `_destroy` at its end.
function noRead(): void {}
const STREAM_OPTIONS = { read: noRead, autoDestroy: false } as const;

/**
 * A fake request. Without a body: a plain object. With one: a Readable already holding
 * the bytes, so the app's own body parser (express.json, koa-bodyparser) reads and parses
 * it exactly as it would a real request — the floor includes that work.
 */
function fakeRequest(method: string, url: string, headers: Record<string, string>, body: Buffer | undefined): object {
  const fields = { method, url, headers, socket: FAKE_SOCKET, httpVersion: '1.1', httpVersionMajor: 1 };
  if (body === undefined) return fields;
  const stream = new Readable(STREAM_OPTIONS);
  stream.push(body);
  stream.push(null);
  return Object.assign(stream, fields);
}

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Runs one request through an Express app with fake objects; resolves when the app ends the response. */
export function fakeExpressExchange(
  app: NodeListener,
  method: string,
  url: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<FakeAnswer> {
  return new Promise((resolve) => {
    const req = fakeRequest(method, url, headers, body);
    app(req as IncomingMessage, fakeExpressResponse(resolve) as unknown as ServerResponse);
  });
}

/** Runs one request through a Koa `app.callback()` with fake objects. */
export function fakeKoaExchange(
  callback: NodeListener,
  method: string,
  url: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<FakeAnswer> {
  return new Promise((resolve) => {
    const req = fakeRequest(method, url, headers, body);
    void callback(req as IncomingMessage, new FakeKoaResponse(resolve) as unknown as ServerResponse);
  });
}
