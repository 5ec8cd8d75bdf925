export { readBatchAnswer } from './answer.js';
export { createBatch, sendBatch, type Batch } from './batch.js';
export { batchFetch, type BatchFetch, type BatchFetchOptions } from './batch-fetch.js';
export type { DialectName } from './dialects/dialect.js';
export { encodeBatch, type BatchedRequest, type EncodedBatch } from './encode.js';
export { BatchRequestError, type BatchErrorBody, type BatchFailure } from './errors.js';
export type { BatchHeaders, ClientOptions, FetchFunction } from './options.js';
export type { BatchInput, FetchInput } from './request-input.js';
export type { TypedResponse } from './typed-response.js';
