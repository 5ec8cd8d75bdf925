import type { ClientDialect, DialectName } from './dialects/dialect.js';
import { jsonDialect } from './dialects/json.js';
import { multipartDialect } from './dialects/multipart.js';

/** A function with `fetch`'s signature: the global one, a wrapper of it, or a test double. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Headers as `fetch` takes them: a `Headers`, an object, or a list of pairs. */
export type BatchHeaders = NonNullable<RequestInit['headers']>;

/** Options shared by `createBatch`, `sendBatch` and `batchFetch`. */
export interface ClientOptions {
  /**
   * The batch endpoint: an absolute URL, or in a browser a URL relative to the page
   * (`'/batch'`). Inner requests must be on its origin.
   */
  endpoint: string | URL;
  /**
   * The wire dialect. `multipart` carries every request and answer byte for byte;
   * `json` re-encodes bodies (JSON as values, text as strings, the rest as base64).
   * @default 'multipart'
   */
  dialect?: DialectName;
  /**
   * Sends the outer request. Wrap the global one to set what the outer request needs,
   * e.g. `(input, init) => fetch(input, { ...init, credentials: 'include' })`.
   * @default globalThis.fetch
   */
  fetch?: FetchFunction;
  /**
   * Headers of the outer request. The server applies them to every inner request
   * (except `Content-*`), so this is the place for `Authorization`. A function is called
   * once per outer request, e.g. to read a fresh token.
   * @default {}
   */
  headers?: BatchHeaders | (() => BatchHeaders | Promise<BatchHeaders>);
}

/** Options checked once, with what every outer request reuses. */
export interface ResolvedClient {
  endpoint: URL;
  /** What relative inputs resolve against: the page in a browser, else the endpoint. */
  base: string;
  dialect: ClientDialect<unknown>;
  fetch: FetchFunction;
  headers: ClientOptions['headers'];
}

const DIALECTS: Readonly<Record<DialectName, ClientDialect<unknown>>> = {
  json: jsonDialect,
  multipart: multipartDialect,
};

/** The page's URL in a browser; undefined in Node. */
function pageUrl(): string | undefined {
  return (globalThis as { location?: { href?: unknown } }).location?.href as string | undefined;
}

function fail(factory: string, message: string): never {
  throw new TypeError(`inbatch ${factory}: ${message}`);
}

/** Checks the shared options once, at setup, with a `TypeError` naming the bad one. */
export function resolveClientOptions(options: ClientOptions, factory: string): ResolvedClient {
  if (options === null || typeof options !== 'object') fail(factory, 'options must be an object with an endpoint.');
  const page = pageUrl();
  let endpoint: URL;
  try {
    endpoint = new URL(options.endpoint, page);
  } catch {
    fail(
      factory,
      `endpoint must be an absolute URL${page === undefined ? ' outside a browser' : ''}, got ${JSON.stringify(String(options.endpoint))}.`,
    );
  }
  const dialectName = options.dialect ?? 'multipart';
  const dialect = Object.hasOwn(DIALECTS, dialectName) ? DIALECTS[dialectName] : undefined;
  if (dialect === undefined)
    fail(factory, `dialect must be 'json' or 'multipart', got ${JSON.stringify(dialectName)}.`);
  if (options.fetch !== undefined && typeof options.fetch !== 'function') fail(factory, 'fetch must be a function.');
  const headers = options.headers;
  if (headers !== undefined && (headers === null || (typeof headers !== 'object' && typeof headers !== 'function'))) {
    fail(factory, 'headers must be a Headers, an object, an array of pairs, or a function returning one.');
  }
  // Looked up on each call, not at setup, so a fetch patched later (tests, polyfills) is used;
  // and called unbound, as browsers refuse `fetch` called on another object.
  const fetchFunction: FetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return { endpoint, base: page ?? endpoint.href, dialect, fetch: fetchFunction, headers };
}
