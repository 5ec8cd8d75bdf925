import { compileBulkResources, type BulkResource, type CompiledBulkResource } from './dialects/bulk-rules.js';
import { DISPATCHER_KINDS, type DispatcherKind } from './dispatch/dispatcher.js';
import { loadLightMyRequest } from './dispatch/light-my-request.js';
import type { JobSummary } from './jobs/job.js';
import { createMemoryJobStore } from './jobs/memory-store.js';
import { compileOwner, type OwnerFacts, type OwnerRule } from './jobs/owner.js';
import type { JobStore } from './jobs/store.js';
import { compileLoadScores, type LoadScoreRule, type LoadScores } from './policy/load-score.js';
import { compileQueryCaps, type CompiledQueryCaps, type QueryCaps } from './policy/query-caps.js';
import { checkOptionNames } from './option-names.js';
import { normalizePathForMatch } from './policy/target.js';
import { defaultBufferedBytes } from './engine/budget.js';

/** What an `allow` rule sees of an inner request. */
export interface InnerTarget {
  /** The upper-case method. */
  method: string;
  /** The normalized path (percent-encoding as the router will see it, no query). */
  path: string;
}

/**
 * Which paths inner requests may target: path prefixes (matched on whole segments,
 * case-insensitively, as Express and Koa routers match), regular expressions tested
 * against the path, or a function.
 */
export type AllowRule = ReadonlyArray<string | RegExp> | ((target: InnerTarget) => boolean);

