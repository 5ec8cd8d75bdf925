import { isUtf8 } from 'node:buffer';
import { isJsonMediaType, type ContentType } from '../content-type.js';
import type { AnswerSink } from '../engine/answer-buffer.js';
import { BatchError } from '../errors.js';
import type { BatchEntry, HeaderField, OperationResult, RawOperation } from '../operation.js';
import type { ResolvedOptions } from '../options.js';
import { checkOperationCount, type AnswerWriter, type JsonDialect } from './dialect.js';
import { asText, ReferenceResolver, ReferenceSyntax } from './references.js';

/** What the JSON writer needs to answer an operation. */
export interface JsonMeta {
  id: string;
}

const TEXT_MEDIA_TYPES = new Set([
  'application/xml',
  'application/javascript',
  'application/ecmascript',
  'application/x-www-form-urlencoded',
  'application/graphql',
]);
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:/i;
/** Reference placeholders for the checks that run before anything runs. */
const PLACEHOLDER = /\{\{[^{}]{1,256}\}\}/g;

function mediaTypeOf(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function idOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * Graph clients send `users?$select=…` without the leading slash and `$filter=city eq null`
 * with spaces; both are accepted. Anything else is left for the target checks to judge.
 */
function normalizeUrl(url: string): string {
  const rooted = url.startsWith('/') || ABSOLUTE_URL.test(url) ? url : `/${url}`;
  return rooted.replaceAll(' ', '%20');
}

/**
 * The request body rule: a JSON value when the operation's Content-Type is JSON or absent
 * (absent becomes `application/json`); otherwise a string, sent as UTF-8 text, or decoded
 * from base64 when the operation says `"bodyEncoding": "base64"`.
 */
function encodeBody(request: Record<string, unknown>, headers: HeaderField[], bodyValue: unknown): Buffer | undefined {
  if (bodyValue === undefined || bodyValue === null) return undefined;
  let contentType = headers.find(([name]) => name === 'content-type')?.[1];
  if (contentType === undefined) {
    contentType = 'application/json';
    headers.push(['content-type', contentType]);
  }
  if (isJsonMediaType(mediaTypeOf(contentType))) return Buffer.from(JSON.stringify(bodyValue));
  if (typeof bodyValue !== 'string') {
    throw new BatchError(
      'batch.part.malformed',
      `A body sent as ${mediaTypeOf(contentType)} must be a string; only JSON bodies may be objects.`,
    );
  }
  const encoding = request.bodyEncoding;
  if (encoding === 'base64') {
    if (!BASE64.test(bodyValue)) throw new BatchError('batch.part.malformed', 'The body is not valid base64.');
    return Buffer.from(bodyValue, 'base64');
  }
  if (encoding !== undefined && encoding !== 'utf8') {
    throw new BatchError('batch.part.malformed', 'bodyEncoding must be "base64" or "utf8".');
  }
  return Buffer.from(bodyValue, 'utf8');
}

function readHeaders(value: unknown): HeaderField[] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) throw new BatchError('batch.part.header', 'headers must be an object of names to values.');
  const fields: HeaderField[] = [];
  for (const [name, field] of Object.entries(value)) {
    // A header is octets: a string goes as its UTF-8 bytes, as a client would write it on
    // the wire and as a multipart part carries it (Node shows those bytes as latin1).
    if (typeof field === 'string') fields.push([name.toLowerCase(), Buffer.from(field).toString('latin1')]);
    else if (typeof field === 'number' || typeof field === 'boolean') fields.push([name.toLowerCase(), String(field)]);
    else throw new BatchError('batch.part.header', `The ${name} header must be a string.`);
  }
  return fields;
}

/** Refuses unknown ids and cycles in `dependsOn` before anything runs, naming them. */
function dependencyIndices(requests: readonly Record<string, unknown>[], ids: Map<string, number>): number[][] {
  const graph: number[][] = [];
  const unknown: string[] = [];
  requests.forEach((request, index) => {
    const listed = request.dependsOn;
    if (listed === undefined || listed === null) {
      graph.push([]);
      return;
    }
    if (!Array.isArray(listed)) {
      throw new BatchError('batch.malformed', `dependsOn of request ${index + 1} must be an array of ids.`, {
        where: { part: index + 1, operationId: String(request.id) },
      });
    }
    const deps: number[] = [];
    for (const item of listed as unknown[]) {
      const id = idOf(item);
      const at = id === undefined ? undefined : ids.get(id);
      if (at === undefined) unknown.push(`${String(request.id)} → ${String(item)}`);
      else if (!deps.includes(at)) deps.push(at);
    }
    graph.push(deps);
  });
  if (unknown.length > 0) {
    throw new BatchError(
      'batch.dependency_unknown',
      `dependsOn names ids that are not in the batch: ${unknown.join(', ')}.`,
    );
  }
  // Kahn's algorithm: whatever can't be ordered sits on a cycle.
  const waiting = graph.map((deps) => deps.length);
  const dependents: number[][] = graph.map(() => []);
  graph.forEach((deps, index) => deps.forEach((dep) => dependents[dep]?.push(index)));
  const queue = waiting.flatMap((count, index) => (count === 0 ? [index] : []));
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const dependent of dependents[next] ?? []) {
      if (--(waiting[dependent] as number) === 0) queue.push(dependent);
    }
  }
  const cyclic = waiting.flatMap((count, index) => (count > 0 ? [String(requests[index]?.id)] : []));
  if (cyclic.length > 0) {
    throw new BatchError('batch.dependency_cycle', `dependsOn forms a cycle among: ${cyclic.slice(0, 20).join(', ')}.`);
  }
  return graph;
}

