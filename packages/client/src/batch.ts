import { assembleBatch, prepareRequest } from './encode.js';
import { resolveClientOptions, type ClientOptions } from './options.js';
import { toRequest, type BatchInput, type FetchInput } from './request-input.js';
import { postBatch } from './transport.js';
import type { TypedResponse } from './typed-response.js';

/** An explicit batch: add requests, then send them as one outer request. */
export interface Batch {
  /**
   * Queues a request (`fetch`'s arguments) and returns the promise of its own answer,
   * settled by `send()`. Throws once the batch was sent.
   */
  add(input: FetchInput, init?: RequestInit): Promise<TypedResponse>;
  /**
   * Sends every added request as one outer request, once (later calls return the same
   * promise), and resolves to their answers in order. Rejects when the batch failed as a
   * whole (a `BatchRequestError`) or a request could not be written; then every promise
   * from `add()` rejects too. An empty batch resolves to `[]` without a request.
   */
  send(): Promise<TypedResponse[]>;
  /** How many requests were added. */
  readonly size: number;
}

interface Entry {
  request: Request;
  resolve(response: TypedResponse): void;
  reject(reason: unknown): void;
}

/**
 * Creates an explicit batch: every request added is sent in one outer request by `send()`.
 *
 * @example
 * const batch = createBatch({ endpoint: 'https://api.example.com/batch' });
 * const item = batch.add('/items/1');
 * const created = batch.add('/items', { method: 'POST', body: JSON.stringify({ name: 'x' }), headers: { 'Content-Type': 'application/json' } });
 * await batch.send();
 * console.log(await (await item).json(), (await created).status);
 */
export function createBatch(options: ClientOptions): Batch {
  const client = resolveClientOptions(options, 'createBatch');
  const entries: Entry[] = [];
  let sending: Promise<TypedResponse[]> | undefined;

  const run = async (): Promise<TypedResponse[]> => {
    if (entries.length === 0) return [];
    const rejectAll = (reason: unknown): never => {
      for (const entry of entries) entry.reject(reason);
      throw reason;
    };
    // All or nothing: an explicit batch is sent whole or not at all.
    const prepared = await Promise.all(entries.map((entry) => prepareRequest(entry.request, client.dialect))).catch(
      rejectAll,
    );
    const slots = await postBatch(assembleBatch(prepared, client.dialect), client).catch(rejectAll);
    const responses: TypedResponse[] = [];
    let failure: { error: unknown } | undefined;
    slots.forEach((slot, index) => {
      const entry = entries[index] as Entry;
      if ('error' in slot) {
        failure ??= slot;
        entry.reject(slot.error);
      } else {
        responses.push(slot.response);
        entry.resolve(slot.response);
      }
    });
    if (failure !== undefined) throw failure.error;
    return responses;
  };

  return {
    get size() {
      return entries.length;
    },
    add(input, init) {
      if (sending !== undefined)
        throw new Error('inbatch: this batch was already sent; create another with createBatch().');
      const request = toRequest(input, init, client.base);
      let entry: Entry | undefined;
      const promise = new Promise<TypedResponse>((resolve, reject) => {
        entry = { request, resolve, reject };
      });
      // A caller that only awaits send() must not get an unhandled rejection for each
      // add() promise; whoever awaits one still sees its rejection.
      promise.catch(() => undefined);
      entries.push(entry as Entry);
      return promise;
    },
    send() {
      sending ??= run();
      return sending;
    },
  };
}

/**
 * Sends requests as one batch and resolves to their answers, in order.
 *
 * @example
 * const [item, list] = await sendBatch(['/items/1', ['/items', { method: 'GET' }]], {
 *   endpoint: 'https://api.example.com/batch',
 * });
 */
export async function sendBatch(requests: readonly BatchInput[], options: ClientOptions): Promise<TypedResponse[]> {
  const batch = createBatch(options);
  for (const input of requests) {
    const [target, init] = Array.isArray(input)
      ? (input as readonly [FetchInput, (RequestInit | undefined)?])
      : [input as FetchInput];
    void batch.add(target, init);
  }
  return batch.send();
}
