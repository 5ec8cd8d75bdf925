import { readBatchAnswer } from '../answer.js';
import type { EncodedBatch } from '../encode.js';
import { BatchRequestError, JobCancelledError, refusalOf } from '../errors.js';
import type { ResolvedClient } from '../options.js';
import type { TypedResponse } from '../typed-response.js';
import {
  isFinalWord,
  progressOfDocument,
  wordOf,
  type JobKind,
  type JobProgress,
  type LineOf,
  type StatusOf,
} from './documents.js';
import { readEventStream } from './event-stream.js';
import { jittered, jobRequest, MAX_RETRY_AFTER_MS, retryAfterMs, sleep } from './http.js';
import { readJsonLines } from './lines.js';

/** Options of `wait()`. */
export interface WaitOptions<K extends JobKind = JobKind> {
  /** Stops waiting (the job goes on): `wait()` rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called with the job's status word and counts each time they change, the current state first. */
  onProgress?: (progress: JobProgress<K>) => void;
  /**
   * Follow the job over the server's event stream (`Accept: text/event-stream`). Without it,
   * or when the server refuses a stream (`429 batch.stream_limit`) or has none, `wait()` polls.
   * @default true
   */
  stream?: boolean;
}

/** A submitted job: follow it, read its answers, or cancel it. Every method asks the server anew. */
export interface Job<K extends JobKind = JobKind> {
  /** The job's id (the operations dialect's `uuid`, the bulk dialect's `batchId`). */
  readonly id: string;
  /** The dialect it was submitted in. */
  readonly kind: K;
  /** Its status URL, `{endpoint}/{id}`. */
  readonly url: string;
  /**
   * `GET {endpoint}/{id}`: the status document in the dialect's words. Rejects with a
   * `BatchRequestError` for any other answer than 200 or 206 (`404 batch.job_not_found`,
   * `410 batch.job_expired`…).
   */
  status(options?: { signal?: AbortSignal }): Promise<StatusOf[K]>;
  /**
   * Resolves with the final status document once the job has ended (`finished`/`failed`;
   * `SUCCESS`/`PARTIAL`/`FAILED`). Follows the server's event stream where it can, else
   * polls with backoff, honouring `Retry-After`. Rejects with a `JobCancelledError` when the
   * job ended `cancelled`, and with the server's error (a `BatchRequestError`) when the job
   * is gone (`410 batch.job_expired`, `404 batch.job_not_found`).
   */
  wait(options?: WaitOptions<K>): Promise<StatusOf[K]>;
  /**
   * The ended job's answers, one parsed JSONL line per operation, read as they arrive from
   * `GET {endpoint}/{id}/jsonl` (or `/gz` with `gzip: true`, inflated on the way). Rejects
   * with `409 batch.job_not_finished` before the job has ended.
   */
  results(options?: { gzip?: boolean; signal?: AbortSignal }): AsyncGenerator<LineOf[K], void, undefined>;
  /**
   * `DELETE {endpoint}/{id}`: cancels a pending or running job (nothing more starts) and
   * resolves with its status document (`cancelling`, or the final one of an ended job).
   */
  cancel(options?: { signal?: AbortSignal }): Promise<StatusOf[K]>;
}

/** A multipart or json batch submitted with `Prefer: respond-async`. */
export interface AsyncBatchJob extends Job<'json' | 'multipart'> {
  /**
   * `GET {endpoint}/{id}/result`: the finished batch's answers as the sync batch would have
   * given them, one standard `Response` per request, in order. Rejects with
   * `409 batch.job_not_finished` before the job has ended: `await job.wait()` first.
   */
  result(options?: { signal?: AbortSignal }): Promise<TypedResponse[]>;
}

/** The first polling delay, and how it grows to its ceiling. */
const POLL_FIRST_MS = 250;
const POLL_MAX_MS = 5_000;
const POLL_GROWTH = 1.5;
/** Stream connections that may drop in a row before `wait()` settles for polling. */
const STREAM_ATTEMPTS = 3;
/** Network failures in a row after which `wait()` gives up. */
const NETWORK_ATTEMPTS = 5;

