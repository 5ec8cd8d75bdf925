import type { BatchErrorCode } from '../errors.js';
import type { HeaderField } from '../operation.js';

/** The wire dialect a job was submitted in; it decides how its status and files read. */
export type JobKind = 'operations' | 'bulk' | 'json' | 'multipart';

/**
 * Where a job is. `succeeded`, `partial` and `failed` say how its answered operations went
 * (2xx or not), so a job whose every operation failed never reads as a success (issue 4 §9).
 */
export type JobState = 'pending' | 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';

/** Whether a job has ended (its owner lock is released and its files can be read). */
export function isFinalState(state: JobState): boolean {
  return state !== 'pending' && state !== 'running';
}

/** One operation of a job as its status shows it. Never holds headers: credentials stay out of the store (THREATS T25). */
export interface JobOperation {
  /** The operation's own id (a UUIDv4), as the operations dialect shows it. */
  uuid: string;
  /** The method as submitted, upper case. */
  method: string;
  /** The target as submitted; the inherited outer query is not stored (it may carry tokens). */
  endpoint: string;
  /** The dialect's name for the operation: `operationId`, the JSON `id`, the `Content-ID`. */
  label: string | undefined;
  /** The bulk item this operation was built from (bulk jobs only). */
  item?: Readonly<Record<string, unknown>>;
}

/** What happened to one operation: the app's (or inbatch's) answer, or a cancellation. */
export interface JobAnswer {
  /** `answered`: it ran (or was refused) and has an answer; `cancelled`: the job was cancelled before it started. */
  outcome: 'answered' | 'cancelled';
  status: number;
  statusText: string;
  headers: HeaderField[];
  body: Buffer;
  /** Set when inbatch answered the operation itself. */
  errorCode?: BatchErrorCode;
  /** When the answer was recorded (ms since the epoch). */
  completedAt: number;
}

/** Progress counts. `done` counts answered operations, `failed` the answered ones that were not 2xx. */
export interface JobProgress {
  total: number;
  done: number;
  failed: number;
  cancelled: number;
}

/** The webhook block of a submit, kept to call back and to show the owner. */
export interface JobWebhook {
  callbackUrl?: string;
  email?: string;
}

/** A job as the store keeps it: no credentials, no inner request headers (THREATS T25). */
export interface JobRecord {
  /** A UUIDv4 (122 random bits; THREATS T24). */
  id: string;
  /** The owner key: a SHA-256 hex digest, never a raw credential (THREATS T28). */
  owner: string;
  kind: JobKind;
  state: JobState;
  /** Set by `DELETE {path}/{id}`; the runner starts nothing more once it sees it. */
  cancelRequested: boolean;
  createdAt: number;
  /** When the first operation started. */
  startedAt: number | null;
  updatedAt: number;
  completedAt: number | null;
  /** How long after completion the status document is kept. */
  statusTtlMs: number;
  /** How long after completion the files are kept; the job is deleted then. */
  resultTtlMs: number;
  operations: readonly JobOperation[];
  /** One slot per operation, filled as each one finishes. */
  answers: ReadonlyArray<JobAnswer | undefined>;
  progress: JobProgress;
  webhook: JobWebhook | null;
  /** Bytes of answers held (bodies and header fields). */
  resultBytes: number;
}

/** What `JobStore.create` needs: a record in its first state. */
export type NewJob = Omit<
  JobRecord,
  'state' | 'cancelRequested' | 'startedAt' | 'updatedAt' | 'completedAt' | 'answers' | 'progress' | 'resultBytes'
>;

/** What a job tells the `onComplete` hook: who, what, how it went — no answers, no credentials. */
export interface JobSummary {
  id: string;
  /** The owner key (a hash). */
  owner: string;
  kind: JobKind;
  state: JobState;
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
  progress: JobProgress;
  webhook: JobWebhook | null;
}

/** The bytes an answer takes in the store: its body and header fields. */
export function answerSize(answer: { headers: readonly HeaderField[]; body: Buffer }): number {
  let size = answer.body.length;
  for (const [name, value] of answer.headers) size += name.length + value.length + 4;
  return size;
}

/** Whether an answer counts as a success: a 2xx (bulk `process` and job states read this). */
export function isSuccess(answer: JobAnswer): boolean {
  return answer.outcome === 'answered' && answer.status >= 200 && answer.status < 300;
}

/** The summary handed to `onComplete`. */
export function summarize(job: JobRecord): JobSummary {
  return {
    id: job.id,
    owner: job.owner,
    kind: job.kind,
    state: job.state,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    progress: { ...job.progress },
    webhook: job.webhook === null ? null : { ...job.webhook },
  };
}