/** Options of `batch()`, shared by the Express and Koa adapters. */
export interface BatchOptions {
  /**
   * The path of the batch endpoint, relative to where `batch()` is mounted.
   * @default '/batch'
   */
  path?: string;
  /**
   * The most operations one batch may carry; more refuses the whole batch
   * (`batch.too_many_operations`).
   * @default 1000
   */
  maxOperations?: number;
  /**
   * The most bytes the outer request body may have (`batch.too_large`).
   * @default 4194304 (4 MiB)
   */
  maxBodyBytes?: number;
  /**
   * The most bytes one inner request body may have (`batch.part.too_large` in its slot).
   * @default 1048576 (1 MiB)
   */
  maxOperationBodyBytes?: number;
  /**
   * The most bytes one inner answer's body may have; a larger answer is cut off and
   * its slot answers `batch.part.response_too_large`.
   * @default 1048576 (1 MiB)
   */
  maxResponseBytes?: number;
  /**
   * The most bytes of inner answers one batch may return in all; operations that
   * would go past it answer `batch.part.response_too_large`.
   * @default 16777216 (16 MiB)
   */
  maxTotalResponseBytes?: number;
  /**
   * How long one operation may run before its slot answers `504 batch.part.timeout`.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * How long a whole batch may run; operations not started by then answer
   * `batch.part.not_started`, those still running `batch.part.timeout`.
   * @default 60000
   */
  batchTimeoutMs?: number;
  /**
   * How long the client may take to send the outer body (`408 batch.body_timeout`).
   * @default 30000
   */
  bodyTimeoutMs?: number;
  /**
   * Inner requests of one batch in flight at once. `1` runs them strictly in order;
   * execution order is promised only then. Answers always come back in request order.
   * @default 8
   */
  concurrency?: number;
  /**
   * Inner requests in flight at once across all batches served by this middleware.
   * @default 64
   */
  maxInFlight?: number;
  /**
   * Batches this middleware serves at once (reading their bodies or answering); one more
   * is refused before its body is read (`503 batch.busy`, with `Retry-After`).
   * @default 4 × maxInFlight ÷ concurrency (32)
   */
  maxConcurrentBatches?: number;
  /**
   * Bytes all batches of this middleware may buffer at once: each reserves its outer body
   * (`Content-Length`, else `maxBodyBytes`) plus its answer high-water mark (1 MiB, or
   * `maxTotalResponseBytes` when smaller) before its body is read; a batch that would go
   * past it is refused (`503 batch.busy`).
   * @default 16 × (maxBodyBytes + 1 MiB) (83886080, 80 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * How long writing the outer answer may stall (the client takes no bytes); the whole
   * answer must also be written within `batchTimeoutMs + writeTimeoutMs`. Then the
   * connection is closed and the batch stops.
   * @default 60000
   */
  writeTimeoutMs?: number;
  /**
   * Which paths inner requests may target. The batch endpoint itself is always refused.
   * @default undefined (every path but the batch endpoint)
   */
  allow?: AllowRule;
  /**
   * Methods inner requests may use (`batch.part.method` otherwise).
   * @default ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
   */
  methods?: readonly string[];
  /**
   * Let an operation's own `Cookie` header replace the outer one for that operation. Off by
   * default, so one batch acts as one browser session (THREATS T20); an operation's own
   * `Authorization` always wins, as the seed says.
   * @default false
   */
  allowInnerCookie?: boolean;
  /**
   * How inner requests run through the app: `'fast'`, inbatch's own request/response
   * objects, or `'light-my-request'`, the reference injector the fast one is tested
   * against (a switch for comparing the two). When not given, the environment variable
   * `INBATCH_DISPATCHER` (`fast` or `light-my-request`) decides.
   * @default 'fast'
   */
  dispatcher?: DispatcherKind;
  /**
   * Called with errors that are the library's fault or the app's misconfiguration
   * (the client only sees a generic 500).
   * @default logs with console.error
   */
  onError?: (error: unknown) => void;
  /**
   * Load scores of inner requests by method and endpoint pattern, published at
   * `GET {path}/limits`. A batch (sync or async) whose operations score more than
   * `maxLoadScore` in all is refused whole (`413 batch.cost_exceeded`).
   * @default [] (every request scores `defaultLoadScore`)
   */
  loadScores?: readonly LoadScoreRule[];
  /**
   * The score of an inner request no `loadScores` rule matches. 0 makes unlisted requests
   * free (the seed's FREE requests) and keeps the sync limit of 1000 operations reachable.
   * @default 0
   */
  defaultLoadScore?: number;
  /**
   * The most a batch's operations may score in all (the operations seed's `maxLoadScore`).
   * @default 100
   */
  maxLoadScore?: number;
  /**
   * Query parameters capped inside batches, name → largest value (the operations seed caps
   * `perPage` at 100); an operation over a cap is refused in its slot (`batch.part.query_limit`).
   * @default undefined (no caps)
   */
  queryCaps?: QueryCaps;
  /**
   * How long a finished job's status document is kept (`GET {path}/{id}`); afterwards
   * it answers `410 batch.job_expired`, pointing at the files (the seed: 1 hour).
   * @default 3600000 (1 h)
   */
  statusTtlMs?: number;
  /**
   * How long a finished job's files (`/jsonl`, `/gz`, `/result`) are kept; the job is
   * deleted then (the seed: 24 hours). At least `statusTtlMs`.
   * @default 86400000 (24 h)
   */
  resultTtlMs?: number;
  /**
   * How long an async job may run; operations not started by then answer
   * `batch.part.not_started`, those still running `batch.part.timeout` (Salesforce: 10 min).
   * @default 600000 (10 min)
   */
  jobTimeoutMs?: number;
  /**
   * One pending or running job per owner: a second submit is refused with
   * `409 batch.owner_busy` and the running job's id (the operations seed's rule).
   * @default true
   */
  oneJobPerOwner?: boolean;
  /**
   * Who a job belongs to, from the outer request. Only the owner may read, download or
   * cancel it; the value is hashed before use. Return undefined to use the default.
   * @default SHA-256 of Authorization and Cookie, else the client address
   */
  owner?: OwnerRule;
  /**
   * Where async jobs are kept.
   * @default createMemoryJobStore() (this process only; 10 000 jobs, 256 MiB of answers)
   */
  store?: JobStore;
  /**
   * The bulk endpoint's base path, relative to where `batch()` is mounted: items are sent
   * with `PATCH {bulkPath}/{resource}` (the bulk seed's `/process/masterlist`). Served
   * only when `bulk` names at least one resource.
   * @default '/process'
   */
  bulkPath?: string;
  /**
   * The bulk resources: each maps an item of the JSON array to one inner request.
   * @default undefined (no bulk endpoint)
   */
  bulk?: Readonly<Record<string, BulkResource>>;
  /**
   * Items one bulk request may carry (the bulk seed: 100); more is refused whole.
   * @default 100
   */
  maxBulkItems?: number;
  /**
   * Called once a job has ended, with its summary and webhook block (`email` is handed
   * here: the library sends no mail). Errors go to `onError`.
   * @default undefined
   */
  onComplete?: (job: JobSummary) => void | Promise<void>;
  /**
   * Signs webhook calls: `X-Inbatch-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`
   * with `X-Inbatch-Timestamp: <unix seconds>`.
   * @default undefined (unsigned)
   */
  webhookSecret?: string;
  /**
   * Accept `http:` callback URLs (otherwise only `https:`).
   * @default false
   */
  webhookAllowHttp?: boolean;
  /**
   * Accept callback URLs that resolve to loopback or private addresses (127/8, ::1, 10/8,
   * 172.16/12, 192.168/16, 100.64/10, fc00::/7). Link-local, metadata, multicast and
   * reserved addresses are refused even then.
   * @default false
   */
  webhookAllowPrivate?: boolean;
  /**
   * Ports a callback URL may use.
   * @default [443, 8443]
   */
  webhookPorts?: readonly number[];
  /**
   * Delays before each retry of a failed webhook call (so attempts = length + 1); each is
   * jittered by ±20 %. A call fails on a network error, a timeout, a redirect, or a status
   * other than 2xx; 4xx other than 408 and 429 are not retried.
   * @default [1000, 5000, 30000, 120000]
   */
  webhookRetryDelaysMs?: readonly number[];
  /**
   * How long one webhook call may take, connection included.
   * @default 10000
   */
  webhookTimeoutMs?: number;
}

