import { normalizePathForMatch } from './policy/target.js';

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
   * Called with errors that are the library's fault or the app's misconfiguration
   * (the client only sees a generic 500).
   * @default logs with console.error
   */
  onError?: (error: unknown) => void;
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
  methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
} as const;

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
  isAllowed: (target: InnerTarget) => boolean;
  methods: ReadonlySet<string>;
  onError: (error: unknown) => void;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(
      `inbatch: option "${name}" must be a positive integer, got ${JSON.stringify(value) ?? typeof value}`,
    );
  }
  return value;
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
  const path = options.path ?? DEFAULTS.path;
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?') || path.includes('#')) {
    throw new TypeError(`inbatch: option "path" must be a path starting with "/", got ${String(path)}`);
  }
  const methods = options.methods ?? DEFAULTS.methods;
  if (!Array.isArray(methods) || methods.some((m) => typeof m !== 'string' || !/^[A-Z]+$/.test(m))) {
    throw new TypeError('inbatch: option "methods" must be an array of upper-case method names');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new TypeError('inbatch: option "onError" must be a function');
  }
  const forbidden = ['CONNECT', 'TRACE'].filter((m) => methods.includes(m));
  if (forbidden.length > 0) {
    throw new TypeError(`inbatch: option "methods" may not include ${forbidden.join(', ')}`);
  }
  return {
    path,
    matchPath: normalizePathForMatch(path),
    maxOperations: positiveInteger('maxOperations', options.maxOperations, DEFAULTS.maxOperations),
    maxBodyBytes: positiveInteger('maxBodyBytes', options.maxBodyBytes, DEFAULTS.maxBodyBytes),
    maxOperationBodyBytes: positiveInteger(
      'maxOperationBodyBytes',
      options.maxOperationBodyBytes,
      DEFAULTS.maxOperationBodyBytes,
    ),
    maxResponseBytes: positiveInteger('maxResponseBytes', options.maxResponseBytes, DEFAULTS.maxResponseBytes),
    maxTotalResponseBytes: positiveInteger(
      'maxTotalResponseBytes',
      options.maxTotalResponseBytes,
      DEFAULTS.maxTotalResponseBytes,
    ),
    timeoutMs: positiveInteger('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs),
    batchTimeoutMs: positiveInteger('batchTimeoutMs', options.batchTimeoutMs, DEFAULTS.batchTimeoutMs),
    bodyTimeoutMs: positiveInteger('bodyTimeoutMs', options.bodyTimeoutMs, DEFAULTS.bodyTimeoutMs),
    concurrency: positiveInteger('concurrency', options.concurrency, DEFAULTS.concurrency),
    maxInFlight: positiveInteger('maxInFlight', options.maxInFlight, DEFAULTS.maxInFlight),
    isAllowed: compileAllow(options.allow),
    methods: new Set(methods),
    onError:
      options.onError ??
      ((error: unknown) => {
        console.error('inbatch: unexpected error', error);
      }),
  };
}
