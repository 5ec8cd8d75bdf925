import { decodeUtf8, fromBase64, toBase64, utf8, type Bytes } from '../bytes.js';
import { isJsonContentType, isTextContentType } from '../media-type.js';
import { reasonPhrase } from '../status-text.js';
import type { WireRequest, WireResponse } from '../wire.js';
import type { ClientDialect } from './dialect.js';

/** One request of `{"requests":[…]}`, without its `id` (given when the batch is joined). */
interface JsonOperation {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  bodyEncoding?: 'base64';
}

// The server reads `{{<id>.…}}` in a JSON operation's url, header values and (non-base64)
// body as a reference when `<id>` names an operation of the batch — here the ids are
// "1", "2", … (packages/core/src/dialects/references.ts). Text that looks like one can't
// be sent as is; any other braces are plain text to the server.
const REFERENCE = /\{\{\s*\d+\./;

function refuse(request: WireRequest, why: string): never {
  throw new TypeError(
    `inbatch: ${request.method} ${request.target} can't be sent in the json dialect: ${why}; use dialect 'multipart'.`,
  );
}

/**
 * The body rule of the JSON dialect (README "The JSON dialect"): a JSON Content-Type sends
 * the parsed value; text sends a string; anything else (or text that is not UTF-8, or that
 * looks like a reference) sends base64 marked with `bodyEncoding`.
 */
function writeBody(request: WireRequest, operation: JsonOperation, contentType: string | undefined): void {
  const body = request.body;
  if (body === undefined) return;
  if (contentType === undefined) {
    // The server reads a body without Content-Type as JSON; raw bytes (a Blob, an
    // ArrayBuffer) say what they are instead, so they arrive unchanged.
    operation.headers = { ...operation.headers, 'content-type': 'application/octet-stream' };
  } else if (isJsonContentType(contentType)) {
    const text = decodeUtf8(body);
    let value: unknown;
    try {
      value = JSON.parse(text ?? '');
    } catch {
      refuse(request, `its body is not valid JSON, yet its Content-Type is ${contentType}`);
    }
    if (REFERENCE.test(JSON.stringify(value))) refuse(request, 'its JSON body contains {{…}}, read as a reference');
    operation.body = value;
    return;
  } else if (isTextContentType(contentType)) {
    const text = decodeUtf8(body);
    if (text !== undefined && !REFERENCE.test(text)) {
      operation.body = text;
      return;
    }
  }
  operation.body = toBase64(body);
  operation.bodyEncoding = 'base64';
}

function writeOperation(request: WireRequest): JsonOperation {
  // `{` and `}` are not percent-encoded in a query by URL; encoding them keeps the query's
  // meaning for the app and keeps the server from reading `{{…}}` as a reference.
  const url = REFERENCE.test(request.target)
    ? request.target.replaceAll('{', '%7B').replaceAll('}', '%7D')
    : request.target;
  const operation: JsonOperation = { method: request.method, url };
  let contentType: string | undefined;
  if (request.headers.length > 0) {
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers) {
      if (REFERENCE.test(value)) refuse(request, `its ${name} header contains {{…}}, read as a reference`);
      headers[name] = value;
      if (name === 'content-type') contentType = value;
    }
    operation.headers = headers;
  }
  writeBody(request, operation, contentType);
  return operation;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads one entry of `{"responses":[…]}` back into status, headers and body bytes. */
function readAnswer(item: unknown, index: number): WireResponse {
  const where = `answer ${index + 1} of the json batch`;
  if (!isRecord(item)) throw new TypeError(`inbatch: ${where} is not an object.`);
  if (item.id !== String(index + 1)) {
    throw new TypeError(`inbatch: ${where} has id ${JSON.stringify(item.id)}; expected "${index + 1}".`);
  }
  const status = item.status;
  if (typeof status !== 'number' || !Number.isInteger(status)) throw new TypeError(`inbatch: ${where} has no status.`);
  const headers: [string, string][] = [];
  let contentType: string | undefined;
  if (item.headers !== undefined) {
    if (!isRecord(item.headers)) throw new TypeError(`inbatch: the headers of ${where} are not an object.`);
    for (const [name, value] of Object.entries(item.headers)) {
      const values: unknown[] = Array.isArray(value) ? value : [value];
      for (const one of values) {
        if (typeof one !== 'string') throw new TypeError(`inbatch: the ${name} header of ${where} is not a string.`);
        headers.push([name, one]);
        if (name.toLowerCase() === 'content-type') contentType = one;
      }
    }
  }
  let body: Bytes;
  if (item.body === undefined) {
    body = new Uint8Array(0);
  } else if (item.bodyEncoding === 'base64') {
    const decoded = typeof item.body === 'string' ? fromBase64(item.body) : undefined;
    if (decoded === undefined) throw new TypeError(`inbatch: the body of ${where} is not valid base64.`);
    body = decoded;
  } else if (isJsonContentType(contentType)) {
    // Embedded as a JSON value: written back as compact JSON text.
    body = utf8(JSON.stringify(item.body));
  } else if (typeof item.body === 'string') {
    body = utf8(item.body);
  } else {
    throw new TypeError(`inbatch: the body of ${where} is JSON, but its Content-Type is not.`);
  }
  return { status, statusText: reasonPhrase(status), headers, body };
}

/** `{"requests":[…]}` → `{"responses":[…]}`, the shape Microsoft Graph `$batch` clients send. */
export const jsonDialect: ClientDialect<JsonOperation> = {
  name: 'json',
  part: writeOperation,
  join: (parts) => {
    const requests = parts.map((operation, index) => ({ id: String(index + 1), ...operation }));
    return { contentType: 'application/json', body: utf8(JSON.stringify({ requests })) };
  },
  read: (contentType, body, count) => {
    if (!isJsonContentType(contentType)) {
      throw new TypeError(`inbatch: a json batch was answered with Content-Type ${JSON.stringify(contentType)}.`);
    }
    let value: unknown;
    try {
      value = JSON.parse(decodeUtf8(body) ?? '');
    } catch {
      throw new TypeError('inbatch: the json batch answer is not valid JSON.');
    }
    if (!isRecord(value) || !Array.isArray(value.responses)) {
      throw new TypeError('inbatch: the json batch answer has no "responses" array.');
    }
    const responses = value.responses as unknown[];
    if (responses.length !== count) {
      throw new TypeError(`inbatch: the json batch answer has ${responses.length} answers for ${count} requests.`);
    }
    return responses.map(readAnswer);
  },
};