/** The defaults, in one place. */
export const DEFAULTS = {
  path: '/batch',
  maxOperations: 1000,
  maxBodyBytes: 4 * 1024 * 1024,
  maxOperationBodyBytes: 1024 * 1024,
  maxResponseBytes: 1024 * 1024,
  maxTotalResponseBytes: 16 * 1024 * 1024,
  timeoutMs: 30_000,
  batchTimeoutMs: 60_000,
  bodyTimeoutMs: 30_000,
  concurrency: 8,
  maxInFlight: 64,
  maxConcurrentBatches: 32,
  maxBufferedBytes: 80 * 1024 * 1024,
  writeTimeoutMs: 60_000,
  methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  allowInnerCookie: false,
  dispatcher: 'fast',
  defaultLoadScore: 0,
  maxLoadScore: 100,
  statusTtlMs: 60 * 60 * 1000,
  resultTtlMs: 24 * 60 * 60 * 1000,
  jobTimeoutMs: 10 * 60 * 1000,
  oneJobPerOwner: true,
  bulkPath: '/process',
  maxBulkItems: 100,
  webhookAllowHttp: false,
  webhookAllowPrivate: false,
  webhookPorts: [443, 8443],
  webhookRetryDelaysMs: [1000, 5000, 30000, 120000],
  webhookTimeoutMs: 10_000,
} as const;

/** The options that have no scalar default (functions, rule lists, the store); with `DEFAULTS`, every option. */
export const OPTIONS_WITHOUT_DEFAULT = [
  'allow',
  'onError',
  'loadScores',
  'queryCaps',
  'owner',
  'store',
  'bulk',
  'onComplete',
  'webhookSecret',
] as const satisfies ReadonlyArray<keyof BatchOptions>;

// Compile-time check that DEFAULTS and OPTIONS_WITHOUT_DEFAULT together name every option.
type Unlisted = Exclude<keyof BatchOptions, keyof typeof DEFAULTS | (typeof OPTIONS_WITHOUT_DEFAULT)[number]>;
const everyOptionListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyOptionListed;

/** Every option name of `batch()`: a name outside it is refused as a likely typo. */
const OPTION_NAMES: readonly string[] = [...Object.keys(DEFAULTS), ...OPTIONS_WITHOUT_DEFAULT];

/** Fixed caps of the multipart parser (THREATS T2/T3); not options, documented in the README. */
export const PARSER_LIMITS = {
  /** One header line of a part or of its nested request. */
  maxHeaderLineBytes: 8 * 1024,
  /** All header lines of one part, MIME headers and nested request headers together. */
  maxPartHeaderBytes: 16 * 1024,
  /** Header fields per part. */
  maxHeadersPerPart: 64,
  /** The inner request target (Google Drive's limit for inner URLs). */
  maxUrlLength: 8000,
  /** Text before the first delimiter and after the closing one. */
  maxPreambleBytes: 64 * 1024,
  /** Boundary length (RFC 2046 §5.1.1). */
  maxBoundaryLength: 70,
} as const;

