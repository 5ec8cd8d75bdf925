export { createBatchEngine, type BatchEngine } from './engine.js';
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
  PARSER_LIMITS,
  resolveOptions,
  type AllowRule,
  type BatchOptions,
  type InnerTarget,
  type ResolvedOptions,
} from './options.js';
export {
  createInjectDispatcher,
  INNER_REQUEST,
  isInnerRequest,
  type DispatchControl,
  type Dispatcher,
  type InjectDispatcherOptions,
  type NodeHandler,
} from './dispatch/inject.js';
export { outerRequestFromNode, sendNodeAnswer, type BatchAnswer, type OuterRequest } from './node/http.js';
export type { BodySource } from './node/body.js';
export type { HeaderField, InnerRequest, InnerResponse, OperationResult } from './operation.js';
export { parseContentType, type ContentType } from './content-type.js';
export { parseMultipartBatch, type MultipartMeta } from './dialects/multipart-parse.js';
