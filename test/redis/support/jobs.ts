import { setTimeout as delay } from 'node:timers/promises';
import { send, type Reply } from '../../support/http.js';
import type { Instance } from './instances.js';

/** One operation of the operations dialect. */
export interface Op {
  operationId: string;
  method: string;
  endpoint: string;
  body?: string;
}

/** `POST /v1/products` for a product named `name`, optionally held on a gate while in flight. */
export function createProduct(operationId: string, name: string, hold?: string): Op {
  return {
    operationId,
    method: 'POST',
    endpoint: '/v1/products',
    body: JSON.stringify(hold === undefined ? { name } : { name, hold }),
  };
}

export function getItem(operationId: string, id: string): Op {
  return { operationId, method: 'GET', endpoint: `/items/${id}` };
}

/** Submits an operations batch (`POST /batch`) to one instance. */
export function submit(instance: Instance, operations: Op[], headers: Record<string, string> = {}): Promise<Reply> {
  return send(instance.url, '/batch', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ batch: { operations } }),
  });
}

/** Polls `check` until it answers a value other than undefined. */
export async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

const FINAL = new Set(['finished', 'failed', 'cancelled']);

/** Polls `GET /batch/{id}` on `instance` until the job has ended; answers its status document. */
export function waitForEnd(
  instance: Instance,
  id: string,
  headers: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<any> {
  return until(
    async () => {
      const reply = await send(instance.url, `/batch/${id}`, { headers });
      if (reply.status !== 200) throw new Error(`GET /batch/${id} answered ${reply.status}: ${reply.text}`);
      const doc = reply.json();
      return FINAL.has(doc.status) ? doc : undefined;
    },
    `job ${id} to end`,
    timeoutMs,
  );
}

/**
 * Sends the instance one ordinary request: an instance takes jobs only once its
 * middleware has seen a request.
 */
export async function wake(instance: Instance): Promise<void> {
  const reply = await send(instance.url, '/items/wake');
  if (reply.status !== 200) throw new Error(`GET /items/wake answered ${reply.status}`);
}

/** The error code inside an operation's answer body (the operations dialect keeps it as a string). */
export function errorCode(response: { body: string }): string | undefined {
  try {
    return JSON.parse(response.body).error?.code;
  } catch {
    return undefined;
  }
}
