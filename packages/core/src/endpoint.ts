import type { Dispatcher } from './dispatch/dispatcher.js';
import { errorAnswer, jsonAnswer } from './engine/answers.js';
import { mountPrefix, pathOf } from './engine/context.js';
import { BatchBudget } from './engine/budget.js';
import { createRouteFilter, createRouteMatcher, type BatchRoute } from './engine/routes.js';
import { handleBulk, handleSubmit, type EngineState } from './engine/submit.js';
import { BatchError } from './errors.js';
import { bulkFormat, parseBulkItems } from './dialects/bulk.js';
import type { DialectSet } from './dialects/dialect.js';
import { jsonDialect } from './dialects/json.js';
import { multipartDialect } from './dialects/multipart.js';
import { operationsDialect, operationsFormat } from './dialects/operations.js';
import { createJobService } from './jobs/service.js';
import { jsonJobFormat, multipartJobFormat } from './dialects/sync-job-formats.js';
import type { BatchAnswer, OuterRequest } from './node/http.js';
import { resolveOptions, type BatchOptions, type ResolvedOptions } from './options.js';
import { normalizePathForMatch } from './policy/target.js';
import { Semaphore } from './scheduler.js';

/**
 * The composition root: every dialect the endpoint serves, listed once. The engine below
 * knows them only through `DialectSet`; adding a dialect is one entry here and one folder.
 */
export const DIALECTS: DialectSet = {
  sync: [multipartDialect, jsonDialect],
  jobs: [operationsDialect],
  bulk: { parse: parseBulkItems },
  formats: {
    operations: operationsFormat,
    bulk: bulkFormat,
    json: jsonJobFormat,
    multipart: multipartJobFormat,
  },
};

/** The batch endpoint, framework-free: adapters ask `match`, and hand matched requests to `handle`. */
export interface BatchEngine {
  readonly options: ResolvedOptions;
  /**
   * The route a request is for (method, and path relative to where `batch()` is mounted),
   * or undefined: pass it on to the app untouched. The route table lives here, once.
   */
  match(method: string, path: string): BatchRoute | undefined;
  /**
   * A cheap first test for every request (inner ones too): false when a request for this
   * URL (path and query, relative to where `batch()` is mounted) can't be one `match`
   * would find, so the adapter passes it on without building its path.
   */
  mayMatch(url: string): boolean;
  /** Whether a path (relative to where `batch()` is mounted) is the batch endpoint itself. */
  isBatchPath(path: string): boolean;
  /**
   * Answers one request the engine serves. Never rejects: every failure is an answer.
   * Without `route`, the request's own path is matched (`batch()` mounted at the root).
   */
  handle(outer: OuterRequest, dispatcher: Dispatcher, route?: BatchRoute): Promise<BatchAnswer>;
  /**
   * True while the store runs jobs through a shared queue (several processes) that this
   * process does not serve yet. An adapter learns its app from the first request it sees
   * and then calls `serve` once, so this process runs jobs too.
   */
  readonly wantsDispatcher: boolean;
  /** Starts running a shared store's jobs in this process, through the app `dispatcher()` reaches. */
  serve(dispatcher: () => Dispatcher): void;
}

/** `GET {path}/limits`, in the operations seed's shape; `defaultLoadScore` and `queryCaps` are ours. */
function limitsBody(options: ResolvedOptions): unknown {
  return {
    limits: {
      defaultLoadScore: options.defaultLoadScore,
      endpoints: options.loadScores.published,
      maxLoadScore: options.maxLoadScore,
      queryCaps: Object.fromEntries(options.queryCaps ?? []),
    },
  };
}

async function route(
  state: EngineState,
  outer: OuterRequest,
  dispatcher: Dispatcher,
  matched: BatchRoute,
  limits: BatchAnswer,
): Promise<BatchAnswer> {
  // No batch, job read or async submit from inside a batch, whatever path spelling got it
  // here: injected requests carry a mark (THREATS T7).
  if (outer.isInner) {
    throw new BatchError('batch.part.nested', 'An operation may not target the batch endpoint (no nested batches).');
  }
  const endpoint = (): string => mountPrefix(pathOf(outer.url), matched.path) + state.options.path;
  switch (matched.kind) {
    case 'submit':
      return handleSubmit(state, outer, dispatcher, matched.path);
    case 'bulk':
      return handleBulk(state, outer, dispatcher, matched.path, matched.resource);
    case 'limits':
      return limits;
    case 'status':
      return state.jobs.status(outer, matched.id, endpoint());
    case 'file':
      return state.jobs.file(outer, matched.id, matched.file, endpoint());
    case 'cancel':
      return state.jobs.cancel(outer, matched.id, endpoint());
  }
}

/** Builds the engine once, at mount time: options are checked and precomputed here. */
export function createBatchEngine(options?: BatchOptions): BatchEngine {
  const resolved = resolveOptions(options);
  const inFlight = new Semaphore(resolved.maxInFlight);
  const state: EngineState = {
    options: resolved,
    inFlight,
    budget: new BatchBudget(resolved.maxConcurrentBatches, resolved.maxBufferedBytes),
    jobs: createJobService(resolved, inFlight, () => Date.now(), DIALECTS),
    dialects: DIALECTS,
  };
  const match = createRouteMatcher(resolved);
  const limits = limitsBody(resolved);
  const jobs = state.jobs;
  return {
    options: resolved,
    get wantsDispatcher() {
      return jobs.wantsDispatcher;
    },
    serve: (dispatcher) => jobs.serve(dispatcher),
    match,
    mayMatch: createRouteFilter(resolved),
    isBatchPath: (path) => normalizePathForMatch(path) === resolved.matchPath,
    handle: async (outer, dispatcher, matched) => {
      try {
        const path = pathOf(outer.url);
        const found = matched ?? match(outer.method, path) ?? { kind: 'submit', path };
        return await route(state, outer, dispatcher, found, jsonAnswer(200, limits));
      } catch (error) {
        return errorAnswer(error, resolved.onError);
      }
    },
  };
}
