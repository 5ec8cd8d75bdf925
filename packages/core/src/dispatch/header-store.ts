import { IncomingMessage, ServerResponse, type OutgoingHttpHeader } from 'node:http';

/** How Node keeps a response's headers: `{ lowerName: [name as set, value] }`, in the order set. */
export type HeaderStore = Record<string, [name: string, value: OutgoingHttpHeader]>;

/**
 * The symbol Node keeps a response's headers under, found by probing a response once
 * (undefined if a Node version lays them out otherwise; callers then use the public API).
 * Reading the store is one pass where the public API takes getRawHeaderNames() plus a
 * getHeader() per name.
 */
export const OUT_HEADERS = ((): symbol | undefined => {
  const probe = new ServerResponse(new IncomingMessage(null as never));
  probe.setHeader('X-Probe', 'value');
  for (const symbol of Object.getOwnPropertySymbols(probe)) {
    const store = (probe as unknown as Record<symbol, unknown>)[symbol] as HeaderStore | null | undefined;
    const entry = typeof store === 'object' && store !== null ? store['x-probe'] : undefined;
    if (Array.isArray(entry) && entry[0] === 'X-Probe' && entry[1] === 'value') return symbol;
  }
  return undefined;
})();

/**
 * An empty header store as Node's own header methods use it, made up front. Node creates
 * one on the first `setHeader` as `{ __proto__: null }`, a dictionary-mode object that
 * costs about a microsecond to make; this one behaves the same (its prototype has no
 * properties and no prototype, so only set headers are found, `__proto__` included) and
 * stays a fast object. Having a store from the start also makes `writeHead(status,
 * headers)` store those headers, as light-my-request arranges with a set-and-remove.
 */
export const HeaderStoreObject = function HeaderStore() {} as unknown as new () => HeaderStore;
HeaderStoreObject.prototype = Object.create(null) as HeaderStore;
