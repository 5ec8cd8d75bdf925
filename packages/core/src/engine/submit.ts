import { describeReceivedType, isJsonMediaType, parseContentType, type ContentType } from '../content-type.js';
import type { CompiledBulkResource } from '../dialects/bulk-rules.js';
import type { Dialect, DialectSet } from '../dialects/dialect.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { BatchError } from '../errors.js';
import type { JobKind } from '../jobs/job.js';
import { planData } from '../jobs/plan.js';
import type { JobService } from '../jobs/service.js';
import type { BatchAnswer, OuterRequest } from '../node/http.js';
import type { ResolvedOptions } from '../options.js';
import type { Semaphore } from '../scheduler.js';
import { JSON_HEADERS } from './answers.js';
import { answerHighWater, type BatchBudget, type BudgetTicket } from './budget.js';
import { batchContext, mountPrefix, pathOf } from './context.js';
import type { OperationResult } from '../operation.js';
import { executeBatch, type BatchRun } from './execute.js';
import { parseBatch, readJsonBody } from './parse.js';
import { prepareBatch } from './prepare.js';
import { streamAnswer } from './stream.js';

/** What the submit handlers share: the options, the in-flight cap, the jobs. */
export interface EngineState {
  options: ResolvedOptions;
  inFlight: Semaphore;
  /** The process-wide budget of batches and buffered bytes. */
  budget: BatchBudget;
  jobs: JobService;
  /** The dialects served, as the composition root (endpoint.ts) listed them. */
  dialects: DialectSet;
}

/**
 * Takes the batch's share of the budget before its body is read, or refuses it with
 * `503 batch.busy`: a refused batch costs nothing, and the batches already accepted are
 * not affected. The share is given back when the exchange is over.
 */
function admit(state: EngineState, outer: OuterRequest): BudgetTicket {
  const { body } = outer;
  const { maxBodyBytes, maxConcurrentBatches, maxBufferedBytes } = state.options;
  const bodyBytes =
    body.kind === 'stream'
      ? Math.min(body.declaredLength ?? maxBodyBytes, maxBodyBytes)
      : body.kind === 'captured'
        ? body.bytes.length
        : 0;
  const ticket = state.budget.admit(bodyBytes + answerHighWater(state.options.maxTotalResponseBytes));
  if (ticket === undefined) {
    throw new BatchError(
      'batch.busy',
      `The server is answering as many batches as it may at once (at most ${maxConcurrentBatches} batches and ${maxBufferedBytes} buffered bytes); try again later.`,
      { closeConnection: body.kind === 'stream' },
    );
  }
  outer.onClose?.(() => ticket.release());
  return ticket;
}

/** The answer's body, giving the budget back once it ended (for exchanges without `onClose`). */
async function* releasing(body: AsyncGenerator<Buffer, void, undefined>, ticket: BudgetTicket) {
  try {
    yield* body;
  } finally {
    ticket.release();
  }
}

/** Whether the client asked for an async answer (RFC 7240 `Prefer: respond-async`). */
export function prefersAsync(prefer: string | string[] | undefined): boolean {
  if (prefer === undefined) return false;
  for (const preference of (Array.isArray(prefer) ? prefer.join(',') : prefer).split(',')) {
    const token = preference.split(';')[0]?.trim().toLowerCase();
    if (token === 'respond-async') return true;
  }
  return false;
}

/** Refuses a compressed outer body: its inflated size could not be capped before parsing (THREATS T4). */
function refuseEncoding(outer: OuterRequest): void {
  const encoding = outer.headers['content-encoding'];
  const unread = outer.body.kind === 'stream' || outer.body.kind === 'web';
  if (unread && encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new BatchError(
      'batch.unsupported_encoding',
      `Content-Encoding ${JSON.stringify(encoding)} is not accepted; send the batch uncompressed.`,
      { closeConnection: true },
    );
  }
}

// Headers a job submit consumes itself: they are about the batch, not its operations. An
// app honouring Idempotency-Key would otherwise treat every inner POST as a retry of the
// first, and one honouring Prefer would answer the operations asynchronously too.
const JOB_ONLY_HEADERS = ['prefer', 'idempotency-key'];

/** The batch's context (inherited headers and query, identity, its own paths) and its endpoint from the host root. */
function contextFor(state: EngineState, outer: OuterRequest, relativePath: string, asJob: boolean) {
  const { options } = state;
  const prefix = mountPrefix(pathOf(outer.url), relativePath);
  const context = batchContext(outer, prefix, {
    path: options.path,
    bulkPath: options.bulk === undefined ? undefined : options.bulkPath,
  });
  if (asJob) {
    const headers = Object.assign(Object.create(null) as Record<string, string>, context.headers);
    for (const name of JOB_ONLY_HEADERS) delete headers[name];
    context.headers = headers;
  }
  return { context, endpoint: prefix + options.path };
}

/**
 * `POST {path}`: a multipart or json batch answered in the response (or as a job when it
 * says `Prefer: respond-async`), or an operations batch, always a job. One policy for
 * all: every operation is prepared (`prepareBatch`) before anything runs or is stored.
 */
