import type { ResolvedOptions } from '../options.js';
import { isVerbatimUrlChar, normalizePathForMatch } from '../policy/target.js';

/** The files of a finished job. */
export type JobFile = 'jsonl' | 'gz' | 'result';

/**
 * A request the engine answers, with the path the adapter matched (relative to where
 * `batch()` is mounted). Everything else passes through to the app untouched.
 */
export type BatchRoute =
  /** `{path}`, any method: a batch (non-POST methods answer 405). */
  | { kind: 'submit'; path: string }
  /** `GET {path}/limits`: the load scores. */
  | { kind: 'limits'; path: string }
  /** `GET {path}/{id}`: a job's status. */
  | { kind: 'status'; path: string; id: string }
  /** `DELETE {path}/{id}`: cancel a job. */
  | { kind: 'cancel'; path: string; id: string }
  /** `GET {path}/{id}/jsonl|gz|result`: a finished job's files. */
  | { kind: 'file'; path: string; id: string; file: JobFile }
  /** `PATCH {bulkPath}/{resource}`: a bulk batch (`resource` is lower case, decoded). */
  | { kind: 'bulk'; path: string; resource: string };

// The ids the engine makes (crypto.randomUUID: version 4, RFC 9562 variant). Anything
// else never reaches the store (THREATS T31); the path is lower-cased before this test.
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FILES = new Set<string>(['jsonl', 'gz', 'result']);

/** Whether a string is a job id the engine could have made (any case). */
export function isJobId(value: string): boolean {
  return UUID_V4.test(value.toLowerCase());
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Whether the path of `url` (up to `?` or `#`) may start with `prefix` (lower case) as
 * routers compare paths: false only when sure it doesn't.
 */
function mayStartWith(url: string, prefix: string): boolean {
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x3f /* ? */ || c === 0x23 /* # */) break;
    // Sure only of characters every router and the WHATWG parser leave as written, minus
    // dots (dot segments) and `%` (encoded ones): anything else is left to `match`.
    if (!isVerbatimUrlChar(c) || c === 0x2e /* . */ || c === 0x25 /* % */) return true;
  }
  if (url.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    let c = url.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The test every request of the app passes first, inner requests included: false when a
 * request for `url` (path and query, relative to where `batch()` is mounted) can't be
 * one the engine serves, decided from a prefix without parsing the URL or building the
 * path. A URL that is not a plain path (absolute-form, `//`, dots, escapes) is left to
 * `match`, whose path parsing may read it differently.
 */
export function createRouteFilter(options: ResolvedOptions): (url: string) => boolean {
  const prefixes = options.bulk === undefined ? [options.matchPath] : [options.matchPath, options.bulkMatchPath];
  return (url) => {
    if (url.charCodeAt(0) !== 0x2f || url.charCodeAt(1) === 0x2f) return true;
    for (const prefix of prefixes) if (mayStartWith(url, prefix)) return true;
    return false;
  };
}

/**
 * The route table, in one place for every adapter: paths matched as routers match them
 * (case-insensitive, trailing slash ignored); `HEAD` is answered like `GET`.
 */
export function createRouteMatcher(options: ResolvedOptions): (method: string, path: string) => BatchRoute | undefined {
  const base = options.matchPath;
  const below = `${base}/`;
  const bulkBelow = options.bulk === undefined ? undefined : `${options.bulkMatchPath}/`;
  return (method, path) => {
    const normalized = normalizePathForMatch(path);
    if (normalized === base) return { kind: 'submit', path };
    if (normalized.startsWith(below)) {
      const rest = normalized.slice(below.length).split('/');
      const read = method === 'GET' || method === 'HEAD';
      const [first = '', second] = rest;
      if (rest.length === 1) {
        if (read && first === 'limits') return { kind: 'limits', path };
        if (UUID_V4.test(first)) {
          if (read) return { kind: 'status', path, id: first };
          if (method === 'DELETE') return { kind: 'cancel', path, id: first };
        }
      } else if (rest.length === 2 && read && second !== undefined && FILES.has(second) && UUID_V4.test(first)) {
        return { kind: 'file', path, id: first, file: second as JobFile };
      }
    }
    if (bulkBelow !== undefined && method === 'PATCH' && normalized.startsWith(bulkBelow)) {
      const segment = normalized.slice(bulkBelow.length);
      const resource = segment.includes('/') ? undefined : decodeSegment(segment);
      if (resource !== undefined && resource !== '') return { kind: 'bulk', path, resource };
    }
    return undefined;
  };
}
