/**
 * Every refusal inbatch makes, as a closed list of stable codes.
 *
 * `batch.*` codes refuse a whole batch (nothing is dispatched); `batch.part.*` codes
 * refuse one operation, whose slot carries the error while the others still run.
 * The README's error table is kept equal to this list by a test.
 */
export const BATCH_ERROR_STATUS = {
  'batch.malformed': 400,
  'batch.empty': 400,
  'batch.duplicate_id': 400,
  'batch.dependency_unknown': 400,
  'batch.dependency_cycle': 400,
  'batch.unsupported_media_type': 415,
  'batch.unsupported_encoding': 415,
  'batch.too_large': 413,
  'batch.too_many_operations': 413,
  'batch.method_not_allowed': 405,
  'batch.body_timeout': 408,
  'batch.body_unavailable': 500,
  'batch.internal': 500,
  'batch.cost_exceeded': 413,
  'batch.owner_busy': 409,
  'batch.idempotency_key_invalid': 400,
  'batch.idempotency_key_reused': 422,
  'batch.callback_forbidden': 400,
  'batch.unknown_resource': 404,
  'batch.job_not_found': 404,
  'batch.job_expired': 410,
  'batch.job_not_finished': 409,
  'batch.overloaded': 429,
  'batch.store_unavailable': 503,
  'batch.stream_limit': 429,
  'batch.busy': 503,
  'batch.part.malformed': 400,
  'batch.part.method': 400,
  'batch.part.target': 400,
  'batch.part.header': 400,
  'batch.part.length': 400,
  'batch.part.nested': 400,
  'batch.part.forbidden_path': 403,
  'batch.part.too_large': 413,
  'batch.part.query_limit': 400,
  'batch.part.dependency_failed': 424,
  'batch.part.reference': 424,
  'batch.part.response_too_large': 502,
  'batch.part.dispatch_failed': 502,
  'batch.part.interrupted': 502,
  'batch.part.not_started': 503,
  'batch.part.timeout': 504,
} as const satisfies Record<string, number>;

/** A stable, machine-readable reason for a refusal. */
export type BatchErrorCode = keyof typeof BATCH_ERROR_STATUS;

/** Where in the batch a problem was found. Part numbers and lines count from 1. */
export interface ErrorLocation {
  /** The 1-based position of the operation (multipart part) in the batch. */
  part?: number;
  /** The 1-based line of the outer body where the problem was found. */
  line?: number;
  /** The operation's own id, for dialects that have one. */
  operationId?: string;
}

/** The JSON body of every error inbatch answers. */
export interface BatchErrorBody {
  error: {
    code: BatchErrorCode;
    message: string;
    part: number | null;
    line: number | null;
    operationId?: string;
    limit?: number;
    /**
     * The job the refusal is about: the owner's running job for `batch.owner_busy`, the job
     * created under the key for `batch.idempotency_key_reused`.
     */
    jobId?: string;
  };
}

/** One error type for every refusal: a code, a human message and where it happened. */
export class BatchError extends Error {
  override readonly name = 'BatchError';
  readonly code: BatchErrorCode;
  readonly status: number;
  readonly where: ErrorLocation;
  /** The configured limit that was exceeded, when the error is about a limit. */
  readonly limit: number | undefined;
  /** Whether the outer connection should be closed after answering (an unread body). */
  readonly closeConnection: boolean;
  /** The job the refusal is about, shown only to that job's owner (THREATS T24). */
  readonly jobId: string | undefined;

  constructor(
    code: BatchErrorCode,
    message: string,
    details: { where?: ErrorLocation; limit?: number; closeConnection?: boolean; cause?: unknown; jobId?: string } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = BATCH_ERROR_STATUS[code];
    this.where = details.where ?? {};
    this.limit = details.limit;
    this.closeConnection = details.closeConnection ?? false;
    this.jobId = details.jobId;
  }

  /** The same error, located at an operation (the parser finds problems before it knows the part). */
  at(where: ErrorLocation): BatchError {
    return new BatchError(this.code, this.message, {
      where: { ...this.where, ...where },
      ...(this.limit === undefined ? {} : { limit: this.limit }),
      ...(this.jobId === undefined ? {} : { jobId: this.jobId }),
      closeConnection: this.closeConnection,
    });
  }

  toBody(): BatchErrorBody {
    const body: BatchErrorBody = {
      error: {
        code: this.code,
        message: this.message,
        part: this.where.part ?? null,
        line: this.where.line ?? null,
      },
    };
    if (this.where.operationId !== undefined) body.error.operationId = this.where.operationId;
    if (this.limit !== undefined) body.error.limit = this.limit;
    if (this.jobId !== undefined) body.error.jobId = this.jobId;
    return body;
  }
}

/** Whether a code refuses a single operation rather than the whole batch. */
export function isPartErrorCode(code: BatchErrorCode): boolean {
  return code.startsWith('batch.part.');
}