function hasBraces([, value]: HeaderField): boolean {
  return value.includes('{{');
}

/** Turns one request of the batch into an entry; problems become that entry's refusal. */
function toEntry(
  request: Record<string, unknown>,
  index: number,
  id: string,
  dependsOn: number[],
  requests: readonly Record<string, unknown>[],
  batchIds: ReadonlySet<string>,
): BatchEntry<JsonMeta> {
  const where = { part: index + 1, operationId: id };
  const meta = { id };
  try {
    const method = request.method;
    if (typeof method !== 'string' || method === '') {
      throw new BatchError('batch.part.method', 'The request has no method.');
    }
    const url = request.url;
    if (typeof url !== 'string' || url === '') throw new BatchError('batch.part.target', 'The request has no url.');
    const headers = readHeaders(request.headers);
    const body = encodeBody(request, headers, request.body);
    const operation: RawOperation = { method: method.toUpperCase(), target: normalizeUrl(url), headers, body };
    // Most operations reference nothing: no `{{` anywhere, nothing to look for.
    const textBody = body !== undefined && request.bodyEncoding !== 'base64';
    if (!url.includes('{{') && !headers.some(hasBraces) && !(textBody && body.includes('{{'))) {
      return { where, meta, operation, dependsOn };
    }
    const syntax = new ReferenceSyntax(batchIds, new Set(dependsOn.map((dep) => String(requests[dep]?.id))));
    const referenceCount =
      syntax.find(url).length +
      headers.reduce((count, [, value]) => count + syntax.find(value).length, 0) +
      (textBody ? syntax.find(body.toString('utf8')).length : 0);
    if (referenceCount === 0) return { where, meta, operation, dependsOn };

    const indexById = new Map(dependsOn.map((dep) => [String(requests[dep]?.id), dep]));
    return {
      where,
      meta,
      // Checked now with placeholders, so a malformed template is refused before anything runs;
      // checked again once resolved, with the real values.
      operation: {
        ...operation,
        target: operation.target.replace(PLACEHOLDER, '0'),
        headers: headers.map(([name, value]) => [name, value.replace(PLACEHOLDER, 'x')]),
      },
      dependsOn,
      resolve: (answerOf: (index: number) => OperationResult | undefined): RawOperation => {
        const resolver = new ReferenceResolver(syntax, (dependencyId) => {
          const at = indexById.get(dependencyId);
          return at === undefined ? undefined : answerOf(at);
        });
        const isJsonBody = isJsonMediaType(mediaTypeOf(headers.find(([name]) => name === 'content-type')?.[1]));
        let resolvedBody = body;
        if (body !== undefined && request.bodyEncoding !== 'base64') {
          resolvedBody = isJsonBody
            ? Buffer.from(JSON.stringify(resolver.json(request.body)))
            : Buffer.from(resolver.interpolate(body.toString('utf8'), asText));
        }
        return {
          method: operation.method,
          target: normalizeUrl(resolver.url(url)),
          headers: headers.map(([name, value]) => [name, resolver.header(value)]),
          body: resolvedBody,
        };
      },
    };
  } catch (error) {
    if (error instanceof BatchError) return { where, meta, dependsOn, refusal: error.at(where) };
    throw error;
  }
}

