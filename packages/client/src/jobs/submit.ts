import { randomBytes } from '../bytes.js';
import type { DialectName } from '../dialects/dialect.js';
import { assembleBatch, prepareRequest, type EncodedBatch } from '../encode.js';
import { BatchRequestError, refusalOf } from '../errors.js';
import { resolveClientOptions, type ClientOptions, type ResolvedClient } from '../options.js';
import { batchInputToRequest, type BatchInput } from '../request-input.js';
import type { JobKind } from './documents.js';
import { jittered, jobRequest, retryAfterMs, sleep } from './http.js';
import { createAsyncBatchJob, createJob, type AsyncBatchJob, type Job } from './job.js';

/** Options of `submitJob` and `openJob`. */
export interface JobClientOptions extends Omit<ClientOptions, 'dialect'> {
  /**
   * Where bulk batches go: `PATCH {bulkEndpoint}/{resource}`.
   * @default `process` next to the endpoint (`https://api.example.com/process` for `…/batch`)
   */
  bulkEndpoint?: string | URL;
  /**
   * The submit's `Idempotency-Key` (1–255 printable characters). Give your own to make a
   * submit safe to repeat across page loads or process restarts.
   * @default a fresh `crypto.randomUUID()` per `submitJob` call
   */
  idempotencyKey?: string;
  /**
   * How many times a submit is sent again after a network error or a 5xx answer. Each
   * attempt carries the same `Idempotency-Key`, so however many reach the server, there is
   * one job.
   * @default 3
   */
  retries?: number;
  /** Stops the submit and its retries. */
  signal?: AbortSignal;
}

/** One operation of the operations dialect (the operations seed). */
export interface JobOperation {
  /** Unique within the batch. */
  operationId: string;
  method: string;
  /** A path with its query, on the app's origin: `/v1/products?page=1`. */
  endpoint: string;
  /** JSON text, or a JSON value; sent as `application/json`, with POST, PUT or PATCH only. */
  body?: unknown;
}

/** An operations batch: `POST {endpoint}` with `{"batch":{"operations":[…],"webhook":{…}}}`. */
export interface OperationsSubmission {
  operations: readonly JobOperation[];
  webhook?: { callbackUrl?: string; email?: string };
}

/** A bulk batch: `PATCH {bulkEndpoint}/{resource}` with the items as a JSON array. */
export interface BulkSubmission {
  /** The resource's name, as configured in the server's `bulk` option. */
  bulk: string;
  items: readonly Record<string, unknown>[];
}

/** A multipart or json batch sent with `Prefer: respond-async`, run as a job. */
export interface AsyncBatchSubmission {
  /** As `sendBatch` takes them: URLs, `Request`s, or `[input, init]` pairs. */
  requests: readonly BatchInput[];
  /** @default 'multipart' */
  dialect?: DialectName;
}

/** What `submitJob` sends. */
export type JobSubmission = OperationsSubmission | BulkSubmission | AsyncBatchSubmission;

/** Retry delays of a submit grow from this, doubled each time (±20 %), unless the server says `Retry-After`. */
const SUBMIT_RETRY_FIRST_MS = 500;
const DEFAULT_RETRIES = 3;
/** What the server accepts as an `Idempotency-Key` (README "Jobs: owners, retention, duplicates, cancel"). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e][\x20-\x7e]{0,253}[\x21-\x7e]$|^[\x21-\x7e]$/;

/**
 * A UUIDv4 for the `Idempotency-Key`. `crypto.randomUUID` exists only in secure contexts
 * (HTTPS, localhost); a page served over plain HTTP builds one from `getRandomValues`.
 */
