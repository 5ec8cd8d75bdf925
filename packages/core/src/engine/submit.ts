import { parseContentType } from '../content-type.js';
import type { Dialect, JsonJobDialect } from '../dialects/dialect.js';
import { isJsonMediaType, jsonDialect } from '../dialects/json.js';
import { bulkFormat, parseBulkItems } from '../dialects/bulk.js';
import { multipartDialect } from '../dialects/multipart.js';
import { operationsDialect } from '../dialects/operations.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { BatchError } from '../errors.js';
import type { JobKind } from '../jobs/job.js';
import { JOB_FORMATS, type JobService } from '../jobs/service.js';
import type { BatchAnswer, OuterRequest } from '../node/http.js';
import type { ResolvedOptions } from '../options.js';
import type { Semaphore } from '../scheduler.js';
import { JSON_HEADERS } from './answers.js';
import { batchContext, mountPrefix, pathOf } from './context.js';
import { executeBatch } from './execute.js';
import { parseBatch, readJsonBody } from './parse.js';
import { prepareBatch } from './prepare.js';
import { streamAnswer } from './stream.js';

const DIALECTS: readonly Dialect[] = [multipartDialect, jsonDialect];
const JOB_DIALECTS: readonly JsonJobDialect[] = [operationsDialect];

/** What the submit handlers share: the options, the in-flight cap, the jobs. */
export interface EngineState {
  options: ResolvedOptions;
  inFlight: Semaphore;
  jobs: JobService;
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
  const { options } = state;
  if (outer.method !== 'POST') {
    throw new BatchError('batch.method_not_allowed', `Batches are sent with POST, not ${outer.method}.`);
  }
  const contentType = parseContentType(outer.headers['content-type']);
  const candidates = contentType === undefined ? [] : DIALECTS.filter((candidate) => candidate.accepts(contentType));
  if (contentType === undefined || candidates.length === 0) {
    throw new BatchError(
      'batch.unsupported_media_type',
      'Send the batch as multipart/mixed; boundary=… or as application/json.',
    );
  }
  refuseEncoding(outer);
  const parsed = await parseBatch(candidates, JOB_DIALECTS, contentType, outer.body, options);
  const { entries } = parsed;
  if (entries.length === 0) throw new BatchError('batch.empty', 'The batch has no operations.');

  // Every rule runs on every operation before the first one runs (THREATS T17).
  const asJob = parsed.kind === 'job' || prefersAsync(outer.headers.prefer);
  const { context, endpoint } = contextFor(state, outer, relativePath, asJob);
  const requests = prepareBatch(entries, context, options);
  if (asJob) {
    return state.jobs.submit({
      format: JOB_FORMATS[parsed.dialect.name as JobKind],
      entries,
      requests,
      context,
      webhook: parsed.kind === 'job' ? parsed.webhook : null,
      outer,
      endpoint,
      dispatcher,
    });
  }
  const writer = parsed.dialect.createWriter();
  const results = executeBatch({
    options,
    inFlight: state.inFlight,
    dispatcher,
    entries,
    requests,
    context,
    signal: outer.signal,
    abortRunning: true,
    deadlineMs: options.batchTimeoutMs,
  });
  return {
    status: 200,
    headers: { ...JSON_HEADERS, 'content-type': writer.contentType },
    body: streamAnswer(results, entries, writer, options),
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
    throw new BatchError('batch.unsupported_media_type', 'Send the items as application/json.');
  }
  refuseEncoding(outer);
  const entries = parseBulkItems(await readJsonBody(outer.body, options), resource, options);
  const { context, endpoint } = contextFor(state, outer, relativePath, true);
  const requests = prepareBatch(entries, context, options);
  return state.jobs.submit({
    format: bulkFormat,
    entries,
    requests,
    context,
    webhook: null,
    outer,
    // `Location` points under the batch endpoint, at the same mount: `/process/x` → `/batch/{id}`.
    endpoint,
    dispatcher,
  });
}
