import { BatchError } from '../errors.js';

/** An inner request target that passed every check. */
export interface CheckedTarget {
  /** The target as the client wrote it (the dispatcher normalizes it the same way we did). */
  url: string;
  /** The path as the router will see it (WHATWG-normalized, still percent-encoded). */
  path: string;
  /** `?query` or the empty string. */
  search: string;
}

// A throwaway origin: if parsing a target against it changes the origin, the target
// named a host of its own (`//evil`, `/\evil`, `http://evil`), which we refuse (THREATS V6).
const BASE_ORIGIN = 'http://inbatch.invalid';
const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:/i;
// Encoded `.`, `/` and `\` let a path mean different things to a string check and to
// the router (THREATS T16); no legitimate client needs them in a batch.
const ENCODED_SEPARATOR = /%(?:2e|2f|5c)/i;

function refuse(message: string): never {
  throw new BatchError('batch.part.target', message);
}

/**
 * Accepts only origin-form targets (`/path?query`), as RFC 9112 §3.2.1 defines them,
 * and refuses every spelling that could reach another host or another path than the
 * one a string comparison sees.
 */
export function checkTarget(raw: string, maxLength: number): CheckedTarget {
  if (raw.length === 0) refuse('The request target is empty; send a path such as /items/1.');
  if (raw.length > maxLength) {
    throw new BatchError('batch.part.target', `The request target is longer than ${maxLength} characters.`, {
      limit: maxLength,
    });
  }
  if (raw.charCodeAt(0) !== 0x2f /* / */) {
    if (ABSOLUTE_URL.test(raw)) refuse('Absolute URLs are not allowed in a batch; send the path only.');
    refuse('The request target must be a path starting with "/".');
  }
  if (raw.length > 1 && raw.charCodeAt(1) === 0x2f) {
    refuse('The request target may not start with "//" (that names a host).');
  }
  let queryStart = -1;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) refuse('The request target contains a space or a control character.');
    if (c === 0x5c /* \ */) refuse('The request target may not contain a backslash.');
    if (c === 0x23 /* # */) refuse('The request target may not contain a fragment ("#").');
    if (c === 0x3f /* ? */ && queryStart === -1) queryStart = i;
  }
  const rawPath = queryStart === -1 ? raw : raw.slice(0, queryStart);
  if (ENCODED_SEPARATOR.test(rawPath)) {
    refuse('The request path may not contain encoded dots, slashes or backslashes (%2e, %2f, %5c).');
  }
  if (hasDotSegment(rawPath)) refuse('The request path may not contain "." or ".." segments.');
  // Most targets are plain: no character the WHATWG parser would rewrite (it percent-encodes
  // quotes, spaces, braces… and `'` in a query). Then the path and query are the text as
  // written, and parsing it again would only cost time.
  if (isPlainTarget(raw)) {
    return queryStart === -1
      ? { url: raw, path: raw, search: '' }
      : { url: raw, path: rawPath, search: queryStart === raw.length - 1 ? '' : raw.slice(queryStart) };
  }
  let parsed: URL;
  try {
    parsed = new URL(raw, BASE_ORIGIN);
  } catch {
    refuse('The request target is not a valid path.');
  }
  if (parsed.origin !== BASE_ORIGIN) refuse('The request target names a host; send the path only.');
  return { url: raw, path: parsed.pathname, search: parsed.search };
}

/** Whether a path (starting with `/`) has a `.` or `..` segment; a scan, not a split, since every target is checked. */
function hasDotSegment(path: string): boolean {
  for (let at = path.indexOf('/.'); at !== -1; at = path.indexOf('/.', at + 1)) {
    let end = at + 2;
    if (path.charCodeAt(end) === 0x2e /* . */) end++;
    if (end === path.length || path.charCodeAt(end) === 0x2f /* / */) return true;
  }
  return false;
}

// Characters the WHATWG URL parser leaves as they are in a path and a query of an http:
// URL: unreserved, the sub-delims but `'`, and ":", "@", "/", "?", "%". Anything else
// (quotes, `<>`, `` ` ``, `{}`, `^`, `|`, `[]`, `'`, `\`, `#`, spaces, controls, non-ASCII)
// may be percent-encoded or reinterpreted.
const VERBATIM = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&()*+,;=:@/?%') {
  VERBATIM[c.charCodeAt(0)] = 1;
}

/** Whether the WHATWG URL parser keeps this character (a UTF-16 code) as written in a path or a query. */
export function isVerbatimUrlChar(code: number): boolean {
  return code < 128 && VERBATIM[code] === 1;
}

function isPlainTarget(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    if (!isVerbatimUrlChar(raw.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * A path as routers compare it by default: case-insensitive, trailing slash ignored
 * (Express `caseSensitive: false, strict: false`; @koa/router likewise).
 */
export function normalizePathForMatch(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
  return path.slice(0, end).toLowerCase();
}

/** Whether `path` is `base` or below it, compared as routers compare paths. */
export function isAtOrBelow(path: string, normalizedBase: string): boolean {
  const candidate = normalizePathForMatch(path);
  return candidate === normalizedBase || candidate.startsWith(`${normalizedBase}/`);
}
