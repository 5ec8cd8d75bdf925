export { createBatchEngine, type BatchEngine } from './endpoint.js';
export { isJobId, type BatchRoute, type JobFile } from './engine/routes.js';
export {
  BATCH_ERROR_STATUS,
  BatchError,
  isPartErrorCode,
  type BatchErrorBody,
  type BatchErrorCode,
  type ErrorLocation,
} from './errors.js';
export {
  DEFAULTS,
  OPTIONS_WITHOUT_DEFAULT,
  PARSER_LIMITS,
  resolveOptions,
  type AllowRule,
  type BatchOptions,
  type InnerTarget,
  type ResolvedOptions,
  type ResolvedWebhookOptions,
} from './options.js';
export { checkOptionNames } from './option-names.js';
export { INNER_END_CHANNEL, INNER_START_CHANNEL, type InnerRequestMessage } from './tracing.js';
export {
  DISPATCHER_KINDS,
  INNER_REQUEST,
  isInnerRequest,
  type DispatchControl,
  type Dispatcher,
  type DispatcherKind,
  type DispatchSignal,
  type NodeHandler,
} from './dispatch/dispatcher.js';
export { DispatchAbort } from './dispatch/abort.js';
export { createDispatcher, type DispatcherSetup } from './dispatch/create.js';
export { createFastDispatcher, type FastDispatcherOptions } from './dispatch/fast/dispatcher.js';
export { inheritedPresets, type FramePresets, type Presets } from './dispatch/fast/presets.js';
export { createInjectDispatcher, type InjectDispatcherOptions } from './dispatch/inject.js';
export {
  nodeAnswerStream,
  outerRequestFromNode,
  sendNodeAnswer,
  type BatchAnswer,
  type OuterRequest,
  type WriteDeadline,
} from './node/http.js';
export { createBatchHandler, type RequestListener } from './node/handler.js';
export { declaredBodyLength } from './node/body.js';
export { answerHasBody } from './dispatch/answer-headers.js';
export type { BodySource } from './node/body.js';
export type { HeaderField, InnerRequest, InnerResponse, OperationResult } from './operation.js';
export { parseContentType, type ContentType } from './content-type.js';
export { reasonPhrase } from './http-grammar.js';
export { parseMultipartBatch, type MultipartMeta } from './dialects/multipart-parse.js';
export { parseOperationsBatch, type OperationsMeta } from './dialects/operations.js';
export type { BulkItem, BulkResource } from './dialects/bulk-rules.js';
export type { LoadScoreRule } from './policy/load-score.js';
export type { QueryCaps } from './policy/query-caps.js';
export {
  isFinalState,
  type JobAnswer,
  type JobKind,
  type JobOperation,
  type JobProgress,
  type JobRecord,
  type JobState,
  type JobSummary,
  type JobWebhook,
  type NewJob,
} from './jobs/job.js';
export {
  isResultKept,
  isStatusKept,
  type IdempotencyClaim,
  type IdempotentJob,
  type FinishedJob,
  type JobClaim,
  type JobCreation,
  type JobRunQueue,
  type JobStore,
  type JobWorker,
  type QueuedJob,
  type RecordReceipt,
} from './jobs/store.js';
export type { JobPlanData } from './jobs/plan.js';
export type { BatchContext } from './engine/context.js';
export { answerSize, isSuccess } from './jobs/job.js';
export { createMemoryJobStore, MEMORY_STORE_DEFAULTS, type MemoryJobStoreOptions } from './jobs/memory-store.js';
export { defaultOwner, type OwnerFacts, type OwnerRule } from './jobs/owner.js';
export { classifyAddress, type AddressKind } from './webhook/address.js';
export { checkCallbackUrl, type CheckedCallback, type Resolver } from './webhook/callback-url.js';
export { callbackTarget, signWebhook, type WebhookPayload } from './webhook/deliver.js';
