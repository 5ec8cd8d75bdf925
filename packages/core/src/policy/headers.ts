import type { IncomingHttpHeaders } from 'node:http';
import { BatchError } from '../errors.js';
import { isFieldValue, isToken } from '../http-grammar.js';
import type { HeaderField } from '../operation.js';

// Hop-by-hop headers describe one connection, not a request (RFC 9110 §7.6.1), and
// Expect/Content-Length describe the outer body (THREATS V8: a copied Content-Length
// made express.json() fail every inner request).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'content-length',
  'http2-settings',
]);
// A header that changes the method would let one operation run as another.
const METHOD_OVERRIDES = new Set(['x-http-method-override', 'x-http-method', 'x-method-override']);

/** Outer headers that never reach inner requests. */
function isNotInherited(name: string): boolean {
  return (
    HOP_BY_HOP.has(name) ||
    METHOD_OVERRIDES.has(name) ||
    name.startsWith('content-') ||
    name.startsWith('proxy-') ||
    name.startsWith(':')
  );
}

/**
 * Headers only the outer request decides: who is asking, from where, through which
 * proxies (THREATS T14/T15/T20). Inner values are ignored so an operation can't spoof
 * `req.ip`, the Host, or the Origin a CSRF check reads.
 */
// The client-address headers CDNs and proxies set: an app keyed on one of them must see the
// proxy's value, never one an operation wrote.
const CLIENT_ADDRESS_HEADERS = new Set([
  'x-real-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'x-client-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
]);

export function isOuterOnly(name: string): boolean {
  return (
    name === 'host' ||
    name === 'origin' ||
    name === 'referer' ||
    name === 'forwarded' ||
    CLIENT_ADDRESS_HEADERS.has(name) ||
    name.startsWith('x-forwarded-') ||
    name.startsWith('sec-')
  );
}

/** Inner headers dropped silently: connection-level or method-changing. */
function isDroppedFromInner(name: string): boolean {
  return (
    (HOP_BY_HOP.has(name) && name !== 'transfer-encoding' && name !== 'content-length') ||
    METHOD_OVERRIDES.has(name) ||
    name.startsWith('proxy-')
  );
}

// Node keeps the first of these when a request repeats them (http.IncomingMessage#headers).
const SINGLE_VALUE = new Set([
  'age',
  'authorization',
  'content-type',
  'etag',
  'expires',
  'from',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** The outer headers every operation of one batch starts from; computed once per batch. */
export type InheritedHeaders = Readonly<Record<string, string>>;

/** Picks the outer headers that apply to every inner request (seed: all but Content-*). */
export function inheritedHeaders(outer: IncomingHttpHeaders): InheritedHeaders {
  // Plain objects (null-prototype ones are slow dictionaries in V8). Values are strings, and
  // the __proto__ setter ignores strings, so a header named __proto__ is dropped, never a
  // prototype change — as light-my-request and Node's own parser drop it.
  const base: Record<string, string> = {};
  for (const name of Object.keys(outer)) {
    if (isNotInherited(name)) continue;
    const value = outer[name];
    if (value === undefined) continue;
    base[name] = Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
  }
  if (base.host === undefined && typeof outer[':authority'] === 'string') base.host = outer[':authority'];
  return base;
}

/**
 * Refuses an operation's header fields that HTTP/1.1 can't carry (RFC 9110 §5.1, §5.5) or
 * that would frame its body (Transfer-Encoding). Every dialect's operations pass here
 * before any other rule of theirs, so a bad header is the verdict whatever dialect carried it.
 */
export function checkHeaderFields(own: readonly HeaderField[]): void {
  for (const [rawName, value] of own) {
    const name = rawName.toLowerCase();
    if (!isToken(name))
      throw new BatchError('batch.part.header', `${JSON.stringify(rawName)} is not a valid header name.`);
    if (!isFieldValue(value))
      throw new BatchError('batch.part.header', `The ${name} header contains a control character.`);
    if (name === 'transfer-encoding') {
      throw new BatchError(
        'batch.part.header',
        'Transfer-Encoding is not allowed on an operation; the batch delimits its body.',
      );
    }
  }
}

/**
 * An operation's headers: the inherited outer ones, overridden by the operation's own
 * (the seed: "the individual call header's value overrides"), except the outer-only ones,
 * and `Cookie` unless `allowInnerCookie` (THREATS T20).
 * Repeated inner headers combine the way Node combines them on a real request.
 */
export function mergeHeaders(
  base: InheritedHeaders,
  own: readonly HeaderField[],
  allowInnerCookie = false,
): Record<string, string> {
  checkHeaderFields(own);
  const headers: Record<string, string> = { ...base };
  if (own.length === 0) return headers;
  const overridden = new Set<string>();
  for (const [rawName, value] of own) {
    const name = rawName.toLowerCase();
    if (name === 'content-length' || isOuterOnly(name) || isDroppedFromInner(name)) continue;
    if (name === 'cookie' && !allowInnerCookie) continue;
    if (!overridden.has(name)) {
      overridden.add(name);
      headers[name] = value;
    } else if (!SINGLE_VALUE.has(name)) {
      headers[name] = `${headers[name]}${name === 'cookie' ? '; ' : ', '}${value}`;
    }
  }
  return headers;
}
