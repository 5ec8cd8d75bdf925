export { readBatchAnswer } from './answer.js';
export { createBatch, sendBatch, type Batch } from './batch.js';
export { batchFetch, type BatchFetch, type BatchFetchOptions } from './batch-fetch.js';
export type { DialectName } from './dialects/dialect.js';
export { encodeBatch, type BatchedRequest, type EncodedBatch } from './encode.js';
export { BatchRequestError, JobCancelledError, type BatchErrorBody, type BatchFailure } from './errors.js';
export type {
  AsyncBatchLine,
  AsyncBatchStatus,
  BulkItem,
  BulkStatus,
  BulkWord,
  JobCounts,
  JobKind,
  JobProgress,
  LineOf,
  OperationsResponse,
  OperationsStatus,
  OperationsWord,
  StatusOf,
} from './jobs/documents.js';
export type { AsyncBatchJob, Job, WaitOptions } from './jobs/job.js';
export {
  openJob,
  submitJob,
  type AsyncBatchSubmission,
  type BulkSubmission,
  type JobClientOptions,
  type JobOperation,
  type JobSubmission,
  type OperationsSubmission,
} from './jobs/submit.js';
export type { BatchHeaders, ClientOptions, FetchFunction } from './options.js';
export type { BatchInput, FetchInput } from './request-input.js';
export type { TypedResponse } from './typed-response.js';
