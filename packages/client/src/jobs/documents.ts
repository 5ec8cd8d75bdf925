/** The dialect a job was submitted in, as the event stream's `kind` names it. */
export type JobKind = 'operations' | 'bulk' | 'json' | 'multipart';

/** A job's counts (README "The operations dialect"): operations in all, answered, answered with anything but a 2xx, cancelled. */
export interface JobCounts {
  total: number;
  done: number;
  failed: number;
  cancelled: number;
}

/** The status words of operations jobs and of batches sent with `Prefer: respond-async`. */
export type OperationsWord = 'pending' | 'running' | 'cancelling' | 'finished' | 'failed' | 'cancelled';
/** The bulk seed's status words. */
export type BulkWord = 'PENDING' | 'RUNNING' | 'SUCCESS' | 'PARTIAL' | 'FAILED';

/** One operation's answer in an operations job: an entry of `responses`, and one line of its JSONL. */
export interface OperationsResponse {
  /** The answer as text; base64 when `bodyEncoding` says so. */
  body?: string;
  bodyEncoding?: 'base64';
  completedAt: string | null;
  endpoint: string;
  method: string;
  operationId: string | null;
  /** `cancelled` when a cancel kept it from starting (then `statusCode` is null). */
  status: 'finished' | 'cancelled';
  statusCode: number | null;
  statusText: string | null;
  uuid: string;
}

/** Fields every operations-word status document has, in the seed's order. */
interface OperationsWordDocument {
  completedAt: string | null;
  createdAt: string | null;
  operations: number;
  processedAt: string | null;
  progress: JobCounts;
  status: OperationsWord;
  updatingAt: string | null;
  uuid: string;
}

/** `GET {path}/{id}` of an operations job. */
export interface OperationsStatus extends OperationsWordDocument {
  /** The operations answered so far, in request order. */
  responses: OperationsResponse[];
  webhook?: { callbackUrl: string | null; email: string | null };
}

/** `GET {path}/{id}` of a multipart or json batch sent with `Prefer: respond-async`. */
export interface AsyncBatchStatus extends OperationsWordDocument {
  /** The path of the finished answer (`/batch/{id}/result`). */
  result: string;
}

/** One bulk item as the seed lists it: `id`, the item's own fields, then `status`. */
export interface BulkItem {
  id: string;
  status: {
    success: boolean;
    /** The answer's own message, else its reason phrase; `cancelled` for an item a cancel kept from starting. */
    message: string;
    /** `INSERT` for a 201, `UPDATE` for any other 2xx, null when it failed. */
    process: 'INSERT' | 'UPDATE' | null;
  };
  [field: string]: unknown;
}

/** `GET {path}/{id}` of a bulk job: the per-item list appears once it ended. */
export interface BulkStatus {
  batchId: string;
  status: BulkWord;
  data?: BulkItem[];
}

/** One line of the JSONL of a multipart or json job: the answer in the json dialect's shape. */
export interface AsyncBatchLine {
  /** The request's `id` (json) or `Content-ID` (multipart), else its 1-based position. */
  id: string;
  status: number;
  headers: Record<string, string | string[]>;
  /** A JSON answer's value, a text answer's string, or base64 when `bodyEncoding` says so. */
  body?: unknown;
  bodyEncoding?: 'base64';
}

/** The status document of each kind of job. */
export interface StatusOf {
  operations: OperationsStatus;
  bulk: BulkStatus;
  json: AsyncBatchStatus;
  multipart: AsyncBatchStatus;
}

/** One JSONL line of each kind of job. */
export interface LineOf {
  operations: OperationsResponse;
  bulk: BulkItem;
  json: AsyncBatchLine;
  multipart: AsyncBatchLine;
}

/** What `onProgress` gets: the job's status word and, when the server sent them, its counts. */
export interface JobProgress<K extends JobKind = JobKind> {
  id: string;
  kind: K;
  /** The status word of the job's dialect (`running`, `RUNNING`…). */
  status: StatusOf[K]['status'];
  /**
   * The counts. Always there from the event stream; from polling, only where the status
   * document has them (a running bulk job's document says only its word).
   */
  progress: JobCounts | undefined;
}

const FINAL_WORDS: ReadonlySet<string> = new Set(['finished', 'failed', 'cancelled', 'SUCCESS', 'PARTIAL', 'FAILED']);

/** Whether a status word is final: the job will not change any more. */
export function isFinalWord(word: string): boolean {
  return FINAL_WORDS.has(word);
}

/** The status word of a status document. */
export function wordOf(document: unknown): string {
  const status = (document as { status?: unknown } | null)?.status;
  return typeof status === 'string' ? status : '';
}

/** `onProgress`'s argument read off a status document (polling). */
export function progressOfDocument<K extends JobKind>(id: string, kind: K, document: StatusOf[K]): JobProgress<K> {
  const counts = (document as { progress?: JobCounts }).progress;
  return { id, kind, status: document.status, progress: counts };
}
