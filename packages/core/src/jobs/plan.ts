import { parseContentType } from '../content-type.js';
import type { DialectSet } from '../dialects/dialect.js';
import type { BatchContext } from '../engine/context.js';
import { prepareBatch, type PreparedRequests } from '../engine/prepare.js';
import { BatchError } from '../errors.js';
import type { BatchEntry } from '../operation.js';
import type { ResolvedOptions } from '../options.js';
import type { JobKind } from './job.js';

/**
 * A job as another process can run it: the batch exactly as it was submitted, and what its
 * operations inherit from the outer request. It is rebuilt by parsing and preparing the
 * batch again with the same options (every instance runs the same app and options), so
 * there is one way to read a batch, not a second serialized form of parsed operations.
 *
 * It holds the outer request's credentials (inherited `Authorization`, `Cookie`, client
 * address): a shared store keeps it encrypted, only while the job is pending or running,
 * and never in a status document or file (THREATS T25).
 */
export interface JobPlanData {
  v: 1;
  kind: JobKind;
  /** multipart: the outer body in base64; the JSON dialects: the body as JSON text. */
  body: string;
  /** multipart: the outer Content-Type (it carries the boundary). */
  contentType?: string;
  /** bulk: the resource name the items were sent to. */
  resource?: string;
  context: BatchContext;
}

/** What a submit knows of its batch to build its plan. */
export interface PlanSource {
  kind: JobKind;
  /** The raw body (multipart) or the parsed JSON value. */
  input: unknown;
  contentType?: string | undefined;
  resource?: string | undefined;
}

/** The plan of a submitted batch, ready to be sealed by a shared store. */
export function planData(source: PlanSource, context: BatchContext): JobPlanData {
  const body = Buffer.isBuffer(source.input) ? source.input.toString('base64') : JSON.stringify(source.input);
  return {
    v: 1,
    kind: source.kind,
    body,
    ...(source.contentType === undefined ? {} : { contentType: source.contentType }),
    ...(source.resource === undefined ? {} : { resource: source.resource }),
    context,
  };
}

/** A plan rebuilt in the process that runs the job. */
export interface RebuiltPlan {
  entries: BatchEntry[];
  requests: PreparedRequests;
  context: BatchContext;
}

function entriesOf(data: JobPlanData, options: ResolvedOptions, dialects: DialectSet): BatchEntry[] {
  if (data.kind === 'bulk') {
    const resource = options.bulk?.get(data.resource ?? '');
    if (resource === undefined) {
      throw new BatchError('batch.unknown_resource', `There is no bulk resource ${JSON.stringify(data.resource)}.`);
    }
    return dialects.bulk.parse(JSON.parse(data.body), resource, options);
  }
  const jobDialect = dialects.jobs.find((dialect) => dialect.name === data.kind);
  if (jobDialect !== undefined) return jobDialect.parse(JSON.parse(data.body), options).entries;
  const dialect = dialects.sync.find((candidate) => candidate.name === data.kind);
  if (dialect?.input === 'json') return dialect.parse(JSON.parse(data.body), options);
  if (dialect?.input === 'bytes') {
    const contentType = parseContentType(data.contentType);
    if (contentType === undefined) throw new BatchError('batch.malformed', 'The stored batch has no Content-Type.');
    return dialect.parse(Buffer.from(data.body, 'base64'), contentType, options);
  }
  throw new BatchError('batch.malformed', `No dialect reads a stored batch of kind ${JSON.stringify(data.kind)}.`);
}

/**
 * Parses and prepares a stored batch again, under the same rules as at submit. Throws a
 * `BatchError` when this process's options no longer accept it (a deploy changed them).
 */
export function rebuildPlan(data: JobPlanData, options: ResolvedOptions, dialects: DialectSet): RebuiltPlan {
  if (data.v !== 1) throw new BatchError('batch.malformed', `Unknown stored plan version ${String(data.v)}.`);
  // JSON loses the null prototype the engine gives inherited headers (a header named
  // `__proto__` must stay a plain key).
  const context: BatchContext = {
    ...data.context,
    headers: Object.assign(Object.create(null) as Record<string, string>, data.context.headers),
  };
  const entries = entriesOf(data, options, dialects);
  return { entries, requests: prepareBatch(entries, context, options), context };
}