type StreamOutcome =
  | { kind: 'final'; document: unknown }
  /** The server answered a status document instead of a stream: it has none. */
  | { kind: 'document'; document: unknown }
  /** Refused for now (429 over the stream cap, 503): poll, and try a stream again after `retryAfter`. */
  | { kind: 'refused'; status: number; retryAfter: number | undefined }
  /** The stream ended without a final event, or never connected: connect again. */
  | { kind: 'dropped'; lastEventId: string | undefined; retry: number | undefined; delivered: boolean };

interface JobContext {
  client: ResolvedClient;
  url: string;
}

function isEventStream(answer: Response): boolean {
  return /^text\/event-stream\b/i.test(answer.headers.get('content-type') ?? '');
}

async function readDocument(answer: Response): Promise<unknown> {
  try {
    return await answer.json();
  } catch (cause) {
    throw new BatchRequestError('malformed', `inbatch: the job's status is not JSON.`, {
      status: answer.status,
      cause,
    });
  }
}

/** A `Job` for an id, following it at `{endpoint}/{id}`. */
export function createJob<K extends JobKind>(client: ResolvedClient, id: string, kind: K): Job<K> {
  const url = `${client.endpoint.href.replace(/\/+$/, '')}/${encodeURIComponent(id)}`;
  const context: JobContext = { client, url };

  const settle = (document: unknown): StatusOf[K] => {
    if (wordOf(document) === 'cancelled') throw new JobCancelledError(id, document);
    return document as StatusOf[K];
  };

  const status = async (options: { signal?: AbortSignal } = {}): Promise<StatusOf[K]> => {
    const answer = await jobRequest(client, url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      signal: options.signal,
    });
    if (answer.status !== 200 && answer.status !== 206) throw await refusalOf(answer);
    return (await readDocument(answer)) as StatusOf[K];
  };

  /** One connection to the event stream, read until its final event or its end. */
  const follow = async (
    signal: AbortSignal | undefined,
    report: (progress: JobProgress<K>) => void,
    lastEventId: string | undefined,
  ): Promise<StreamOutcome> => {
    let answer: Response;
    try {
      answer = await jobRequest(client, context.url, {
        method: 'GET',
        headers: {
          accept: 'text/event-stream',
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        },
        signal,
      });
    } catch (error) {
      if (error instanceof BatchRequestError)
        return { kind: 'dropped', lastEventId, retry: undefined, delivered: false };
      throw error;
    }
    if ((answer.status === 200 || answer.status === 206) && !isEventStream(answer)) {
      return { kind: 'document', document: await readDocument(answer) };
    }
    if (answer.status === 429 || answer.status >= 500) {
      await answer.body?.cancel().catch(() => undefined);
      return { kind: 'refused', status: answer.status, retryAfter: retryAfterMs(answer) };
    }
    if (answer.status !== 200 || answer.body === null) throw await refusalOf(answer);
    let seen = lastEventId;
    let retry: number | undefined;
    let delivered = false;
    // An event that can't be read, or an `onProgress` that throws, ends the wait; only the
    // connection failing makes it connect again.
    let fatal: { error: unknown } | undefined;
    try {
      for await (const event of readEventStream(answer.body)) {
        delivered = true;
        seen = event.lastEventId || seen;
        retry = event.retry;
        try {
          if (event.event === 'end') return { kind: 'final', document: JSON.parse(event.data) };
          if (event.event === 'progress') {
            const progress = JSON.parse(event.data) as JobProgress<K>;
            report({ id, kind, status: progress.status, progress: progress.progress });
          }
        } catch (error) {
          fatal = {
            error:
              error instanceof SyntaxError
                ? new BatchRequestError('malformed', `inbatch: an event of job ${id} is not JSON.`, { cause: error })
                : error,
          };
          break;
        }
      }
    } catch {
      signal?.throwIfAborted();
      // The connection was cut mid-stream: connect again.
    }
    if (fatal !== undefined) throw fatal.error;
    return { kind: 'dropped', lastEventId: seen, retry, delivered };
  };

  const wait = async (options: WaitOptions<K> = {}): Promise<StatusOf[K]> => {
    const { signal, onProgress } = options;
    signal?.throwIfAborted();
    let last = '';
    // Each change once, whichever way it came (a reconnect starts with the current state again).
    const report = (progress: JobProgress<K>) => {
      const key = JSON.stringify([progress.status, progress.progress]);
      if (key === last) return;
      last = key;
      onProgress?.(progress);
    };
    // Whether this server streams at all; and, while polling, when to try a stream again.
    let streams = options.stream !== false;
    let streamAgainAt = 0;
    let streamDrops = 0;
    let networkFailures = 0;
    let lastEventId: string | undefined;
    let delay = POLL_FIRST_MS;
    const backOff = async (retryAfter: number | undefined) => {
      await sleep(retryAfter ?? jittered(delay), signal);
      delay = Math.min(delay * POLL_GROWTH, POLL_MAX_MS);
    };
    for (;;) {
      if (streams && Date.now() >= streamAgainAt) {
        const outcome = await follow(signal, report, lastEventId);
        switch (outcome.kind) {
          case 'final':
            return settle(outcome.document);
          case 'document': {
            // A server without the stream answered the status: poll from here on.
            streams = false;
            if (isFinalWord(wordOf(outcome.document))) return settle(outcome.document);
            report(progressOfDocument(id, kind, outcome.document as StatusOf[K]));
            await backOff(undefined);
            continue;
          }
          case 'refused':
            // Over the stream cap (429 batch.stream_limit) or the store away (503): poll now,
            // and open a stream again once `Retry-After` has passed.
            streamAgainAt = Date.now() + (outcome.retryAfter ?? POLL_MAX_MS);
            if (outcome.status !== 429) await backOff(outcome.retryAfter);
            continue;
          case 'dropped':
            // A stream that delivered events and then closed (a proxy's timeout, the server's
            // lifetime cap) is normal; only streams that drop without a word count.
            lastEventId = outcome.lastEventId;
            streamDrops = outcome.delivered ? 0 : streamDrops + 1;
            if (streamDrops >= STREAM_ATTEMPTS) streams = false;
            // The server's `retry:` is how long to wait before reconnecting (HTML §9.2).
            if (outcome.delivered) await sleep(Math.min(outcome.retry ?? POLL_FIRST_MS, MAX_RETRY_AFTER_MS), signal);
            else await backOff(outcome.retry);
            continue;
        }
      }
      let answer: Response;
      try {
        answer = await jobRequest(client, url, { method: 'GET', headers: { accept: 'application/json' }, signal });
        networkFailures = 0;
      } catch (error) {
        if (!(error instanceof BatchRequestError) || ++networkFailures >= NETWORK_ATTEMPTS) throw error;
        await backOff(undefined);
        continue;
      }
      if (answer.status === 200 || answer.status === 206) {
        const document = await readDocument(answer);
        if (isFinalWord(wordOf(document))) return settle(document);
        report(progressOfDocument(id, kind, document as StatusOf[K]));
        await backOff(retryAfterMs(answer));
        continue;
      }
      if (answer.status === 429 || answer.status >= 500) {
        await answer.body?.cancel().catch(() => undefined);
        await backOff(retryAfterMs(answer));
        continue;
      }
      throw await refusalOf(answer);
    }
  };

  async function* results(
    options: { gzip?: boolean; signal?: AbortSignal } = {},
  ): AsyncGenerator<LineOf[K], void, undefined> {
    const file = options.gzip === true ? 'gz' : 'jsonl';
    const answer = await jobRequest(client, `${url}/${file}`, { method: 'GET', signal: options.signal });
    if (answer.status !== 200) throw await refusalOf(answer);
    if (answer.body === null) return;
    for await (const line of readJsonLines(answer.body, options.gzip === true)) yield line as LineOf[K];
  }

  const cancel = async (options: { signal?: AbortSignal } = {}): Promise<StatusOf[K]> => {
    const answer = await jobRequest(client, url, { method: 'DELETE', signal: options.signal });
    if (answer.status !== 200 && answer.status !== 202 && answer.status !== 206) throw await refusalOf(answer);
    return (await readDocument(answer)) as StatusOf[K];
  };

  return { id, kind, url, status, wait, results, cancel };
}

/** A `Job` for a multipart or json batch, with `result()` read as the sync batch's answer. */
export function createAsyncBatchJob(client: ResolvedClient, id: string, batch: EncodedBatch): AsyncBatchJob {
  const job = createJob(client, id, batch.dialect);
  return {
    ...job,
    async result(options = {}) {
      const answer = await jobRequest(client, `${job.url}/result`, { method: 'GET', signal: options.signal });
      return readBatchAnswer(answer, batch);
    },
  };
}
