/** What `fetch` takes as its first argument. */
export type FetchInput = string | URL | Request;

/** One request of an explicit batch: a `Request`, a URL, or `fetch`'s two arguments as a pair. */
export type BatchInput = FetchInput | readonly [input: FetchInput, init?: RequestInit | undefined];

/**
 * The `Request` for `fetch`-style arguments. Relative URLs resolve against `base` (the
 * page in a browser, the endpoint in Node, where `new Request('/x')` has nothing to
 * resolve against).
 */
export function toRequest(input: FetchInput, init: RequestInit | undefined, base: string): Request {
  if (typeof input === 'string' || input instanceof URL) return new Request(new URL(input, base), init);
  return init === undefined ? input : new Request(input, init);
}

/** The `Request` for one entry of an explicit batch. */
export function batchInputToRequest(input: BatchInput, base: string): Request {
  if (Array.isArray(input)) {
    const [target, init] = input as readonly [FetchInput, (RequestInit | undefined)?];
    return toRequest(target, init, base);
  }
  return toRequest(input as FetchInput, undefined, base);
}
