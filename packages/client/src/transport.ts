import { readSlots, type Slot } from './answer.js';
import type { EncodedBatch } from './encode.js';
import { BatchRequestError } from './errors.js';
import type { ResolvedClient } from './options.js';

/** POSTs one outer batch request to the endpoint and reads its answer into slots. */
export async function postBatch(batch: EncodedBatch, client: ResolvedClient): Promise<Slot[]> {
  const configured = typeof client.headers === 'function' ? await client.headers() : client.headers;
  const headers = new Headers(configured);
  headers.set('content-type', batch.contentType);
  let answer: Response;
  try {
    answer = await client.fetch(client.endpoint.href, { method: 'POST', headers, body: batch.body });
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new BatchRequestError('network', `inbatch: the batch request to ${client.endpoint.href} failed: ${why}`, {
      cause,
    });
  }
  return readSlots(answer, batch);
}
