import type { JobAnswer, JobRecord, JobState, NewJob } from './job.js';
import type { JobPlanData } from './plan.js';

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
  /**
   * How long the job may run (`jobTimeoutMs`): a shared store holds the owner lock at least
   * this long, so a lock whose holder died is freed in bounded time.
   */
  leaseMs?: number;
}

/** What `create` did. */
export type JobCreation =
  | { outcome: 'created'; job: JobRecord }
  | { outcome: 'replayed'; job: JobRecord; fingerprint: string }
  | { outcome: 'busy'; jobId: string }
  /** The store can take no more jobs right now (its caps are reached and nothing can be evicted). */
  | { outcome: 'full' };

/** What `finish` did: the job as it ended, and whether this call is the one that ended it. */
export interface FinishedJob {
  job: JobRecord;
  /**
   * True for exactly one call per job: the one that moved it to its final state. Only that
   * caller sends the webhook and calls `onComplete`, so a job taken over by another
   * instance still calls back once.
   */
  ended: boolean;
}

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
  /**
   * Ends the job in a final state and releases its owner's lock; answers the job as it
   * ended (unchanged, with `ended: false`, when it had already ended).
   */
  finish(id: string, state: JobState, now: number): Promise<FinishedJob | undefined>;
  /** The job, or undefined when it is unknown or was deleted (`resultTtlMs` after completion, or evicted). */
  read(id: string, now: number): Promise<JobRecord | undefined>;
  /** Asks a pending or running job to stop; answers the job (unchanged when it had already ended). */
  cancel(id: string, now: number): Promise<JobRecord | undefined>;
  /** Deletes what is past its `resultTtlMs`; answers how many jobs were deleted. */
  expire(now: number): Promise<number>;
  /**
   * Calls `onChange` (possibly coalesced) after the job may have changed — an answer
   * recorded, started, cancelled, finished — on any process; answers how to stop. Live
   * progress streams (`Accept: text/event-stream`) follow jobs with it.
   */
  watch(id: string, onChange: () => void): () => void;
  /**
   * Present on a store shared by several processes: jobs are handed to it and run by
   * whichever process takes them, instead of by the process that accepted them.
   */
  readonly runs?: JobRunQueue;
}

/** A job handed to this process to run (first run, or a takeover after another process died). */
export interface QueuedJob {
  id: string;
  /** The batch and its inherited credentials, decrypted. */
  plan: JobPlanData;
  /**
   * Operations a process marked as started before dispatching them (`JobRunQueue.begin`).
   * On a takeover, those without an answer were in flight when their process stopped.
   */
  begun: ReadonlySet<number>;
  /** Run in-flight idempotent operations again after a takeover, instead of answering them `interrupted`. */
  retryIdempotent: boolean;
}

/** How a process serves the jobs of a shared store. */
export interface JobWorker {
  /** Runs one job to its end; rejects when its answers could not be kept, so another attempt resumes it. */
  run(job: QueuedJob): Promise<void>;
  /** A cancel asked on any process: stop starting this job's operations here, if it runs here. */
  cancel(id: string): void;
}

/**
 * The run queue of a shared store (the Redis store runs it on BullMQ): the plan travels
 * sealed, each job runs in one process at a time, and a job whose process died is taken
 * over by another.
 */
export interface JobRunQueue {
  /** Starts taking jobs in this process; called once, by the one middleware that uses the store. */
  serve(worker: JobWorker): void;
  /** Hands a created job over; its plan is kept (encrypted) until the job ends. */
  enqueue(id: string, plan: JobPlanData): Promise<void>;
  /**
   * Marks operations as started, before they are dispatched: after a crash, a marked
   * operation with no answer was in flight and is not run again. Writes are pipelined;
   * `urgent` ones (something waits on them) go out at once.
   */
  begin(id: string, indices: readonly number[], urgent: boolean): Promise<void>;
}

/** Whether a job's status document is still kept: it is running, or ended less than `statusTtlMs` ago. */
export function isStatusKept(job: JobRecord, now: number): boolean {
  return job.completedAt === null || now < job.completedAt + job.statusTtlMs;
}

/** Whether a job's files are still kept (and the job with them). */
export function isResultKept(job: JobRecord, now: number): boolean {
  return job.completedAt === null || now < job.completedAt + job.resultTtlMs;
}
