import { BatchError } from '../errors.js';
import { decodeQueryComponent } from './query.js';

/** Query parameters capped inside batches, name → the largest value allowed. */
export type QueryCaps = Readonly<Record<string, number>>;

/** Compiled caps: `undefined` when there are none, so batches skip the check entirely. */
export type CompiledQueryCaps = ReadonlyMap<string, number> | undefined;

/** Checks the `queryCaps` option once, at mount. */
export function compileQueryCaps(caps: unknown): CompiledQueryCaps {
  if (caps === undefined) return undefined;
  if (caps === null || typeof caps !== 'object' || Array.isArray(caps)) {
    throw new TypeError('inbatch: option "queryCaps" must be an object of parameter names to maximum values');
  }
  const compiled = new Map<string, number>();
  for (const [name, max] of Object.entries(caps)) {
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 0) {
      throw new TypeError(`inbatch: option "queryCaps.${name}" must be a non-negative integer`);
    }
    compiled.set(name, max);
  }
  return compiled.size === 0 ? undefined : compiled;
}

/**
 * Refuses an inner URL whose capped parameters are over their cap (the operations seed
 * caps `perPage` at 100 inside batches; THREATS T6). Every occurrence is checked — `qs`
 * turns repeats into arrays — and a value must be plain digits: `1e9`, `0x10` or `100abc`
 * would let the app read a number the check did not see. Keys are compared decoded, as
 * the app's query parser reads them.
 */
export function checkQueryCaps(url: string, caps: ReadonlyMap<string, number>): void {
  const q = url.indexOf('?');
  if (q === -1) return;
  for (const pair of url.slice(q + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeQueryComponent(eq === -1 ? pair : pair.slice(0, eq));
    // `perPage[]=…` and `perPage[x]=…` are the same parameter to qs.
    const bracket = key.indexOf('[');
    const max = caps.get(bracket === -1 ? key : key.slice(0, bracket));
    if (max === undefined) continue;
    const value = eq === -1 ? '' : decodeQueryComponent(pair.slice(eq + 1));
    if (!/^\d{1,15}$/.test(value) || Number(value) > max) {
      throw new BatchError(
        'batch.part.query_limit',
        `The query parameter ${JSON.stringify(key)} is limited to ${max} inside a batch (got ${JSON.stringify(value.slice(0, 32))}).`,
        { limit: max },
      );
    }
  }
}
