import cluster from 'node:cluster';
import { checkOptionNames } from '../option-names.js';
import {
  answerSize,
  isFinalState,
  isSuccess,
  type JobAnswer,
  type JobRecord,
  type JobState,
  type NewJob,
} from './job.js';
import {
  isResultKept,
  isStatusKept,
  type FinishedJob,
  type IdempotencyClaim,
  type IdempotentJob,
  type JobClaim,
  type JobCreation,
  type JobStore,
  type RecordReceipt,
} from './store.js';

/** Caps of the in-memory store. */
export interface MemoryJobStoreOptions {
  /**
   * Jobs kept at once, running and finished. Past it, the oldest finished job is evicted;
   * when every job is still running, new jobs are refused (`429 batch.overloaded`).
   * @default 10000
   */
  maxJobs?: number;
  /**
   * Bytes of answers kept at once. A running job reserves its cap (`maxTotalResponseBytes`)
   * when it is created, so the sum never goes past this; finished jobs are evicted oldest
   * first to make room.
   * @default 268435456 (256 MiB)
   */
  maxResultBytes?: number;
}

/** The defaults of the in-memory store (THREATS §1.1: 10 000 jobs, 256 MiB of results). */
export const MEMORY_STORE_DEFAULTS = { maxJobs: 10_000, maxResultBytes: 256 * 1024 * 1024 } as const;

// How often creation sweeps expired jobs; reads check their own job every time.
const SWEEP_INTERVAL_MS = 1000;

interface Entry {
  job: JobRecord & { answers: Array<JobAnswer | undefined> };
  /** Bytes set aside while the job runs. */
  reserved: number;
  idempotency: IdempotencyClaim | undefined;
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(
      `inbatch: memory store option "${name}" must be a positive integer, got ${JSON.stringify(value) ?? typeof value}`,
    );
  }
  return value;
}

function snapshot(entry: Entry): JobRecord {
  const { job } = entry;
  return { ...job, answers: job.answers.slice(), progress: { ...job.progress } };
}

/**
 * The embedded job store: jobs in a Map, bounded by `maxJobs` and `maxResultBytes`,
 * expired lazily (no timers, so nothing keeps the process alive). It lives in one process:
 * under `cluster` every worker has its own, so jobs, owner locks and idempotency keys are
 * not shared (THREATS T28) — use a shared store there.
 *
 * @example
 * app.use(batch({ store: createMemoryJobStore({ maxJobs: 1000 }) }));
 */