/** Reads `{"requests":[…]}` (the shape Microsoft Graph `$batch` clients send). */
export function parseJsonBatch(value: unknown, options: ResolvedOptions): BatchEntry<JsonMeta>[] {
  if (!isRecord(value) || !Array.isArray(value.requests)) {
    throw new BatchError('batch.malformed', 'A JSON batch is an object with a "requests" array.');
  }
  const list = value.requests as unknown[];
  checkOperationCount(list.length, options.maxOperations);
  const requests: Record<string, unknown>[] = [];
  const ids = new Map<string, number>();
  list.forEach((request, index) => {
    if (!isRecord(request)) {
      throw new BatchError('batch.malformed', `Request ${index + 1} is not an object.`, { where: { part: index + 1 } });
    }
    const id = idOf(request.id);
    if (id === undefined) {
      throw new BatchError('batch.malformed', `Request ${index + 1} has no "id" (a non-empty string).`, {
        where: { part: index + 1 },
      });
    }
    const earlier = ids.get(id);
    if (earlier !== undefined) {
      throw new BatchError('batch.duplicate_id', `Requests ${earlier + 1} and ${index + 1} both have the id "${id}".`, {
        where: { part: index + 1, operationId: id },
      });
    }
    ids.set(id, index);
    requests.push({ ...request, id });
  });
  const graph = dependencyIndices(requests, ids);
  const batchIds = new Set(ids.keys());
  return requests.map((request, index) =>
    toEntry(request, index, String(request.id), graph[index] ?? [], requests, batchIds),
  );
}

function isTextual(mediaType: string, contentType: string): boolean {
  return (
    mediaType.startsWith('text/') ||
    TEXT_MEDIA_TYPES.has(mediaType) ||
    mediaType.endsWith('+xml') ||
    /;\s*charset=/i.test(contentType)
  );
}

/**
 * An answer's headers as an object; Content-Type spelled as Graph clients read it. A plain
 * object (V8 keeps it fast to build and to stringify), unless a header is named
 * `__proto__`, which only an object without a prototype can hold as a key.
 */
function headerObject(fields: readonly HeaderField[]): Record<string, string | string[]> {
  let headers: Record<string, string | string[]> = {};
  for (const [rawName, value] of fields) {
    const lower = rawName.toLowerCase();
    // The body is re-encoded inside the JSON answer, so the app's length no longer applies.
    if (lower === 'content-length') continue;
    const name = lower === 'content-type' ? 'Content-Type' : rawName;
    if (name === '__proto__' && Object.getPrototypeOf(headers) !== null) {
      headers = Object.assign(Object.create(null) as Record<string, string | string[]>, headers);
    }
    const existing = Object.hasOwn(headers, name) ? headers[name] : undefined;
    if (existing === undefined) headers[name] = value;
    else headers[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return headers;
}

/** The value of an answer's Content-Type header, or the empty string. */
function contentTypeOf(fields: readonly HeaderField[]): string {
  for (const field of fields) if (field[0].toLowerCase() === 'content-type') return field[1];
  return '';
}

/**
 * One answer as Graph clients read it: a JSON body embedded as JSON, UTF-8 text as a
 * string, anything else as base64 with `"bodyEncoding": "base64"` (the Content-Type says
 * what it is). Only what round-trips is embedded: text that is not UTF-8 (a latin-1
 * answer) would be mangled by decoding it, and a JSON-typed body that is not JSON would
 * pass for a JSON string; both go as base64.
 */
export function answerObject(id: string, result: OperationResult): Record<string, unknown> {
  const item: Record<string, unknown> = { id, status: result.status, headers: headerObject(result.headers) };
  if (result.body.length === 0) return item;
  const contentType = contentTypeOf(result.headers);
  const mediaType = mediaTypeOf(contentType);
  const utf8 = isUtf8(result.body);
  if (utf8 && isJsonMediaType(mediaType)) {
    try {
      item.body = JSON.parse(result.body.toString('utf8'));
      return item;
    } catch {
      // not JSON after all: sent as bytes below
    }
  } else if (utf8 && (isTextual(mediaType, contentType) || mediaType === '')) {
    item.body = result.body.toString('utf8');
    return item;
  }
  item.body = result.body.toString('base64');
  item.bodyEncoding = 'base64';
  return item;
}

class JsonWriter implements AnswerWriter<JsonMeta> {
  readonly contentType = 'application/json; charset=utf-8';

  head(): Buffer {
    return Buffer.from('{"responses":[');
  }

  slot(entry: BatchEntry<JsonMeta>, result: OperationResult, index: number, out: AnswerSink): void {
    if (index > 0) out.latin1(',');
    out.utf8(JSON.stringify(answerObject(entry.meta.id, result)));
  }

  tail(): Buffer {
    return Buffer.from(']}');
  }
}

/** `{"requests":[…]}` batches with `dependsOn` and references. */
export const jsonDialect: JsonDialect<JsonMeta> = {
  name: 'json',
  input: 'json',
  accepts: (contentType: ContentType) => isJsonMediaType(contentType.mediaType),
  claims: (value) => isRecord(value) && Array.isArray(value.requests),
  parse: (value, options) => parseJsonBatch(value, options),
  createWriter: () => new JsonWriter(),
};
