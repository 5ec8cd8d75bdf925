import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** What the `owner` option sees of the outer request. */
export interface OwnerFacts {
  headers: IncomingHttpHeaders;
  /** The client's address. */
  remoteAddress: string | undefined;
  /** Whether the client connected over TLS. */
  encrypted: boolean;
}

/** Derives who a job belongs to from the outer request; undefined falls back to the default. */
export type OwnerRule = (request: OwnerFacts) => string | undefined;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function single(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join('; ') : value;
}

/**
 * The default owner: a SHA-256 of the credentials the request carries (`Authorization`
 * and `Cookie`), else the client address. Its pitfalls are documented (THREATS T28): a
 * rotated token or a changed cookie is a new owner, and clients without credentials
 * behind one NAT address are one owner. Apps with a real principal should pass `owner`.
 */
export function defaultOwner(request: OwnerFacts): string {
  const authorization = single(request.headers.authorization);
  const cookie = single(request.headers.cookie);
  if (authorization !== '' || cookie !== '') return `credentials:${sha256(`${authorization}\n${cookie}`)}`;
  return `address:${request.remoteAddress ?? ''}`;
}

/**
 * Compiles the `owner` option into a function answering the owner *key*: a SHA-256 of
 * what the rule returned, so neither a raw credential nor a client-chosen string is ever
 * used as a store key or shown (THREATS T28, T31).
 */
export function compileOwner(rule: unknown): (request: OwnerFacts) => string {
  if (rule !== undefined && typeof rule !== 'function') {
    throw new TypeError('inbatch: option "owner" must be a function of { headers, remoteAddress, encrypted }');
  }
  const derive = rule as OwnerRule | undefined;
  return (request) => {
    const custom = derive?.(request);
    if (custom !== undefined && typeof custom !== 'string') {
      throw new TypeError('inbatch: the "owner" option must return a string or undefined');
    }
    return sha256(`inbatch.owner\0${custom === undefined || custom === '' ? defaultOwner(request) : `app:${custom}`}`);
  };
}