/** Options after validation, with what every request reuses computed once. */
export interface ResolvedOptions {
  path: string;
  /** `path` as the matcher compares it: lower case, no trailing slash. */
  matchPath: string;
  maxOperations: number;
  maxBodyBytes: number;
  maxOperationBodyBytes: number;
  maxResponseBytes: number;
  maxTotalResponseBytes: number;
  timeoutMs: number;
  batchTimeoutMs: number;
  bodyTimeoutMs: number;
  concurrency: number;
  maxInFlight: number;
  maxConcurrentBatches: number;
  maxBufferedBytes: number;
  writeTimeoutMs: number;
  isAllowed: (target: InnerTarget) => boolean;
  allowInnerCookie: boolean;
  dispatcher: DispatcherKind;
  methods: ReadonlySet<string>;
  onError: (error: unknown) => void;
  loadScores: LoadScores;
  defaultLoadScore: number;
  maxLoadScore: number;
  queryCaps: CompiledQueryCaps;
  statusTtlMs: number;
  resultTtlMs: number;
  jobTimeoutMs: number;
  oneJobPerOwner: boolean;
  /** The owner key (a hash) of an outer request. */
  ownerOf: (request: OwnerFacts) => string;
  store: JobStore;
  bulkPath: string;
  /** `bulkPath` as the matcher compares it. */
  bulkMatchPath: string;
  /** Resources by lower-case name; undefined when no bulk endpoint is served. */
  bulk: ReadonlyMap<string, CompiledBulkResource> | undefined;
  maxBulkItems: number;
  onComplete: ((job: JobSummary) => void | Promise<void>) | undefined;
  webhook: ResolvedWebhookOptions;
}

/** The webhook options, checked. */
export interface ResolvedWebhookOptions {
  secret: string | undefined;
  allowHttp: boolean;
  allowPrivate: boolean;
  ports: ReadonlySet<number>;
  retryDelaysMs: readonly number[];
  timeoutMs: number;
}

/** A value as an option error shows it: `NaN` and `Infinity` as such, not as JSON's `null`. */
function shown(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? typeof value;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`inbatch: option "${name}" must be a positive integer, got ${shown(value)}`);
  }
  return value;
}

function nonNegativeInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`inbatch: option "${name}" must be a non-negative integer, got ${shown(value)}`);
  }
  return value;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`inbatch: option "${name}" must be true or false`);
  return value;
}

function basePath(name: string, value: string | undefined, fallback: string): string {
  // Only undefined means "the default": a null is a mistake worth saying so.
  const path: unknown = value === undefined ? fallback : value;
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?') || path.includes('#')) {
    throw new TypeError(
      `inbatch: option "${name}" must be a path starting with "/", got ${typeof path === 'string' ? path : shown(path)}`,
    );
  }
  return path;
}

/**
 * The dispatcher: the option, else `INBATCH_DISPATCHER` (so a whole test suite can run
 * through the reference dispatcher), else the default. Read once, at mount time.
 */
function resolveDispatcher(value: unknown): DispatcherKind {
  const fromEnv = process.env.INBATCH_DISPATCHER;
  const [source, chosen] =
    value !== undefined
      ? ['option "dispatcher"', value]
      : fromEnv !== undefined && fromEnv !== ''
        ? ['environment variable INBATCH_DISPATCHER', fromEnv]
        : ['', DEFAULTS.dispatcher];
  if (!(DISPATCHER_KINDS as readonly unknown[]).includes(chosen)) {
    throw new TypeError(
      `inbatch: ${source} must be ${DISPATCHER_KINDS.map((kind) => `"${kind}"`).join(' or ')}, got ${shown(chosen)}`,
    );
  }
  // An optional peer dependency: a missing one is said at mount, not at the first batch.
  if (chosen === 'light-my-request') loadLightMyRequest();
  return chosen as DispatcherKind;
}

