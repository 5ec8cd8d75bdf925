import type { Bytes } from './bytes.js';
import type { ClientDialect, DialectName } from './dialects/dialect.js';
import { resolveClientOptions } from './options.js';
import { readWireRequest } from './wire.js';

/** What reading an inner answer needs to know about its request. */
export interface BatchedRequest {
  readonly method: string;
  /** The whole URL, given to the answer as `Response.url`. */
  readonly url: string;
}

/** An outer batch request, ready to send: its body, its Content-Type, and its inner requests in order. */
export interface EncodedBatch {
  readonly dialect: DialectName;
  readonly contentType: string;
  readonly body: Bytes;
  readonly requests: readonly BatchedRequest[];
}

/** One request read and written by a dialect, not yet numbered into a batch. */
export interface PreparedRequest {
  request: BatchedRequest;
  part: unknown;
}

/**
 * Reads one request's body and writes it in the dialect. Rejects (with the abort reason,
 * or a `TypeError`) when the request was aborted or the dialect can't carry it, so only
 * its own caller fails.
 */
export async function prepareRequest(request: Request, dialect: ClientDialect<unknown>): Promise<PreparedRequest> {
  request.signal.throwIfAborted();
  const wire = await readWireRequest(request);
  return { request: { method: wire.method, url: wire.url }, part: dialect.part(wire) };
}

/** Frames prepared requests, in order, as one outer request. */
export function assembleBatch(prepared: readonly PreparedRequest[], dialect: ClientDialect<unknown>): EncodedBatch {
  const { contentType, body } = dialect.join(prepared.map((item) => item.part));
  return { dialect: dialect.name, contentType, body, requests: prepared.map((item) => item.request) };
}

/**
 * Writes requests as one outer batch request, for sending it some other way than
 * `fetch` (or in-process, as `@inbatch/client/testing` does). Read its answer with
 * `readBatchAnswer`.
 *
 * @example
 * const batch = await encodeBatch([new Request('https://api.example.com/items/1')], { dialect: 'json' });
 * const answer = await fetch('https://api.example.com/batch', {
 *   method: 'POST',
 *   headers: { 'Content-Type': batch.contentType },
 *   body: batch.body,
 * });
 * const [item] = await readBatchAnswer(answer, batch);
 */
export async function encodeBatch(
  requests: readonly Request[],
  options: { dialect?: DialectName } = {},
): Promise<EncodedBatch> {
  // The endpoint is only needed to send; any absolute URL satisfies the shared check.
  const { dialect } = resolveClientOptions({ endpoint: 'http://localhost/', ...options }, 'encodeBatch');
  const prepared = await Promise.all(requests.map((request) => prepareRequest(request, dialect)));
  return assembleBatch(prepared, dialect);
}
