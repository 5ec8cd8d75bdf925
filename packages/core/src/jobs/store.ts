import type { JobAnswer, JobRecord, JobState, NewJob } from './job.js';

/** An `Idempotency-Key` claim: the key, bound to its owner, and what was submitted under it. */
export interface IdempotencyClaim {
  /** A digest of (owner, `Idempotency-Key`). */
  key: string;
  /**
   * A digest of the submitted batch, kept with the key so a later submit under the same
   * key can be told apart: the same batch is a retry, another one is refused (422).
   */
  fingerprint: string;
}

/** The job an idempotency key was claimed for, with the fingerprint it was claimed with. */
export interface IdempotentJob {
  job: JobRecord;
  fingerprint: string;
}

/** How a job is claimed when it is created. */
export interface JobClaim {
  /**
   * One pending or running job per owner: while the owner has one, creation answers `busy`
   * with its id (the seed's concurrency rule). The lock is released by `finish`.
   */
  exclusive: boolean;
  /**
   * While a job created under the same key still has its status kept, creation answers
   * `replayed` with that job and its fingerprint instead of creating another; the store
   * does not compare fingerprints, the engine does.
   */
  idempotency: IdempotencyClaim | undefined;
  /** Bytes of answers to set aside for the job: the most it may record. */
  reserveBytes: number;
  now: number;
}

/** What `create` did. */
export type JobCreation =
  | { outcome: 'created'; job: JobRecord }
  | { outcome: 'replayed'; job: JobRecord; fingerprint: string }
  | { outcome: 'busy'; jobId: string }
  /** The store can take no more jobs right now (its caps are reached and nothing can be evicted). */
  | { outcome: 'full' };

/** What `record` tells the runner. */
export interface RecordReceipt {
  /** The job was cancelled (or is gone): start nothing more. */
  cancelRequested: boolean;
}

/**
 * Where async jobs live: their status, their answers, the per-owner lock and the
 * idempotency keys with their fingerprints. Every method is async and every argument plain
 * data, so a store on Redis (one key per job, `SET NX PX` for the owner lock, the key's
 * job id and fingerprint in one value, `PEXPIRE` for the TTLs) can
 * implement it; ids reach a store only after the engine checked their UUID format
 * (THREATS T31). Stores keep no credentials: jobs hold none (THREATS T25).
 *
 * Times are passed in (`now`, ms since the epoch) rather than read by the store, so the
 * engine's clock is the only one.
 */
export interface JobStore {
  /** Creates a job in state `pending`, atomically with the owner lock and idempotency checks. */
  create(job: NewJob, claim: JobClaim): Promise<JobCreation>;
  /** The job created under an idempotency key digest (and its fingerprint), while its status is kept. */
  findByIdempotencyKey(key: string, now: number): Promise<IdempotentJob | undefined>;
  /** Marks the job `running` (its first operation started). */
  start(id: string, now: number): Promise<void>;
  /** Records one operation's answer and counts it; a second answer for the same slot is ignored. */
  record(id: string, index: number, answer: JobAnswer): Promise<RecordReceipt>;
  /** Ends the job in a final state and releases its owner's lock; answers the job as it ended. */
  finish(id: string, state: JobState, now: number): Promise<JobRecord | undefined>;
  /** The job, or undefined when it is unknown or was deleted (`resultTtlMs` after completion, or evicted). */
  read(id: string, now: number): Promise<JobRecord | undefined>;
  /** Asks a pending or running job to stop; answers the job (unchanged when it had already ended). */
  cancel(id: string, now: number): Promise<JobRecord | undefined>;
  /** Deletes what is past its `resultTtlMs`; answers how many jobs were deleted. */
  expire(now: number): Promise<number>;
}

/** Whether a job's status document is still kept: it is running, or ended less than `statusTtlMs` ago. */
export function isStatusKept(job: JobRecord, now: number): boolean {
  return job.completedAt === null || now < job.completedAt + job.statusTtlMs;
}

/** Whether a job's files are still kept (and the job with them). */
export function isResultKept(job: JobRecord, now: number): boolean {
  return job.completedAt === null || now < job.completedAt + job.resultTtlMs;
}
