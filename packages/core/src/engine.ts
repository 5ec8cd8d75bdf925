import { parseContentType, type ContentType } from './content-type.js';
import type { Dialect, JsonDialect } from './dialects/dialect.js';
import { jsonDialect } from './dialects/json.js';
import { multipartDialect } from './dialects/multipart.js';
import type { Dispatcher } from './dispatch/inject.js';
import { BatchError, type ErrorLocation } from './errors.js';
import { readBody, type BodyLimits, type BodySource } from './node/body.js';
import type { BatchAnswer, OuterRequest } from './node/http.js';
import type { BatchEntry, InnerRequest, OperationResult } from './operation.js';
import { PARSER_LIMITS, resolveOptions, type BatchOptions, type ResolvedOptions } from './options.js';
import { inheritedHeaders, mergeHeaders, type InheritedHeaders } from './policy/headers.js';
import { applyOuterQuery, outerQueryPairs, type QueryPair } from './policy/query.js';
import { checkTarget, isAtOrBelow, normalizePathForMatch } from './policy/target.js';
import { errorResult } from './results.js';
import { runInOrder, Semaphore } from './scheduler.js';

/** The batch endpoint, framework-free: adapters match the route and hand requests to it. */
export interface BatchEngine {
  readonly options: ResolvedOptions;
  /** Whether a path (relative to where `batch()` is mounted) is the batch endpoint. */
  isBatchPath(path: string): boolean;
  /** Answers one request to the batch endpoint. Never rejects: every failure is an answer. */
  handle(outer: OuterRequest, dispatcher: Dispatcher): Promise<BatchAnswer>;
}

const DIALECTS: readonly Dialect[] = [multipartDialect, jsonDialect];
// Methods whose requests carry a body; an empty one still says `Content-Length: 0`,
// as a real client would, so body parsers see "a body, empty" rather than "no body".
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

/** What every operation of one batch inherits from the outer request; computed once per batch. */
interface BatchContext {
  headers: InheritedHeaders;
  query: QueryPair[];
  /** The batch endpoint's own path from the host root, normalized for matching. */
  batchPath: string;
  remoteAddress: string | undefined;
  encrypted: boolean;
}

function batchContext(outer: OuterRequest): BatchContext {
  const q = outer.url.indexOf('?');
  let path = q === -1 ? outer.url : outer.url.slice(0, q);
  try {
    path = new URL(path, 'http://inbatch.invalid').pathname;
  } catch {
    // keep the raw path
  }
  return {
    headers: inheritedHeaders(outer.headers),
    query: q === -1 ? [] : outerQueryPairs(outer.url.slice(q + 1)),
    batchPath: normalizePathForMatch(path),
    remoteAddress: outer.remoteAddress,
    encrypted: outer.encrypted,
  };
}

/** Applies every rule to one operation before anything runs; a refusal is located at the operation. */
function prepareOperation(
  entry: BatchEntry,
  context: BatchContext,
  options: ResolvedOptions,
): InnerRequest | BatchError {
  const operation = entry.operation;
  if (entry.refusal !== undefined) return entry.refusal;
  if (operation === undefined) {
    return new BatchError('batch.part.malformed', 'The operation is empty.', { where: entry.where });
  }
  try {
    const { method, body } = operation;
    if (!options.methods.has(method)) {
      throw new BatchError(
        'batch.part.method',
        `Method ${JSON.stringify(method)} is not allowed in a batch (allowed: ${[...options.methods].join(', ')}).`,
      );
    }
    const target = checkTarget(operation.target, PARSER_LIMITS.maxUrlLength);
    if (isAtOrBelow(target.path, context.batchPath)) {
      throw new BatchError('batch.part.nested', 'An operation may not target the batch endpoint (no nested batches).');
    }
    if (!options.isAllowed({ method, path: target.path })) {
      throw new BatchError('batch.part.forbidden_path', `Operations may not target ${target.path}.`);
    }
    if (body !== undefined && body.length > options.maxOperationBodyBytes) {
      throw new BatchError(
        'batch.part.too_large',
        `The operation's body is larger than ${options.maxOperationBodyBytes} bytes.`,
        {
          limit: options.maxOperationBodyBytes,
        },
      );
    }
    const headers = mergeHeaders(context.headers, operation.headers);
    if (body !== undefined) headers['content-length'] = String(body.length);
    else if (BODY_METHODS.has(method)) headers['content-length'] = '0';
    return {
      method,
      url: applyOuterQuery(target.url, context.query),
      headers,
      body,
      remoteAddress: context.remoteAddress,
      encrypted: context.encrypted,
    };
  } catch (error) {
    if (error instanceof BatchError) return error.at(entry.where);
    throw error;
  }
}

