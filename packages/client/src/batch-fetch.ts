import type { Slot } from './answer.js';
import { assembleBatch, prepareRequest, type PreparedRequest } from './encode.js';
import { resolveClientOptions, type ClientOptions } from './options.js';
import { toRequest, type FetchInput } from './request-input.js';
import { postBatch } from './transport.js';
import type { TypedResponse } from './typed-response.js';

/** Options of `batchFetch`. */
export interface BatchFetchOptions extends ClientOptions {
  /**
   * How long to collect calls before sending them, in milliseconds, counted from the
   * first call of a batch. `0` collects the calls made in the same tick: synchronously
   * and in the microtasks after them (a `setTimeout(0)` later).
   * @default 0
   */
  windowMs?: number;
  /**
   * Calls per outer request. A batch that reaches it is sent at once, and the calls
   * after it start the next one. Keep it at or below the server's `maxOperations`.
   * @default 1000
   */
  maxBatchSize?: number;
}

/** A `fetch` that batches: same signature, same standard `Response`. */
export type BatchFetch = (input: FetchInput, init?: RequestInit) => Promise<TypedResponse>;

/** One caller waiting for its answer. */
interface Call {
  request: Request;
  settled: boolean;
  resolve(response: TypedResponse): void;
  reject(reason: unknown): void;
}

const DEFAULT_MAX_BATCH_SIZE = 1000;

/** `/Batch/` and `/batch` are the same endpoint to the server (matched like routers do). */
function samePath(a: string, b: string): boolean {
  const normal = (path: string) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).toLowerCase();
  return normal(a) === normal(b);
}

/**
 * Creates a `fetch` that sends the calls made within one tick (or `windowMs`) as one
 * batch, and resolves each caller with its own standard `Response`. Calls to another
 * origin than the endpoint's, and to the endpoint itself, go straight to the underlying
 * `fetch`. When the outer request fails (network error, or a non-200 answer such as the
 * server's 413), every caller in it is rejected with a `BatchRequestError` carrying the
 * cause. A single call is sent as a batch of one, so every call behaves the same.
 *
 * Inner requests are sent with the outer request's credentials, mode and cache; their
 * redirects are not followed (the 3xx answer is returned), and cookies they set are not
 * stored by the browser (the server keeps inner `Set-Cookie` off the outer answer).
 *
 * @example
 * const api = batchFetch({ endpoint: '/batch', headers: { Authorization: `Bearer ${token}` } });
 * const [user, items] = await Promise.all([api('/me'), api('/items?limit=10')]); // one POST /batch
 * console.log(await user.json(), await items.json());
 */
export function batchFetch(options: BatchFetchOptions): BatchFetch {
  const client = resolveClientOptions(options, 'batchFetch');
  const windowMs = options.windowMs ?? 0;
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs < 0) {
    throw new TypeError(`inbatch batchFetch: windowMs must be a number ≥ 0, got ${String(windowMs)}.`);
  }
  const maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
  if (!Number.isSafeInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new TypeError(`inbatch batchFetch: maxBatchSize must be an integer ≥ 1, got ${String(maxBatchSize)}.`);
  }

  let queue: Call[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const settle = (call: Call, outcome: Slot): void => {
    if (call.settled) return;
    call.settled = true;
    if ('error' in outcome) call.reject(outcome.error);
    else call.resolve(outcome.response);
  };

  const dispatch = async (calls: Call[]): Promise<void> => {
    // Bodies are read concurrently; the batch keeps the order of the calls.
    const prepared = await Promise.all(
      calls.map(async (call) => {
        try {
          return { call, prepared: await prepareRequest(call.request, client.dialect) };
        } catch (error) {
          settle(call, { error });
          return undefined;
        }
      }),
    );
    // A call aborted while the bodies were read has already been answered.
    const live = prepared.filter(
      (item): item is { call: Call; prepared: PreparedRequest } => item !== undefined && !item.call.settled,
    );
    if (live.length === 0) return;
    try {
      const slots = await postBatch(
        assembleBatch(
          live.map((item) => item.prepared),
          client.dialect,
        ),
        client,
      );
      slots.forEach((slot, index) => settle((live[index] as (typeof live)[number]).call, slot));
    } catch (error) {
      for (const item of live) settle(item.call, { error });
    }
  };

  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const calls = queue;
    queue = [];
    if (calls.length > 0) void dispatch(calls);
  };

  // Async, so a bad URL or init rejects as with fetch; the call is still queued synchronously.
  return async function inbatchFetch(input, init) {
    const url = new URL(input instanceof Request ? input.url : input, client.base);
    if (url.origin !== client.endpoint.origin || samePath(url.pathname, client.endpoint.pathname)) {
      // A Response from fetch itself: `json()` returns what it parsed, as TypedResponse says.
      return client.fetch(input instanceof Request ? input : url.href, init) as Promise<TypedResponse>;
    }
    const request = toRequest(input, init, client.base);
    const signal = request.signal;
    // As fetch does: an aborted call rejects with the signal's reason, whatever it is.
    if (signal.aborted) throw signal.reason;
    return new Promise<TypedResponse>((resolve, reject) => {
      const onAbort = (): void => {
        // Not sent yet: it leaves the batch. Sent: its answer is dropped when it comes.
        queue = queue.filter((queued) => queued !== call);
        settle(call, { error: signal.reason });
      };
      const call: Call = {
        request,
        settled: false,
        resolve: (response) => {
          signal.removeEventListener('abort', onAbort);
          resolve(response);
        },
        reject: (reason) => {
          signal.removeEventListener('abort', onAbort);
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an abort reason is passed on as given, as fetch does
          reject(reason);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(call);
      if (queue.length >= maxBatchSize) flush();
      else timer ??= setTimeout(flush, windowMs);
    });
  };
}
