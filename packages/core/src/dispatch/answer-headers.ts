import type { OutgoingHttpHeader, ServerResponse } from 'node:http';
import { OUT_HEADERS, type HeaderStore } from './header-store.js';
import type { HeaderField } from '../operation.js';

// Connection-level answer headers: the multipart part delimits the body instead.
const ANSWER_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/** Whether an answer to `method` with `status` carries a body (RFC 9110 §6.4.1: not HEAD, 204, 304). */
export function answerHasBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status !== 204 && status !== 304;
}

/**
 * The answer's headers as the app set them (names as written, in the order set), minus
 * connection-level ones. `Content-Length` states the body actually captured, since the
 * part delimits the body and a length helps readers that parse the part as HTTP; HEAD,
 * 204 and 304 answers keep the app's own value.
 */
export function answerHeaders(res: ServerResponse, bodyLength: number, hasBody: boolean): HeaderField[] {
  const fields: HeaderField[] = [];
  const length = hasBody ? String(bodyLength) : undefined;
  let lengthSet = false;
  const store =
    OUT_HEADERS === undefined ? undefined : (res as unknown as Record<symbol, HeaderStore | null>)[OUT_HEADERS];
  if (store !== undefined) {
    for (const lower in store) {
      // Indexed, not destructured: destructuring an array runs the iterator protocol until optimized.
      const entry = store[lower] as HeaderStore[string];
      lengthSet = addField(fields, lower, entry[0], entry[1], length) || lengthSet;
    }
  } else {
    // OutgoingMessage#getRawHeaderNames exists since Node 15.13; @types/node only declares it on ClientRequest.
    for (const name of (res as ServerResponse & { getRawHeaderNames(): string[] }).getRawHeaderNames()) {
      const lower = name.toLowerCase();
      const value = res.getHeader(lower);
      if (value !== undefined) lengthSet = addField(fields, lower, name, value, length) || lengthSet;
    }
  }
  if (length !== undefined && !lengthSet) fields.push(['Content-Length', length]);
  return fields;
}

/** Adds one header field (or one per value); returns whether it was the Content-Length, set to `length`. */
function addField(
  fields: HeaderField[],
  lower: string,
  name: string,
  value: OutgoingHttpHeader,
  length: string | undefined,
): boolean {
  if (ANSWER_HOP_BY_HOP.has(lower)) return false;
  if (lower === 'content-length' && length !== undefined) {
    fields.push([name, length]);
    return true;
  }
  if (Array.isArray(value)) {
    for (const item of value) fields.push([name, item]);
  } else {
    fields.push([name, String(value)]);
  }
  return false;
}