function newKey(): string {
  if (typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  const bytes = randomBytes(16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function fail(message: string): never {
  throw new TypeError(`inbatch submitJob: ${message}`);
}

interface Outgoing {
  method: 'POST' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  body: NonNullable<RequestInit['body']>;
  kind: JobKind;
  batch?: EncodedBatch;
}

function bulkUrl(options: JobClientOptions, client: ResolvedClient, resource: string): string {
  const base =
    options.bulkEndpoint === undefined
      ? new URL('process', client.endpoint)
      : new URL(options.bulkEndpoint, client.base);
  return `${base.href.replace(/\/+$/, '')}/${encodeURIComponent(resource)}`;
}

async function outgoing(
  submission: JobSubmission,
  options: JobClientOptions,
  client: ResolvedClient,
): Promise<Outgoing> {
  if (submission === null || typeof submission !== 'object') fail('the submission must be an object.');
  const json = { 'content-type': 'application/json' };
  if ('operations' in submission) {
    if (!Array.isArray(submission.operations)) fail('operations must be an array.');
    const batch = { operations: submission.operations, ...(submission.webhook ? { webhook: submission.webhook } : {}) };
    return {
      method: 'POST',
      url: client.endpoint.href,
      headers: json,
      body: JSON.stringify({ batch }),
      kind: 'operations',
    };
  }
  if ('bulk' in submission) {
    if (typeof submission.bulk !== 'string' || submission.bulk === '') fail('bulk must name a resource.');
    if (!Array.isArray(submission.items)) fail('items must be an array.');
    return {
      method: 'PATCH',
      url: bulkUrl(options, client, submission.bulk),
      headers: json,
      body: JSON.stringify(submission.items),
      kind: 'bulk',
    };
  }
  if ('requests' in submission) {
    if (!Array.isArray(submission.requests)) fail('requests must be an array.');
    const { dialect } = resolveClientOptions(
      { endpoint: client.endpoint, ...(submission.dialect === undefined ? {} : { dialect: submission.dialect }) },
      'submitJob',
    );
    const prepared = await Promise.all(
      submission.requests.map((input: BatchInput) => prepareRequest(batchInputToRequest(input, client.base), dialect)),
    );
    const batch = assembleBatch(prepared, dialect);
    return {
      method: 'POST',
      url: client.endpoint.href,
      // RFC 7240: run it as a job and answer 202 at once.
      headers: { 'content-type': batch.contentType, prefer: 'respond-async' },
      body: batch.body,
      kind: batch.dialect,
      batch,
    };
  }
  return fail('the submission needs operations, bulk and items, or requests.');
}

function idOf(body: unknown): string | undefined {
  const record = body as { uuid?: unknown; batchId?: unknown } | null;
  const id = record?.uuid ?? record?.batchId;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * Submits an async job and returns its `Job`: an operations batch (`{ operations }`), a
 * bulk batch (`{ bulk, items }`), or a multipart or json batch run with
 * `Prefer: respond-async` (`{ requests }`). The submit carries an `Idempotency-Key` and is
 * sent again after a network error or a 5xx (`retries`, with backoff honouring
 * `Retry-After`): the server answers every repeat with the first job, so there is one job.
 * Rejects with a `BatchRequestError` when the server refuses the batch (`400`, `409
 * batch.owner_busy`, `413`…) or the last attempt fails.
 *
 * @example
 * const job = await submitJob({ bulk: 'masterlist', items }, { endpoint: 'https://api.example.com/batch' });
 * const done = await job.wait({ onProgress: ({ progress }) => console.log(progress) });
 * for await (const item of job.results()) console.log(item.id, item.status.success);
 */
export function submitJob(submission: OperationsSubmission, options: JobClientOptions): Promise<Job<'operations'>>;
export function submitJob(submission: BulkSubmission, options: JobClientOptions): Promise<Job<'bulk'>>;
export function submitJob(submission: AsyncBatchSubmission, options: JobClientOptions): Promise<AsyncBatchJob>;
export function submitJob(submission: JobSubmission, options: JobClientOptions): Promise<Job | AsyncBatchJob>;
export async function submitJob(submission: JobSubmission, options: JobClientOptions): Promise<Job | AsyncBatchJob> {
  const client = resolveClientOptions(options, 'submitJob');
  const retries = options.retries ?? DEFAULT_RETRIES;
  if (!Number.isInteger(retries) || retries < 0) fail(`retries must be a whole number ≥ 0, got ${String(retries)}.`);
  const key = options.idempotencyKey ?? newKey();
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    fail('idempotencyKey must be 1 to 255 printable ASCII characters.');
  }
  const request = await outgoing(submission, options, client);
  const { signal } = options;
  let delay = SUBMIT_RETRY_FIRST_MS;
  for (let attempt = 0; ; attempt++) {
    let answer: Response;
    try {
      answer = await jobRequest(client, request.url, {
        method: request.method,
        headers: { ...request.headers, 'idempotency-key': key },
        body: request.body,
        signal,
      });
    } catch (error) {
      if (!(error instanceof BatchRequestError) || attempt >= retries) throw error;
      await sleep(jittered(delay), signal);
      delay *= 2;
      continue;
    }
    if (answer.status >= 500 && attempt < retries) {
      const wait = retryAfterMs(answer) ?? jittered(delay);
      await answer.body?.cancel().catch(() => undefined);
      await sleep(wait, signal);
      delay *= 2;
      continue;
    }
    if (answer.status < 200 || answer.status > 299) throw await refusalOf(answer);
    const body: unknown = await answer.json().catch(() => undefined);
    const id = idOf(body);
    if (id === undefined) {
      throw new BatchRequestError('malformed', `inbatch: the submit was answered ${answer.status} without a job id.`, {
        status: answer.status,
      });
    }
    return request.batch === undefined
      ? createJob(client, id, request.kind)
      : createAsyncBatchJob(client, id, request.batch);
  }
}

/**
 * A `Job` for a job submitted earlier (by this client, another tab, another process of
 * the same owner), to follow, download or cancel it: `openJob({ id, kind: 'bulk' }, { endpoint })`.
 * Any instance of the app serves it when they share a store.
 */
export function openJob<K extends JobKind>(job: { id: string; kind: K }, options: JobClientOptions): Job<K> {
  const client = resolveClientOptions(options, 'openJob');
  if (job === null || typeof job !== 'object' || typeof job.id !== 'string' || job.id === '') {
    throw new TypeError('inbatch openJob: the job needs its id.');
  }
  return createJob(client, job.id, job.kind);
}