function resolveWebhook(options: BatchOptions): ResolvedWebhookOptions {
  const secret = options.webhookSecret;
  if (secret !== undefined && (typeof secret !== 'string' || secret === '')) {
    throw new TypeError('inbatch: option "webhookSecret" must be a non-empty string');
  }
  const ports = options.webhookPorts ?? DEFAULTS.webhookPorts;
  if (!Array.isArray(ports) || ports.some((port) => !Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new TypeError('inbatch: option "webhookPorts" must be an array of port numbers');
  }
  const delays = options.webhookRetryDelaysMs ?? DEFAULTS.webhookRetryDelaysMs;
  if (!Array.isArray(delays) || delays.length > 10 || delays.some((delay) => !Number.isInteger(delay) || delay < 0)) {
    throw new TypeError('inbatch: option "webhookRetryDelaysMs" must be an array of at most 10 delays in ms');
  }
  return {
    secret,
    allowHttp: flag('webhookAllowHttp', options.webhookAllowHttp, DEFAULTS.webhookAllowHttp),
    allowPrivate: flag('webhookAllowPrivate', options.webhookAllowPrivate, DEFAULTS.webhookAllowPrivate),
    ports: new Set(ports),
    retryDelaysMs: [...(delays as readonly number[])],
    timeoutMs: positiveInteger('webhookTimeoutMs', options.webhookTimeoutMs, DEFAULTS.webhookTimeoutMs),
  };
}

function resolveStore(store: unknown): JobStore {
  if (store === undefined) return createMemoryJobStore();
  const methods = ['create', 'findByIdempotencyKey', 'start', 'record', 'finish', 'read', 'cancel', 'expire', 'watch'];
  if (
    store === null ||
    typeof store !== 'object' ||
    methods.some((name) => typeof (store as Record<string, unknown>)[name] !== 'function')
  ) {
    throw new TypeError(`inbatch: option "store" must be a JobStore (${methods.join(', ')})`);
  }
  return store as JobStore;
}

function compileAllow(rule: AllowRule | undefined): (target: InnerTarget) => boolean {
  if (rule === undefined) return () => true;
  if (typeof rule === 'function') return rule;
  if (!Array.isArray(rule)) {
    throw new TypeError('inbatch: option "allow" must be an array of path prefixes/RegExps or a function');
  }
  const prefixes: string[] = [];
  const patterns: RegExp[] = [];
  for (const entry of rule as ReadonlyArray<unknown>) {
    if (typeof entry === 'string' && entry.startsWith('/')) prefixes.push(normalizePathForMatch(entry));
    else if (entry instanceof RegExp) patterns.push(entry);
    else
      throw new TypeError(`inbatch: "allow" entries must be paths starting with "/" or RegExps, got ${String(entry)}`);
  }
  return ({ path }) => {
    const candidate = normalizePathForMatch(path);
    for (const prefix of prefixes) {
      if (prefix === '' || candidate === prefix || candidate.startsWith(`${prefix}/`)) return true;
    }
    for (const pattern of patterns) {
      pattern.lastIndex = 0;
      if (pattern.test(path)) return true;
    }
    return false;
  };
}

/** Checks options once, at mount time, and throws a `TypeError` naming the bad one. */
export function resolveOptions(options: BatchOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('inbatch: options must be an object');
  }
  checkOptionNames('batch()', options, OPTION_NAMES);
  const path = basePath('path', options.path, DEFAULTS.path);
  const bulkPath = basePath('bulkPath', options.bulkPath, DEFAULTS.bulkPath);
  const methods: unknown = options.methods === undefined ? DEFAULTS.methods : options.methods;
  if (!Array.isArray(methods) || methods.some((m: unknown) => typeof m !== 'string' || !/^[A-Z]+$/.test(m))) {
    throw new TypeError('inbatch: option "methods" must be an array of upper-case method names');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new TypeError('inbatch: option "onError" must be a function');
  }
  const forbidden = ['CONNECT', 'TRACE'].filter((m) => (methods as string[]).includes(m));
  if (forbidden.length > 0) {
    throw new TypeError(`inbatch: option "methods" may not include ${forbidden.join(', ')}`);
  }
  if (options.onComplete !== undefined && typeof options.onComplete !== 'function') {
    throw new TypeError('inbatch: option "onComplete" must be a function');
  }
  const statusTtlMs = positiveInteger('statusTtlMs', options.statusTtlMs, DEFAULTS.statusTtlMs);
  const resultTtlMs = positiveInteger('resultTtlMs', options.resultTtlMs, DEFAULTS.resultTtlMs);
  if (resultTtlMs < statusTtlMs) {
    throw new TypeError('inbatch: option "resultTtlMs" must be at least "statusTtlMs" (files outlive the status)');
  }
  const defaultLoadScore = nonNegativeInteger('defaultLoadScore', options.defaultLoadScore, DEFAULTS.defaultLoadScore);
  const bulk = compileBulkResources(options.bulk);
  const maxBodyBytes = positiveInteger('maxBodyBytes', options.maxBodyBytes, DEFAULTS.maxBodyBytes);
  const maxTotalResponseBytes = positiveInteger(
    'maxTotalResponseBytes',
    options.maxTotalResponseBytes,
    DEFAULTS.maxTotalResponseBytes,
  );
  const concurrency = positiveInteger('concurrency', options.concurrency, DEFAULTS.concurrency);
  const maxInFlight = positiveInteger('maxInFlight', options.maxInFlight, DEFAULTS.maxInFlight);
  const matchPath = normalizePathForMatch(path);
  const bulkMatchPath = normalizePathForMatch(bulkPath);
  if (bulk !== undefined && (bulkMatchPath === matchPath || bulkMatchPath === '')) {
    throw new TypeError('inbatch: option "bulkPath" must differ from "path" and from "/"');
  }
  return {
    path,
    matchPath,
    maxOperations: positiveInteger('maxOperations', options.maxOperations, DEFAULTS.maxOperations),
    maxBodyBytes,
    maxOperationBodyBytes: positiveInteger(
      'maxOperationBodyBytes',
      options.maxOperationBodyBytes,
      DEFAULTS.maxOperationBodyBytes,
    ),
    maxResponseBytes: positiveInteger('maxResponseBytes', options.maxResponseBytes, DEFAULTS.maxResponseBytes),
    maxTotalResponseBytes,
    timeoutMs: positiveInteger('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs),
    batchTimeoutMs: positiveInteger('batchTimeoutMs', options.batchTimeoutMs, DEFAULTS.batchTimeoutMs),
    bodyTimeoutMs: positiveInteger('bodyTimeoutMs', options.bodyTimeoutMs, DEFAULTS.bodyTimeoutMs),
    concurrency,
    maxInFlight,
    // Derived from the per-batch limits when not given (equal to DEFAULTS at their defaults).
    maxConcurrentBatches: positiveInteger(
      'maxConcurrentBatches',
      options.maxConcurrentBatches,
      Math.max(1, Math.floor((4 * maxInFlight) / concurrency)),
    ),
    maxBufferedBytes: positiveInteger(
      'maxBufferedBytes',
      options.maxBufferedBytes,
      defaultBufferedBytes(maxBodyBytes, maxTotalResponseBytes),
    ),
    writeTimeoutMs: positiveInteger('writeTimeoutMs', options.writeTimeoutMs, DEFAULTS.writeTimeoutMs),
    isAllowed: compileAllow(options.allow),
    methods: new Set(methods as string[]),
    allowInnerCookie: flag('allowInnerCookie', options.allowInnerCookie, DEFAULTS.allowInnerCookie),
    dispatcher: resolveDispatcher(options.dispatcher),
    onError:
      options.onError ??
      ((error: unknown) => {
        console.error('inbatch: unexpected error', error);
      }),
    loadScores: compileLoadScores(options.loadScores, defaultLoadScore),
    defaultLoadScore,
    maxLoadScore: positiveInteger('maxLoadScore', options.maxLoadScore, DEFAULTS.maxLoadScore),
    queryCaps: compileQueryCaps(options.queryCaps),
    statusTtlMs,
    resultTtlMs,
    jobTimeoutMs: positiveInteger('jobTimeoutMs', options.jobTimeoutMs, DEFAULTS.jobTimeoutMs),
    oneJobPerOwner: flag('oneJobPerOwner', options.oneJobPerOwner, DEFAULTS.oneJobPerOwner),
    ownerOf: compileOwner(options.owner),
    store: resolveStore(options.store),
    bulkPath,
    bulkMatchPath,
    bulk,
    maxBulkItems: positiveInteger('maxBulkItems', options.maxBulkItems, DEFAULTS.maxBulkItems),
    onComplete: options.onComplete,
    webhook: resolveWebhook(options),
  };
}