function errorAnswer(error: unknown, onError: (error: unknown) => void): BatchAnswer {
  let refusal: BatchError;
  if (error instanceof BatchError) {
    refusal = error;
  } else {
    report(onError, error);
    refusal = new BatchError('batch.internal', 'The batch could not be processed.');
  }
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (refusal.code === 'batch.method_not_allowed') headers.allow = 'POST';
  if (refusal.closeConnection) headers.connection = 'close';
  return { status: refusal.status, headers, body: Buffer.from(JSON.stringify(refusal.toBody())) };
}

function report(onError: (error: unknown) => void, error: unknown): void {
  try {
    onError(error);
  } catch {
    // a failing logger must not take the batch down
  }
}

/** Runs a parsed batch and streams its answer, slot by slot, in request order. */
async function* streamAnswer(
  options: ResolvedOptions,
  inFlight: Semaphore,
  outer: OuterRequest,
  dispatcher: Dispatcher,
  entries: readonly BatchEntry[],
  context: BatchContext,
  requests: ReadonlyArray<InnerRequest | BatchError>,
  writer: ReturnType<Dialect['createWriter']>,
): AsyncGenerator<Buffer, void, undefined> {
  const stop = new AbortController();
  let stopReason: 'deadline' | 'cancelled' | undefined;
  const halt = (reason: 'deadline' | 'cancelled'): void => {
    stopReason ??= reason;
    stop.abort();
  };
  const onDisconnect = (): void => halt('cancelled');
  outer.signal.addEventListener('abort', onDisconnect, { once: true });
  if (outer.signal.aborted) halt('cancelled');
  const deadline = setTimeout(() => halt('deadline'), options.batchTimeoutMs);

  const dispatchOne = (request: InnerRequest, where: ErrorLocation): Promise<OperationResult> =>
    new Promise((resolve) => {
      const control = new AbortController();
      let settled = false;
      const finish = (result: OperationResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stop.signal.removeEventListener('abort', onStop);
        resolve(result);
      };
      const timedOut = (message: string, limit: number): OperationResult =>
        errorResult(new BatchError('batch.part.timeout', message, { where, limit }));
      const timer = setTimeout(() => {
        finish(timedOut(`The operation did not answer within ${options.timeoutMs} ms.`, options.timeoutMs));
        control.abort();
      }, options.timeoutMs);
      const onStop = (): void => {
        finish(
          timedOut(
            stopReason === 'deadline'
              ? `The batch ran out of time (${options.batchTimeoutMs} ms) before this operation answered.`
              : 'The batch was cancelled before this operation answered.',
            options.batchTimeoutMs,
          ),
        );
        control.abort();
      };
      stop.signal.addEventListener('abort', onStop, { once: true });
      dispatcher(request, { signal: control.signal, maxResponseBytes: options.maxResponseBytes }).then(
        finish,
        (error: unknown) => {
          if (!(error instanceof BatchError)) report(options.onError, error);
          const failure =
            error instanceof BatchError
              ? error
              : new BatchError('batch.part.dispatch_failed', 'The operation failed inside the app.', { cause: error });
          finish(errorResult(failure.at(where)));
        },
      );
    });

  // Answers that later operations depend on (for 424s and references), kept until the end.
  const kept: Array<OperationResult | undefined> = [];
  const isDependency = new Uint8Array(entries.length);
  for (const entry of entries) for (const dep of entry.dependsOn ?? []) isDependency[dep] = 1;

  const run = (index: number): Promise<OperationResult> => {
    const entry = entries[index] as BatchEntry;
    let request = requests[index] as InnerRequest | BatchError;
    if (request instanceof BatchError) return Promise.resolve(errorResult(request));
    for (const dep of entry.dependsOn ?? []) {
      const answer = kept[dep];
      if (answer === undefined || answer.status >= 400) {
        const name = (entries[dep] as BatchEntry).where.operationId ?? `operation ${dep + 1}`;
        const outcome = answer === undefined ? 'did not run' : `answered ${answer.status}`;
        return Promise.resolve(
          errorResult(
            new BatchError('batch.part.dependency_failed', `This operation depends on "${name}", which ${outcome}.`, {
              where: entry.where,
            }),
          ),
        );
      }
    }
    if (entry.resolve !== undefined) {
      try {
        request = prepareOperation({ ...entry, operation: entry.resolve((dep) => kept[dep]) }, context, options);
      } catch (error) {
        if (!(error instanceof BatchError)) throw error;
        request = error.at(entry.where);
      }
      if (request instanceof BatchError) return Promise.resolve(errorResult(request));
    }
    return dispatchOne(request, entry.where);
  };
  const task = (index: number): Promise<OperationResult> =>
    run(index).then((result) => {
      if (isDependency[index] === 1) kept[index] = result;
      return result;
    });
  const notStarted = (index: number): OperationResult =>
    errorResult(
      new BatchError(
        'batch.part.not_started',
        stopReason === 'deadline'
          ? `The batch ran out of time (${options.batchTimeoutMs} ms) before this operation started.`
          : 'The batch was cancelled before this operation started.',
        { where: (entries[index] as BatchEntry).where },
      ),
    );

  try {
    yield writer.head();
    let index = 0;
    let total = 0;
    const results = runInOrder(entries.length, task, notStarted, {
      concurrency: options.concurrency,
      inFlight,
      signal: stop.signal,
      dependsOn: entries.map((entry) => entry.dependsOn),
    });
    for await (let result of results) {
      const entry = entries[index] as BatchEntry;
      total += result.body.length;
      if (total > options.maxTotalResponseBytes && result.error === undefined) {
        total -= result.body.length;
        result = errorResult(
          new BatchError(
            'batch.part.response_too_large',
            `The batch's answers reached ${options.maxTotalResponseBytes} bytes in all; this answer was withheld.`,
            { where: entry.where, limit: options.maxTotalResponseBytes },
          ),
        );
      }
      yield writer.slot(entry, result, index);
      index++;
    }
    yield writer.tail();
  } finally {
    clearTimeout(deadline);
    outer.signal.removeEventListener('abort', onDisconnect);
    halt('cancelled');
  }
}

