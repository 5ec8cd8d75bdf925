import type { BatchOptions } from '@inbatch/core';

/** One inner request, exactly as every contender sends it (floors, direct HTTP, batches). */
export interface InnerSpec {
  method: 'GET' | 'POST';
  url: string;
  /** The inner request's own headers, lower-case names. */
  headers: Readonly<Record<string, string>>;
  body?: Buffer;
}

export type ScenarioId = 'get' | 'post' | 'io' | 'blob';

export interface Scenario {
  id: ScenarioId;
  label: string;
  /** The status every inner answer must have; a contender that answers otherwise is reported as failed. */
  expectStatus: number;
  /**
   * Inner requests the floors keep in flight at once. 1 (sequential) is the cheapest way to
   * run CPU-bound work on one thread; the I/O scenario needs overlap to be meaningful.
   */
  floorConcurrency: number;
  /** Options of the `batch()` endpoint for this scenario (the engine's defaults unless the scenario needs more). */
  batchOptions: BatchOptions;
  /** Keep-alive connections of the "N separate requests" rows. */
  directConnections: readonly number[];
  inner(index: number): InnerSpec;
}

/** The simulated I/O of the `io` scenario: each inner request awaits this long. */
export const IO_DELAY_MS = 5;
/** Inner concurrency of the `io` scenario (the target: 1000 / 50 × 5 ms = 100 ms). */
export const IO_CONCURRENCY = 50;
/** Size of each answer of the memory scenario. */
export const BLOB_BYTES = 10 * 1024;
/** Size of each POST body. */
export const POST_BODY_BYTES = 1024;

/** The small JSON answer of `GET /items/:id` (about 60 bytes). */
export function itemAnswer(id: string): { id: string; name: string; price: number; inStock: boolean } {
  return { id, name: `item ${id}`, price: 12.5, inStock: true };
}

/** The answer of `POST /items`: small, so the scenario measures the 1 KB request body, not the answer. */
export function createdAnswer(body: unknown): { id: string; name: unknown; fields: number } {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  return { id: 'new', name: record.name ?? null, fields: Object.keys(record).length };
}

function jsonOfSize(size: number): Buffer {
  const value = { name: 'widget', sku: 'W-0001', tags: ['alpha', 'beta', 'gamma'], description: '' };
  value.description = 'x'.repeat(size - JSON.stringify(value).length);
  const bytes = Buffer.from(JSON.stringify(value));
  if (bytes.length !== size) throw new Error(`POST body is ${bytes.length} bytes, wanted ${size}`);
  return bytes;
}

/** The 1 KB JSON body every POST carries (identical bytes for every contender). */
export const POST_BODY: Buffer = jsonOfSize(POST_BODY_BYTES);
/** The 10 KB answer of `GET /blob/:id`, as a string so Express and Koa send it as they would any text. */
export const BLOB_TEXT: string = 'x'.repeat(BLOB_BYTES);

const POST_HEADERS = { 'content-type': 'application/json' } as const;
const NO_HEADERS = {} as const;

export const SCENARIOS: Readonly<Record<ScenarioId, Scenario>> = {
  get: {
    id: 'get',
    label: 'GET /items/:id (small JSON)',
    expectStatus: 200,
    floorConcurrency: 1,
    batchOptions: {},
    directConnections: [1, 16],
    inner: (index) => ({ method: 'GET', url: `/items/${index}`, headers: NO_HEADERS }),
  },
  post: {
    id: 'post',
    label: 'POST /items (1 KB JSON body)',
    expectStatus: 201,
    floorConcurrency: 1,
    batchOptions: {},
    directConnections: [1, 16],
    inner: () => ({ method: 'POST', url: '/items', headers: POST_HEADERS, body: POST_BODY }),
  },
  io: {
    id: 'io',
    label: `GET /io/:id (awaits ${IO_DELAY_MS} ms; concurrency ${IO_CONCURRENCY})`,
    expectStatus: 200,
    floorConcurrency: IO_CONCURRENCY,
    batchOptions: { concurrency: IO_CONCURRENCY },
    directConnections: [IO_CONCURRENCY],
    inner: (index) => ({ method: 'GET', url: `/io/${index}`, headers: NO_HEADERS }),
  },
  blob: {
    id: 'blob',
    label: `GET /blob/:id (${BLOB_BYTES / 1024} KB text answers)`,
    expectStatus: 200,
    floorConcurrency: 1,
    batchOptions: {},
    directConnections: [1],
    inner: (index) => ({ method: 'GET', url: `/blob/${index}`, headers: NO_HEADERS }),
  },
};

/** The N inner requests of one batch of a scenario. */
export function innerRequests(scenario: Scenario, n: number): InnerSpec[] {
  return Array.from({ length: n }, (_, index) => scenario.inner(index));
}

/** Bytes of inner answer bodies in one batch of N (what the app produced, before any framing). */
export function answerBytes(scenario: Scenario, n: number): number {
  if (scenario.id === 'blob') return n * BLOB_BYTES;
  if (scenario.id === 'post') {
    return n * Buffer.byteLength(JSON.stringify(createdAnswer(JSON.parse(POST_BODY.toString('utf8')))));
  }
  let total = 0;
  for (let index = 0; index < n; index++) total += Buffer.byteLength(JSON.stringify(itemAnswer(String(index))));
  return total;
}
