import type { Bytes } from './bytes.js';

/** One inner request as the dialects write it. */
export interface WireRequest {
  /** The method as the `Request` normalized it. */
  method: string;
  /** The whole URL, for the answer's `Response.url`. */
  url: string;
  /** Path and query from the origin root: inner URLs are paths only. */
  target: string;
  /** Header fields in order; names in lower case, as `Headers` gives them. */
  headers: [name: string, value: string][];
  /** The body bytes, or undefined when there is none (or it is empty). */
  body: Bytes | undefined;
}

/** One inner answer as a dialect read it. */
export interface WireResponse {
  status: number;
  /** The reason phrase: the app's own in multipart, the standard one in JSON. */
  statusText: string;
  /** Header fields in order; a name may repeat (`Set-Cookie`). */
  headers: [name: string, value: string][];
  body: Bytes;
}

/**
 * Headers that belong to one connection, or that the batch's own framing replaces (the
 * dialect delimits each body, so `Content-Length` is written afresh); never copied into
 * an inner request. The server drops most of them anyway (README "Outer headers").
 */
const FRAMING_HEADERS = new Set([
  'connection',
  'content-length',
  'expect',
  'host',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Reads a `Request` into what a dialect writes: method, path and query, headers, body bytes. */
export async function readWireRequest(request: Request): Promise<WireRequest> {
  const url = new URL(request.url);
  const headers: [string, string][] = [];
  request.headers.forEach((value, name) => {
    if (!FRAMING_HEADERS.has(name)) headers.push([name, value]);
  });
  let body: Bytes | undefined;
  if (request.body !== null) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.length > 0) body = bytes;
  }
  return { method: request.method, url: request.url, target: `${url.pathname}${url.search}`, headers, body };
}
