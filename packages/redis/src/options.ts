import type { RedisOptions, Redis } from 'ioredis';
import { checkOptionNames } from '@inbatch/core';

/** Options of `redisJobStore`. */
export interface RedisJobStoreOptions {
  /** Where Redis is: ioredis options, an ioredis client (its options are reused; it is never closed by the store) or a `redis://` URL. */
  connection: RedisOptions | Redis | string;
  /**
   * The key that encrypts the credentials a job runs with while it is pending or running
   * (AES-256-GCM): 32 bytes, as a Buffer, 64 hex characters or base64. The same on every
   * instance; keep it out of the code (an environment variable or a secret manager).
   */
  key: Buffer | Uint8Array | string;
  /**
   * Prefix of every key the store writes (all share the hash tag `{prefix}`, so Redis
   * Cluster keeps them in one slot). Give each app, and each `batch()`, its own.
   * @default 'inbatch'
   */
  prefix?: string;
  /**
   * Bytes of answers kept in Redis at once. A running job reserves its cap
   * (`maxTotalResponseBytes`); finished jobs are evicted, soonest to expire first, to make
   * room; when only running jobs are left, submits answer `429 batch.overloaded`.
   * @default 268435456 (256 MiB)
   */
  maxResultBytes?: number;
  /**
   * Jobs this instance runs at once; more wait in the queue for any instance.
   * @default 4
   */
  workerConcurrency?: number;
  /**
   * BullMQ's job lock: an instance renews it while it runs a job; when the instance dies,
   * another takes the job over after about this long.
   * @default 30000
   */
  lockDurationMs?: number;
  /**
   * The longest a submit or a job read waits on Redis before answering
   * `503 batch.store_unavailable` with `Retry-After`.
   * @default 2000
   */
  commandTimeoutMs?: number;
  /**
   * After a takeover, run again the idempotent operations (GET, HEAD, PUT, DELETE,
   * OPTIONS) that were in flight when their instance died, instead of answering them
   * `502 batch.part.interrupted`. Other methods are never run twice.
   * @default false
   */
  retryIdempotent?: boolean;
  /**
   * Called with the queue's and the worker's own errors (a lost connection, a job that
   * could not be run).
   * @default logs with console.error
   */
  onError?: (error: unknown) => void;
}

export const REDIS_STORE_DEFAULTS = {
  prefix: 'inbatch',
  maxResultBytes: 256 * 1024 * 1024,
  workerConcurrency: 4,
  lockDurationMs: 30_000,
  commandTimeoutMs: 2000,
  retryIdempotent: false,
} as const;

const KNOWN: ReadonlyArray<keyof RedisJobStoreOptions> = [
  'connection',
  'key',
  'onError',
  ...(Object.keys(REDIS_STORE_DEFAULTS) as Array<keyof typeof REDIS_STORE_DEFAULTS>),
];

export interface ResolvedStoreOptions {
  prefix: string;
  maxResultBytes: number;
  workerConcurrency: number;
  lockDurationMs: number;
  commandTimeoutMs: number;
  retryIdempotent: boolean;
  onError: (error: unknown) => void;
  /** How long a job's keys live before it ends (a safety net for jobs no instance ever ends). */
  keepMs: number;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(
      `inbatch: redisJobStore option "${name}" must be a positive integer, got ${JSON.stringify(value) ?? typeof value}`,
    );
  }
  return value;
}

/** Checks the options once; a wrong or unknown one throws a `TypeError` naming it. */
export function resolveStoreOptions(options: RedisJobStoreOptions): ResolvedStoreOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('inbatch: redisJobStore needs an options object with "connection" and "key"');
  }
  checkOptionNames('redisJobStore', options, KNOWN);
  const connection: unknown = options.connection;
  if (
    connection === undefined ||
    connection === null ||
    (typeof connection !== 'object' && typeof connection !== 'string')
  ) {
    throw new TypeError(
      'inbatch: redisJobStore option "connection" must be ioredis options, an ioredis client or a redis:// URL',
    );
  }
  const prefix: unknown = options.prefix ?? REDIS_STORE_DEFAULTS.prefix;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9:_.-]{1,64}$/.test(prefix)) {
    throw new TypeError('inbatch: redisJobStore option "prefix" must be 1 to 64 letters, digits or : _ . -');
  }
  const retryIdempotent: unknown = options.retryIdempotent ?? REDIS_STORE_DEFAULTS.retryIdempotent;
  if (typeof retryIdempotent !== 'boolean') {
    throw new TypeError('inbatch: redisJobStore option "retryIdempotent" must be true or false');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new TypeError('inbatch: redisJobStore option "onError" must be a function');
  }
  const lockDurationMs = positiveInteger('lockDurationMs', options.lockDurationMs, REDIS_STORE_DEFAULTS.lockDurationMs);
  return {
    prefix,
    maxResultBytes: positiveInteger('maxResultBytes', options.maxResultBytes, REDIS_STORE_DEFAULTS.maxResultBytes),
    workerConcurrency: positiveInteger(
      'workerConcurrency',
      options.workerConcurrency,
      REDIS_STORE_DEFAULTS.workerConcurrency,
    ),
    lockDurationMs,
    commandTimeoutMs: positiveInteger(
      'commandTimeoutMs',
      options.commandTimeoutMs,
      REDIS_STORE_DEFAULTS.commandTimeoutMs,
    ),
    retryIdempotent,
    onError:
      options.onError ??
      ((error: unknown) => {
        console.error('inbatch: redis job store error', error);
      }),
    keepMs: 24 * 60 * 60 * 1000,
  };
}
