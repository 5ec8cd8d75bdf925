import { isUtf8 } from 'node:buffer';
import type { BatchEntry } from '../operation.js';
import type { BatchAnswer } from '../node/http.js';
import type { JobAnswer, JobKind, JobOperation, JobRecord } from './job.js';

/** The URLs a job's documents point at, from the host root. */
export interface JobLinks {
  /** `{mount}{path}/{id}`: the status. */
  status: string;
  jsonl: string;
  gz: string;
  result: string;
}

/** The links of a job under a batch endpoint path from the host root. */
export function jobLinks(endpoint: string, id: string): JobLinks {
  const status = `${endpoint.replace(/\/+$/, '')}/${id}`;
  return { status, jsonl: `${status}/jsonl`, gz: `${status}/gz`, result: `${status}/result` };
}

/**
 * How jobs of one dialect read on the wire: the submit answer, the status document, one
 * JSONL line per operation, and (for sync dialects run as jobs) the finished answer.
 */
export interface JobFormat {
  readonly kind: JobKind;
  /** The submit's status: 201 for the operations seed, 202 for the rest. */
  readonly submitStatus: 201 | 202;
  /** The submit answer's body. */
  submitted(id: string): unknown;
  /** What the store keeps of an operation (never its headers). */
  describe(entry: BatchEntry): Omit<JobOperation, 'uuid'>;
  /** `GET {path}/{id}`. */
  status(job: JobRecord, links: JobLinks): { status: number; body: unknown };
  /** The job's status in the dialect's words (`finished`, `SUCCESS`…), as the webhook call carries it. */
  word(job: JobRecord): string;
  /** One line of the JSONL file. */
  line(job: JobRecord, index: number): unknown;
  /** `GET {path}/{id}/result`: the finished answer in the dialect's own format, or undefined when it has none. */
  result(job: JobRecord): BatchAnswer | undefined;
}

/** A time as the seed writes it: ISO 8601, UTC, whole seconds (`2023-11-24T10:44:30Z`). */
export function isoSeconds(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An answer body as a string: UTF-8 text as it is, other bytes as base64 (then `bodyEncoding` says so). */
export function bodyText(answer: JobAnswer): { body: string; base64: boolean } {
  if (answer.body.length === 0 || isUtf8(answer.body)) return { body: answer.body.toString('utf8'), base64: false };
  return { body: answer.body.toString('base64'), base64: true };
}

/** The job-level status string shared by the operations and generic documents. */
export function statusWord(job: JobRecord): string {
  switch (job.state) {
    case 'pending':
      return job.cancelRequested ? 'cancelling' : 'pending';
    case 'running':
      return job.cancelRequested ? 'cancelling' : 'running';
    case 'succeeded':
    case 'partial':
      return 'finished';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
  }
}

/**
 * A job's status document in the seed's field order: times and counts, then what the
 * dialect adds in the middle (`responses`, or a `result` link), then status and ids, then
 * what it adds at the end (`webhook`). `progress` is ours (issue 4: total, done, failed,
 * cancelled).
 */
export function statusDocument(
  job: JobRecord,
  middle: Record<string, unknown>,
  end: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    completedAt: isoSeconds(job.completedAt),
    createdAt: isoSeconds(job.createdAt),
    operations: job.operations.length,
    processedAt: isoSeconds(job.startedAt),
    progress: job.progress,
    ...middle,
    status: statusWord(job),
    updatingAt: isoSeconds(job.updatedAt),
    uuid: job.id,
    ...end,
  };
}
