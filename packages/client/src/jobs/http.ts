import { BatchRequestError } from '../errors.js';
import type { ResolvedClient } from '../options.js';

/** The longest `Retry-After` honoured: a server (or a proxy) asking for hours is not waited on (THREATS T27). */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Sends one request of the jobs API with the configured headers. A fetch that fails is
 * a `BatchRequestError` with failure `network`, unless `signal` was aborted: then it
 * rejects with the abort reason, as `fetch` does.
 */
export async function jobRequest(
  client: ResolvedClient,
  url: string,
  init: {
    method: string;
    headers?: Record<string, string>;
    body?: RequestInit['body'];
    signal?: AbortSignal | undefined;
  },
): Promise<Response> {
  const configured = typeof client.headers === 'function' ? await client.headers() : client.headers;
  const headers = new Headers(configured);
  for (const [name, value] of Object.entries(init.headers ?? {})) headers.set(name, value);
  const requestInit: RequestInit = { method: init.method, headers };
  if (init.body !== undefined) requestInit.body = init.body;
  if (init.signal !== undefined) requestInit.signal = init.signal;
  try {
    return await client.fetch(url, requestInit);
  } catch (cause) {
    init.signal?.throwIfAborted();
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new BatchRequestError('network', `inbatch: ${init.method} ${url} failed: ${why}`, { cause });
  }
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), capped; undefined when absent or unreadable. */
export function retryAfterMs(answer: Response): number | undefined {
  const value = answer.headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  if (Number.isNaN(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** Resolves after `ms`, or rejects with the abort reason as soon as `signal` aborts; leaves no timer behind either way. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      // The caller's own reason, whatever it is, as `fetch` rejects with it.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A delay of about `ms`, spread ±20 % so that many clients retrying together don't stay in step. */
export function jittered(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}
