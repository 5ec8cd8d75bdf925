// Type-level use of every entry point, compiled strict with NodeNext and with node10
// ("moduleResolution": "node") resolution by the packaging test.
import type { BatchError, BatchErrorCode, BatchOptions as CoreOptions, JobStore } from '@inbatch/core';
import { checkOptionNames, createMemoryJobStore } from '@inbatch/core';
import { batchFetch, type BatchFetch } from '@inbatch/client';
import { injectBatch } from '@inbatch/client/testing';
import type { BatchOptions as ExpressOptions } from '@inbatch/express';
import type { BatchOptions as KoaOptions } from '@inbatch/koa';
import { redisJobStore, type RedisJobStore, type RedisJobStoreOptions } from '@inbatch/redis';

export const store: JobStore = createMemoryJobStore({ maxJobs: 10 });
export const code: BatchErrorCode = 'batch.too_large';
export const describeError = (error: BatchError): string => `${error.code} ${error.status}`;
export const expressOptions: ExpressOptions = { maxOperations: 5, store };
export const koaOptions: KoaOptions = { timeoutMs: 1000 };
export const coreOptions: CoreOptions = { ...expressOptions, ...koaOptions };
// @ts-expect-error a typo in an option name is a type error too
export const typo: CoreOptions = { maxOperation: 5 };
export const api: BatchFetch = batchFetch({ endpoint: 'http://localhost/batch' });
export const inject: typeof injectBatch = injectBatch;
export const check: typeof checkOptionNames = checkOptionNames;
export const redisOptions: RedisJobStoreOptions = { connection: 'redis://127.0.0.1:6379', key: 'ab'.repeat(32) };
export const makeRedisStore: (options: RedisJobStoreOptions) => RedisJobStore = redisJobStore;
