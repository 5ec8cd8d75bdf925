import type { OuterRequest } from '../node/http.js';
import { inheritedHeaders, type InheritedHeaders } from '../policy/headers.js';
import { outerQueryPairs, type QueryPair } from '../policy/query.js';
import { normalizePathForMatch } from '../policy/target.js';

/** What every operation of one batch inherits from the outer request; computed once per batch. */
export interface BatchContext {
  headers: InheritedHeaders;
  query: QueryPair[];
  /** The batch endpoint's own path from the host root, normalized for matching. */
  batchPath: string;
  /** The bulk endpoint's base path from the host root, normalized; undefined when none is served. */
  bulkPath: string | undefined;
  remoteAddress: string | undefined;
  encrypted: boolean;
}

/** The path of a request target from the host root (WHATWG-normalized, still encoded), without its query. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  try {
    return new URL(path, 'http://inbatch.invalid').pathname;
  } catch {
    return path;
  }
}

/**
 * Where `batch()` is mounted, from the host root: the outer path minus the path the
 * adapter matched (Express strips a sub-app's or router's mount path; Koa strips nothing).
 */
export function mountPrefix(outerPath: string, relativePath: string): string {
  const relative = relativePath.replace(/\/+$/, '');
  const outer = outerPath.replace(/\/+$/, '');
  if (relative !== '' && outer.toLowerCase().endsWith(relative.toLowerCase())) {
    return outer.slice(0, outer.length - relative.length);
  }
  return relative === '' ? outer : '';
}

/** The inherited headers and query, the client's identity and the paths inner requests may not target. */
export function batchContext(
  outer: OuterRequest,
  prefix: string,
  paths: { path: string; bulkPath: string | undefined },
): BatchContext {
  const q = outer.url.indexOf('?');
  return {
    headers: inheritedHeaders(outer.headers),
    query: q === -1 ? [] : outerQueryPairs(outer.url.slice(q + 1)),
    batchPath: normalizePathForMatch(prefix + paths.path),
    bulkPath: paths.bulkPath === undefined ? undefined : normalizePathForMatch(prefix + paths.bulkPath),
    remoteAddress: outer.remoteAddress,
    encrypted: outer.encrypted,
  };
}
