/** The error body the server answers a refused batch with (README "Errors"). */
export interface BatchErrorBody {
  error: {
    /** `batch.too_many_operations`, `batch.malformed`, … */
    code: string;
    message: string;
    /** 1-based position of the operation, or null. */
    part?: number | null;
    /** 1-based line of the outer body, or null. */
    line?: number | null;
    /** The limit that was exceeded, when one was. */
    limit?: number;
    [key: string]: unknown;
  };
}

/** What went wrong with the outer request. */
export type BatchFailure =
  /** The outer request did not get an answer (network error, CORS, abort): see `cause`. */
  | 'network'
  /** The server answered the batch with another status than 200: see `status` and `body`. */
  | 'refused'
  /** The server answered 200, but not with a batch answer this client can read. */
  | 'malformed';

/**
 * The outer batch request failed, so none of its inner requests has an answer: every
 * caller in that batch is rejected with this error.
 */
export class BatchRequestError extends Error {
  override readonly name = 'BatchRequestError';
  readonly failure: BatchFailure;
  /** The outer answer's status; undefined when there was none (`network`). */
  readonly status: number | undefined;
  /** The server's error code (`batch.too_many_operations`), when it answered one. */
  readonly code: string | undefined;
  /** The outer answer's body: the parsed `{"error":{…}}` when it is JSON, else its text. */
  readonly body: BatchErrorBody | string | undefined;

  constructor(
    failure: BatchFailure,
    message: string,
    details: { status?: number; body?: BatchErrorBody | string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.failure = failure;
    this.status = details.status;
    this.body = details.body;
    this.code = typeof details.body === 'object' ? details.body.error.code : undefined;
  }
}

function isErrorBody(value: unknown): value is BatchErrorBody {
  if (value === null || typeof value !== 'object') return false;
  const error = (value as { error?: unknown }).error;
  return (
    error !== null &&
    typeof error === 'object' &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/** The error for a non-200 outer answer, carrying its status and the server's `{error:{code,message}}`. */
export async function refusalOf(answer: Response): Promise<BatchRequestError> {
  const text = await answer.text().catch(() => '');
  let body: BatchErrorBody | string = text;
  try {
    const value: unknown = JSON.parse(text);
    if (isErrorBody(value)) body = value;
  } catch {
    // Not JSON (a proxy's HTML page, say): the text is the best cause there is.
  }
  const reason =
    typeof body === 'object' ? `${body.error.code}: ${body.error.message}` : text.slice(0, 200) || answer.statusText;
  return new BatchRequestError('refused', `inbatch: the batch was refused with ${answer.status}: ${reason}`, {
    status: answer.status,
    body,
  });
}

/**
 * `wait()` saw the job end cancelled (`DELETE {path}/{id}`, by this client or another of
 * the same owner). `status` is the job's final document: the answers of the operations
 * that ran are in it, the others are marked cancelled.
 */
export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError';
  readonly jobId: string;
  /** The job's final status document. */
  readonly status: unknown;

  constructor(jobId: string, status: unknown) {
    super(`inbatch: job ${jobId} was cancelled.`);
    this.jobId = jobId;
    this.status = status;
  }
}