export function createMemoryJobStore(options: MemoryJobStoreOptions = {}): JobStore {
  checkOptionNames('createMemoryJobStore()', options, Object.keys(MEMORY_STORE_DEFAULTS));
  const maxJobs = positive('maxJobs', options.maxJobs, MEMORY_STORE_DEFAULTS.maxJobs);
  const maxResultBytes = positive('maxResultBytes', options.maxResultBytes, MEMORY_STORE_DEFAULTS.maxResultBytes);
  if (cluster.isWorker) {
    process.emitWarning(
      'inbatch: the in-memory job store is per process; cluster workers do not share jobs, owner locks or idempotency keys.',
    );
  }
  const jobs = new Map<string, Entry>();
  const owners = new Map<string, string>();
  const keys = new Map<string, string>();
  let usedBytes = 0;
  let lastSweep = Number.NEGATIVE_INFINITY;
  const watchers = new Map<string, Set<() => void>>();
  const changed = (id: string): void => {
    for (const onChange of watchers.get(id) ?? []) onChange();
  };

  const charge = (entry: Entry): number =>
    isFinalState(entry.job.state) ? entry.job.resultBytes : Math.max(entry.reserved, entry.job.resultBytes);

  const remove = (entry: Entry): void => {
    jobs.delete(entry.job.id);
    usedBytes -= charge(entry);
    if (owners.get(entry.job.owner) === entry.job.id) owners.delete(entry.job.owner);
    const key = entry.idempotency?.key;
    if (key !== undefined && keys.get(key) === entry.job.id) keys.delete(key);
  };

  const sweep = (now: number): number => {
    lastSweep = now;
    let removed = 0;
    for (const entry of jobs.values()) {
      if (!isResultKept(entry.job, now)) {
        remove(entry);
        removed++;
      }
    }
    return removed;
  };

  /** The live entry, or undefined (deleting it when it expired). */
  const live = (id: string, now: number): Entry | undefined => {
    const entry = jobs.get(id);
    if (entry === undefined) return undefined;
    if (isResultKept(entry.job, now)) return entry;
    remove(entry);
    return undefined;
  };

  /** The job claimed under an idempotency key, while its status is kept. */
  const claimedUnder = (key: string, now: number): IdempotentJob | undefined => {
    const id = keys.get(key);
    const entry = id === undefined ? undefined : live(id, now);
    if (entry === undefined || entry.idempotency === undefined || !isStatusKept(entry.job, now)) return undefined;
    return { job: snapshot(entry), fingerprint: entry.idempotency.fingerprint };
  };

  /** Evicts the oldest finished job (Map order is creation order); false when every job still runs. */
  const evictOne = (): boolean => {
    for (const entry of jobs.values()) {
      if (isFinalState(entry.job.state)) {
        remove(entry);
        return true;
      }
    }
    return false;
  };

  return {
    create(job: NewJob, claim: JobClaim): Promise<JobCreation> {
      const { now } = claim;
      if (now - lastSweep >= SWEEP_INTERVAL_MS) sweep(now);
      if (claim.idempotency !== undefined) {
        const earlier = claimedUnder(claim.idempotency.key, now);
        if (earlier !== undefined) return Promise.resolve({ outcome: 'replayed', ...earlier });
      }
      if (claim.exclusive) {
        const runningId = owners.get(job.owner);
        const running = runningId === undefined ? undefined : jobs.get(runningId);
        if (running !== undefined && !isFinalState(running.job.state)) {
          return Promise.resolve({ outcome: 'busy', jobId: running.job.id });
        }
      }
      while (jobs.size >= maxJobs || usedBytes + claim.reserveBytes > maxResultBytes) {
        if (!evictOne()) return Promise.resolve({ outcome: 'full' });
      }
      const entry: Entry = {
        job: {
          ...job,
          state: 'pending',
          cancelRequested: false,
          startedAt: null,
          updatedAt: now,
          completedAt: null,
          answers: new Array<JobAnswer | undefined>(job.operations.length).fill(undefined),
          progress: { total: job.operations.length, done: 0, failed: 0, cancelled: 0 },
          resultBytes: 0,
        },
        reserved: claim.reserveBytes,
        idempotency: claim.idempotency,
      };
      jobs.set(job.id, entry);
      usedBytes += charge(entry);
      if (claim.exclusive) owners.set(job.owner, job.id);
      if (claim.idempotency !== undefined) keys.set(claim.idempotency.key, job.id);
      return Promise.resolve({ outcome: 'created', job: snapshot(entry) });
    },

    findByIdempotencyKey(key: string, now: number): Promise<IdempotentJob | undefined> {
      return Promise.resolve(claimedUnder(key, now));
    },

    start(id: string, now: number): Promise<void> {
      const entry = jobs.get(id);
      if (entry !== undefined && entry.job.state === 'pending') {
        entry.job.state = 'running';
        entry.job.startedAt = now;
        entry.job.updatedAt = now;
        changed(id);
      }
      return Promise.resolve();
    },

    record(id: string, index: number, answer: JobAnswer): Promise<RecordReceipt> {
      const entry = jobs.get(id);
      if (entry === undefined) return Promise.resolve({ cancelRequested: true });
      const { job } = entry;
      if (isFinalState(job.state) || index < 0 || index >= job.answers.length || job.answers[index] !== undefined) {
        return Promise.resolve({ cancelRequested: job.cancelRequested });
      }
      const before = charge(entry);
      job.answers[index] = answer;
      job.resultBytes += answerSize(answer);
      if (answer.outcome === 'cancelled') job.progress.cancelled++;
      else {
        job.progress.done++;
        if (!isSuccess(answer)) job.progress.failed++;
      }
      job.updatedAt = Math.max(job.updatedAt, answer.completedAt);
      usedBytes += charge(entry) - before;
      changed(id);
      return Promise.resolve({ cancelRequested: job.cancelRequested });
    },

    finish(id: string, state: JobState, now: number): Promise<FinishedJob | undefined> {
      const entry = jobs.get(id);
      if (entry === undefined) return Promise.resolve(undefined);
      const { job } = entry;
      const ended = !isFinalState(job.state);
      if (ended) {
        const before = charge(entry);
        job.state = state;
        job.completedAt = now;
        job.updatedAt = now;
        usedBytes += charge(entry) - before;
        if (owners.get(job.owner) === job.id) owners.delete(job.owner);
        changed(id);
      }
      return Promise.resolve({ job: snapshot(entry), ended });
    },

    read(id: string, now: number): Promise<JobRecord | undefined> {
      const entry = live(id, now);
      return Promise.resolve(entry === undefined ? undefined : snapshot(entry));
    },

    cancel(id: string, now: number): Promise<JobRecord | undefined> {
      const entry = live(id, now);
      if (entry === undefined) return Promise.resolve(undefined);
      if (!isFinalState(entry.job.state) && !entry.job.cancelRequested) {
        entry.job.cancelRequested = true;
        entry.job.updatedAt = now;
        changed(id);
      }
      return Promise.resolve(snapshot(entry));
    },

    expire(now: number): Promise<number> {
      return Promise.resolve(sweep(now));
    },

    watch(id: string, onChange: () => void): () => void {
      let set = watchers.get(id);
      if (set === undefined) watchers.set(id, (set = new Set()));
      set.add(onChange);
      return () => {
        set.delete(onChange);
        if (set.size === 0 && watchers.get(id) === set) watchers.delete(id);
      };
    },
  };
}