/** The 1-based line of a JSON syntax error, from the position in V8's message. */
function jsonErrorLine(text: string, error: unknown): number | undefined {
  const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
  if (position === undefined) return undefined;
  let line = 1;
  for (let i = 0; i < Number(position) && i < text.length; i++) if (text.charCodeAt(i) === 0x0a) line++;
  return line;
}

/** Reads the body the way the dialect needs it and parses the batch. */
async function parseBatch(
  candidates: readonly Dialect[],
  contentType: ContentType,
  source: BodySource,
  options: ResolvedOptions,
): Promise<{ dialect: Dialect; entries: BatchEntry[] }> {
  const limits: BodyLimits = { maxBytes: options.maxBodyBytes, timeoutMs: options.bodyTimeoutMs };
  const first = candidates[0] as Dialect;
  if (first.input === 'bytes') {
    return { dialect: first, entries: first.parse(await readBody(source, limits), contentType, options) };
  }
  let value: unknown;
  if (source.kind === 'parsed') {
    value = source.value; // a JSON body parser mounted before batch() already did the work
  } else {
    // The byte cap applies before JSON.parse: parsing is where a big body costs (THREATS V10).
    const text = (await readBody(source, limits)).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch (error) {
      const line = jsonErrorLine(text, error);
      throw new BatchError(
        'batch.malformed',
        `The body is not valid JSON: ${error instanceof Error ? error.message : String(error)}.`,
        { where: line === undefined ? {} : { line } },
      );
    }
  }
  const dialect = candidates.find(
    (candidate): candidate is JsonDialect => candidate.input === 'json' && candidate.claims(value),
  );
  if (dialect === undefined) {
    throw new BatchError('batch.malformed', 'A JSON batch is an object with a "requests" array.');
  }
  return { dialect, entries: dialect.parse(value, options) };
}

async function handleBatch(
  options: ResolvedOptions,
  inFlight: Semaphore,
  outer: OuterRequest,
  dispatcher: Dispatcher,
): Promise<BatchAnswer> {
  try {
    if (outer.isInner) {
      throw new BatchError('batch.part.nested', 'An operation may not target the batch endpoint (no nested batches).');
    }
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
    const encoding = outer.headers['content-encoding'];
    if (outer.body.kind === 'stream' && encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new BatchError(
        'batch.unsupported_encoding',
        `Content-Encoding ${JSON.stringify(encoding)} is not accepted; send the batch uncompressed.`,
        {
          closeConnection: true,
        },
      );
    }
    const { dialect, entries } = await parseBatch(candidates, contentType, outer.body, options);
    if (entries.length === 0) throw new BatchError('batch.empty', 'The batch has no operations.');

    // Every rule runs on every operation before the first one runs (THREATS T17).
    const context = batchContext(outer);
    const requests = entries.map((entry) => prepareOperation(entry, context, options));
    const writer = dialect.createWriter();
    return {
      status: 200,
      headers: { ...JSON_HEADERS, 'content-type': writer.contentType },
      body: streamAnswer(options, inFlight, outer, dispatcher, entries, context, requests, writer),
    };
  } catch (error) {
    return errorAnswer(error, options.onError);
  }
}

/** Builds the engine once, at mount time: options are checked and precomputed here. */
export function createBatchEngine(options?: BatchOptions): BatchEngine {
  const resolved = resolveOptions(options);
  const inFlight = new Semaphore(resolved.maxInFlight);
  return {
    options: resolved,
    isBatchPath: (path) => normalizePathForMatch(path) === resolved.matchPath,
    handle: (outer, dispatcher) => handleBatch(resolved, inFlight, outer, dispatcher),
  };
}
