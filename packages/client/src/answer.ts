import { multipartDialect } from './dialects/multipart.js';
import { jsonDialect } from './dialects/json.js';
import type { BatchedRequest, EncodedBatch } from './encode.js';
import { BatchRequestError, refusalOf } from './errors.js';
import type { TypedResponse } from './typed-response.js';
import type { WireResponse } from './wire.js';

/** One inner request's outcome: its `Response`, or why it has none. */
export type Slot = { response: TypedResponse } | { error: unknown };

// Fetch's null body statuses (Fetch §2.2.3): a Response with one of them may not have a body.
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** A standard `Response` for one inner answer, as a direct `fetch` of the same request would give. */
export function toResponse(wire: WireResponse, request: BatchedRequest): TypedResponse {
  if (wire.status < 200 || wire.status > 599) {
    // `new Response` takes 200–599 only; an interim or upgrade answer has no place in a batch.
    throw new TypeError(
      `inbatch: ${request.method} ${request.url} was answered ${wire.status}, which fetch can't represent.`,
    );
  }
  const headers = new Headers();
  for (const [name, value] of wire.headers) headers.append(name, value);
  const hasBody = request.method !== 'HEAD' && !NULL_BODY_STATUSES.has(wire.status);
  const response = new Response(hasBody ? wire.body : null, {
    status: wire.status,
    statusText: wire.statusText,
    headers,
  });
  // `url` can't be passed to the constructor; an own property shadows the prototype's
  // getter, so `response.url` reads the inner request's URL as after a direct fetch.
  Object.defineProperty(response, 'url', { value: request.url, enumerable: true });
  // The one place the typing is widened: `json()` of a real Response returns what it parsed.
  return response as TypedResponse;
}

/**
 * Reads an outer answer into one slot per inner request. Throws a `BatchRequestError`
 * when the batch as a whole failed: a non-200 answer, a body that can't be read, or one
 * that is not the batch answer the server writes.
 */
export async function readSlots(answer: Response, batch: EncodedBatch): Promise<Slot[]> {
  if (answer.status !== 200) throw await refusalOf(answer);
  let body: Uint8Array<ArrayBuffer>;
  try {
    body = new Uint8Array(await answer.arrayBuffer());
  } catch (cause) {
    throw new BatchRequestError('network', 'inbatch: the batch answer could not be read.', { status: 200, cause });
  }
  const dialect = batch.dialect === 'json' ? jsonDialect : multipartDialect;
  let wires: WireResponse[];
  try {
    wires = dialect.read(answer.headers.get('content-type') ?? '', body, batch.requests.length);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new BatchRequestError('malformed', why, { status: 200, cause });
  }
  return wires.map((wire, index) => {
    try {
      return { response: toResponse(wire, batch.requests[index] as BatchedRequest) };
    } catch (error) {
      return { error };
    }
  });
}

/**
 * Reads the answer to an outer batch request (one made from `encodeBatch`) into one
 * standard `Response` per inner request, in request order. Throws a `BatchRequestError`
 * when the batch was refused (non-200, carrying the status and the server's error) or
 * its answer can't be read.
 */
export async function readBatchAnswer(answer: Response, batch: EncodedBatch): Promise<TypedResponse[]> {
  const slots = await readSlots(answer, batch);
  return slots.map((slot) => {
    if ('error' in slot) throw slot.error;
    return slot.response;
  });
}
