// TEMPORARY, until the lead's packages/redis lands on this branch: the contract of issue 11.
declare module '@inbatch/redis' {
  import type { JobStore } from '@inbatch/core';
  export interface RedisJobStoreOptions {
    connection: unknown;
    prefix?: string;
    key: string | Uint8Array;
    lockDurationMs?: number;
    commandTimeoutMs?: number;
    workerConcurrency?: number;
    retryIdempotent?: boolean;
    maxResultBytes?: number;
  }
  export interface RedisJobStore extends JobStore {
    close(): Promise<void>;
    stats(): { roundTrips: number };
  }
  export function redisJobStore(options: RedisJobStoreOptions): RedisJobStore;
}