export async function handleSubmit(
  state: EngineState,
  outer: OuterRequest,
  dispatcher: Dispatcher,
  relativePath: string,
): Promise<BatchAnswer> {
  if (outer.method !== 'POST') {
    throw new BatchError('batch.method_not_allowed', `Batches are sent with POST, not ${outer.method}.`);
  }
  const contentType = parseContentType(outer.headers['content-type']);
  const candidates =
    contentType === undefined ? [] : state.dialects.sync.filter((candidate) => candidate.accepts(contentType));
  if (contentType === undefined || candidates.length === 0) {
    throw new BatchError(
      'batch.unsupported_media_type',
      `Send the batch as multipart/mixed; boundary=… or as application/json (got ${describeReceivedType(outer.headers['content-type'])}).`,
    );
  }
  refuseEncoding(outer);
  const ticket = admit(state, outer);
  let streaming = false;
  try {
    const answer = await submitAdmitted(state, outer, dispatcher, relativePath, contentType, candidates);
    if (!Buffer.isBuffer(answer.body)) {
      streaming = true;
      answer.body = releasing(answer.body as AsyncGenerator<Buffer, void, undefined>, ticket);
    }
    return answer;
  } finally {
    if (!streaming) ticket.release();
  }
}

async function submitAdmitted(
  state: EngineState,
  outer: OuterRequest,
  dispatcher: Dispatcher,
  relativePath: string,
  contentType: ContentType,
  candidates: readonly Dialect[],
): Promise<BatchAnswer> {
  const { options } = state;
  const parsed = await parseBatch(candidates, state.dialects.jobs, contentType, outer.body, options);
  const { entries } = parsed;
  if (entries.length === 0) throw new BatchError('batch.empty', 'The batch has no operations.');

  // Every rule runs on every operation before the first one runs (THREATS T17).
  const asJob = parsed.kind === 'job' || prefersAsync(outer.headers.prefer);
  const { context, endpoint } = contextFor(state, outer, relativePath, asJob);
  const requests = prepareBatch(entries, context, options);
  if (asJob) {
    const kind = parsed.dialect.name as JobKind;
    return state.jobs.submit({
      format: state.dialects.formats[kind],
      entries,
      requests,
      context,
      plan: () =>
        planData(
          {
            kind,
            input: parsed.input,
            ...(kind === 'multipart' ? { contentType: outer.headers['content-type'] } : {}),
          },
          context,
        ),
      webhook: parsed.kind === 'job' ? parsed.webhook : null,
      outer,
      endpoint,
      dispatcher,
    });
  }
  const writer = parsed.dialect.createWriter();
  const start = (onAnswer: (index: number, result: OperationResult) => void): BatchRun =>
    executeBatch({
      options,
      inFlight: state.inFlight,
      dispatcher,
      entries,
      requests,
      context,
      signal: outer.signal,
      abortRunning: true,
      deadlineMs: options.batchTimeoutMs,
      trace: { outer: outer.incoming },
      highWaterBytes: answerHighWater(options.maxTotalResponseBytes),
      onAnswer,
    });
  return {
    status: 200,
    headers: { ...JSON_HEADERS, 'content-type': writer.contentType },
    body: streamAnswer(start, entries, writer, options),
    writeDeadline: { stallMs: options.writeTimeoutMs, totalMs: options.batchTimeoutMs + options.writeTimeoutMs },
  };
}

/** `PATCH {bulkPath}/{resource}` (the bulk seed): a JSON array of items, run as a job. */
export async function handleBulk(
  state: EngineState,
  outer: OuterRequest,
  dispatcher: Dispatcher,
  relativePath: string,
  resourceName: string,
): Promise<BatchAnswer> {
  const { options } = state;
  // Refused before the body is read: nothing is parsed for a resource that does not exist.
  const resource = options.bulk?.get(resourceName);
  if (resource === undefined) {
    throw new BatchError(
      'batch.unknown_resource',
      `There is no bulk resource ${JSON.stringify(resourceName.slice(0, 64))}.`,
    );
  }
  const contentType = parseContentType(outer.headers['content-type']);
  if (contentType === undefined || !isJsonMediaType(contentType.mediaType)) {
    throw new BatchError(
      'batch.unsupported_media_type',
      `Send the items as application/json (got ${describeReceivedType(outer.headers['content-type'])}).`,
    );
  }
  refuseEncoding(outer);
  const ticket = admit(state, outer);
  try {
    return await submitBulk(state, outer, dispatcher, relativePath, resource, resourceName);
  } finally {
    ticket.release();
  }
}

async function submitBulk(
  state: EngineState,
  outer: OuterRequest,
  dispatcher: Dispatcher,
  relativePath: string,
  resource: CompiledBulkResource,
  resourceName: string,
): Promise<BatchAnswer> {
  const { options } = state;
  const input = await readJsonBody(outer.body, options);
  const entries = state.dialects.bulk.parse(input, resource, options);
  const { context, endpoint } = contextFor(state, outer, relativePath, true);
  const requests = prepareBatch(entries, context, options);
  return state.jobs.submit({
    format: state.dialects.formats.bulk,
    entries,
    requests,
    context,
    plan: () => planData({ kind: 'bulk', input, resource: resourceName }, context),
    webhook: null,
    outer,
    // `Location` points under the batch endpoint, at the same mount: `/process/x` → `/batch/{id}`.
    endpoint,
    dispatcher,
  });
}
