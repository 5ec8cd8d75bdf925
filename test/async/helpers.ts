import { setTimeout as delay } from 'node:timers/promises';
import { send, type Reply, type SendOptions } from '../support/http.js';

/** The shape of the ids the engine makes: UUIDv4, lower case. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The operations seed's example submit, with endpoints the test app serves. */
export function seedOperations(webhook?: { callbackUrl?: string; email?: string }) {
  return {
    batch: {
      operations: [
        { body: '', endpoint: '/v1/products?page=1', method: 'GET', operationId: 'createProductApiBatch1' },
        { body: '', endpoint: '/v1/products?page=2', method: 'GET', operationId: 'createProductApiBatch2' },
        {
          body: JSON.stringify({ name: 'Product 3' }),
          endpoint: '/v1/products',
          method: 'POST',
          operationId: 'createProductApiBatch3',
        },
      ],
      ...(webhook === undefined ? {} : { webhook }),
    },
  };
}

export interface JsonSendOptions extends Omit<SendOptions, 'body'> {
  headers?: Record<string, string>;
}

/** Sends a JSON body (POST by default) with `Content-Type: application/json`. */
export function sendJson(baseUrl: string, path: string, value: unknown, options: JsonSendOptions = {}): Promise<Reply> {
  return send(baseUrl, path, {
    ...options,
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(value),
  });
}

const FINAL_OPERATIONS = new Set(['finished', 'failed', 'cancelled']);
const FINAL_BULK = new Set(['SUCCESS', 'PARTIAL', 'FAILED']);

/** Polls `GET {path}/{id}` until the job has ended (both the operations and the bulk words), and answers that reply. */
export async function waitForJob(
  baseUrl: string,
  id: string,
  options: Omit<SendOptions, 'body' | 'method'> & { path?: string } = {},
): Promise<Reply> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const reply = await send(baseUrl, `${options.path ?? '/batch'}/${id}`, options);
    const status = reply.status === 200 || reply.status === 206 ? (reply.json().status as string) : undefined;
    if (reply.status !== 200 && reply.status !== 206) return reply;
    if (status !== undefined && (FINAL_OPERATIONS.has(status) || FINAL_BULK.has(status))) return reply;
    if (performance.now() > deadline) throw new Error(`job ${id} did not end: ${reply.text}`);
    await delay(5);
  }
}

/** Polls until `check` holds for the app's hits (an operation reached the app). */
export async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(2);
  }
}

/** The inner requests the app saw (everything but the batch routes themselves). */
export function innerHits(hits: readonly string[]): string[] {
  return hits.filter((hit) => !/^(?:\w+) \/(?:batch|process)(?:\/|$|\?)/i.test(hit));
}
