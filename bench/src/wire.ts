import type { IncomingHttpHeaders } from 'node:http';
import { buildMultipartBatch, multipartStatuses } from './multipart.js';
import type { InnerSpec } from './scenarios.js';

/** One outer HTTP request, built once per (contender, N) and replayed every rotation. */
export interface OuterSpec {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export interface OuterAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * How one batch endpoint is spoken: encode N inner requests into one outer request, and
 * check that the answer carries N answers with the expected status. Used by the client
 * process only; a check that fails marks the contender as failed instead of timing errors.
 */
export interface WireFormat {
  id: WireId;
  encode(path: string, ops: readonly InnerSpec[]): OuterSpec;
  /** Returns a description of what is wrong, or undefined when the answer is complete and correct. */
  verify(answer: OuterAnswer, ops: readonly InnerSpec[], expectStatus: number): string | undefined;
}

export type WireId =
  'inbatch-multipart' | 'inbatch-json' | 'express-batch' | 'multifetch' | 'batch-request' | 'bassmaster';

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function jsonPost(path: string, value: unknown): OuterSpec {
  return { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: json(value) };
}

function parseJson(answer: OuterAnswer): unknown {
  return JSON.parse(answer.body.toString('utf8'));
}

/** `?0=/items/0&1=/items/1…`: numeric keys keep the URL of 1000 requests near 15 KB. */
function queryBatch(path: string, ops: readonly InnerSpec[]): OuterSpec {
  const query = ops.map((op, index) => `${index}=${encodeURIComponent(op.url)}`).join('&');
  return { method: 'GET', path: `${path}?${query}`, headers: {}, body: undefined };
}

function countBad(values: unknown[], isGood: (value: unknown) => boolean): string | undefined {
  const bad = values.filter((value) => !isGood(value)).length;
  return bad === 0
    ? undefined
    : `${bad} of ${values.length} inner answers are wrong, e.g. ${JSON.stringify(values.find((v) => !isGood(v))).slice(0, 200)}`;
}

function expectOk(answer: OuterAnswer): string | undefined {
  return answer.status === 200 ? undefined : `outer status ${answer.status}: ${answer.body.toString('utf8', 0, 200)}`;
}

/** inbatch, multipart dialect. Each dialect is one entry of this shape here, and one row in OUR_DIALECTS. */
const inbatchMultipart: WireFormat = {
  id: 'inbatch-multipart',
  encode(path, ops) {
    const { contentType, body } = buildMultipartBatch(ops);
    return { method: 'POST', path, headers: { 'content-type': contentType }, body };
  },
  verify(answer, ops, expectStatus) {
    const outer = expectOk(answer);
    if (outer) return outer;
    const statuses = multipartStatuses(answer.headers['content-type'], answer.body);
    if (statuses.length !== ops.length) return `${statuses.length} parts for ${ops.length} requests`;
    return countBad(statuses, (status) => status === expectStatus);
  },
};

/** inbatch, JSON dialect (Microsoft Graph `$batch` shape): JSON bodies travel as JSON values. */
const inbatchJson: WireFormat = {
  id: 'inbatch-json',
  encode(path, ops) {
    const requests = ops.map((op, index) => ({
      id: String(index),
      method: op.method,
      url: op.url,
      headers: op.headers,
      ...(op.body === undefined ? {} : { body: JSON.parse(op.body.toString('utf8')) as unknown }),
    }));
    return jsonPost(path, { requests });
  },
  verify(answer, ops, expectStatus) {
    const outer = expectOk(answer);
    if (outer) return outer;
    const { responses } = parseJson(answer) as { responses?: Array<{ id?: string; status?: number }> };
    if (!Array.isArray(responses) || responses.length !== ops.length) return `not ${ops.length} responses`;
    if (responses.some((r, index) => r.id !== String(index))) return 'responses are not in request order';
    return countBad(responses, (r) => (r as { status?: number }).status === expectStatus);
  },
};

/** express-batch: `GET /batch?key=/path` → `{key: {result, status}}` (GET only). */
const expressBatch: WireFormat = {
  id: 'express-batch',
  encode: queryBatch,
  verify(answer, ops, expectStatus) {
    const outer = expectOk(answer);
    if (outer) return outer;
    const results = Object.values(parseJson(answer) as Record<string, { status?: number }>);
    if (results.length !== ops.length) return `${results.length} results for ${ops.length} requests`;
    // express-batch leaves `status` undefined when the route never called res.status().
    return countBad(results, (r) => ((r as { status?: number }).status ?? 200) === expectStatus);
  },
};

/** multifetch: `GET /batch?key=/path` → `{key: {statusCode, headers, body}, _error}` (GET only). */
const multifetch: WireFormat = {
  id: 'multifetch',
  encode: queryBatch,
  verify(answer, ops, expectStatus) {
    const outer = expectOk(answer);
    if (outer) return outer;
    const { _error: failed, ...results } = parseJson(answer) as Record<string, unknown>;
    if (failed !== false) return `_error is ${JSON.stringify(failed)}`;
    const values = Object.values(results);
    if (values.length !== ops.length) return `${values.length} results for ${ops.length} requests`;
    return countBad(values, (r) => (r as { statusCode?: number }).statusCode === expectStatus);
  },
};

/** batch-request: `POST /batch {key: {method, url, body?, json?}}` → `{key: {statusCode, body, headers}}`. */
const batchRequest: WireFormat = {
  id: 'batch-request',
  encode(path, ops) {
    const requests: Record<string, unknown> = {};
    ops.forEach((op, index) => {
      requests[index] =
        op.body === undefined
          ? { method: op.method, url: op.url }
          : { method: op.method, url: op.url, json: true, body: JSON.parse(op.body.toString('utf8')) };
    });
    return jsonPost(path, requests);
  },
  verify(answer, ops, expectStatus) {
    const outer = expectOk(answer);
    if (outer) return outer;
    const values = Object.values(parseJson(answer) as Record<string, unknown>);
    if (values.length !== ops.length) return `${values.length} results for ${ops.length} requests`;
    return countBad(values, (r) => (r as { statusCode?: number }).statusCode === expectStatus);
  },
};

/** bassmaster (hapi): `POST /batch {requests: [{method, path, payload?}]}` → array of bodies (no statuses). */
const bassmaster: WireFormat = {
  id: 'bassmaster',
  encode(path, ops) {
    const requests = ops.map((op) =>
      op.body === undefined
        ? { method: op.method.toLowerCase(), path: op.url }
        : { method: op.method.toLowerCase(), path: op.url, payload: JSON.parse(op.body.toString('utf8')) },
    );
    return jsonPost(path, { requests });
  },
  verify(answer, ops) {
    const outer = expectOk(answer);
    if (outer) return outer;
    const values = parseJson(answer) as unknown[];
    if (!Array.isArray(values) || values.length !== ops.length) return `not an array of ${ops.length} bodies`;
    // bassmaster drops status codes; an error shows up as a Boom payload {statusCode, error, message}.
    return countBad(values, (r) => typeof r === 'object' && r !== null && !('statusCode' in r) && 'id' in r);
  },
};

export const WIRE_FORMATS: Readonly<Record<WireId, WireFormat>> = {
  'inbatch-multipart': inbatchMultipart,
  'inbatch-json': inbatchJson,
  'express-batch': expressBatch,
  multifetch,
  'batch-request': batchRequest,
  bassmaster,
};
