import { BatchError } from '../errors.js';
import type { BatchEntry, InnerRequest } from '../operation.js';
import { PARSER_LIMITS, type ResolvedOptions } from '../options.js';
import { isToken } from '../http-grammar.js';
import { checkHeaderFields, mergeHeaders } from '../policy/headers.js';
import { applyOuterQuery } from '../policy/query.js';
import { checkQueryCaps } from '../policy/query-caps.js';
import { checkTarget, isAtOrBelow } from '../policy/target.js';
import type { BatchContext } from './context.js';

// Methods whose requests carry a body; an empty one still says `Content-Length: 0`,
// as a real client would, so body parsers see "a body, empty" rather than "no body".
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** A request, or its slot refusal, per operation; cleared as each one is dispatched (jobs). */
export type PreparedRequests = Array<InnerRequest | BatchError | undefined>;

function refuseMethod(method: string, options: ResolvedOptions): never {
  throw new BatchError(
    'batch.part.method',
    `Method ${JSON.stringify(method)} is not allowed in a batch (allowed: ${[...options.methods].join(', ')}).`,
  );
}

/**
 * Applies every rule to one operation before anything runs; a refusal is located at the
 * operation. The one policy of every dialect, sync or async. When `tally` is given, the
 * operation's load score is added to it.
 */
export function prepareOperation(
  entry: BatchEntry,
  context: BatchContext,
  options: ResolvedOptions,
  tally?: { score: number },
): InnerRequest | BatchError {
  const operation = entry.operation;
  if (entry.refusal !== undefined) return entry.refusal;
  if (operation === undefined) {
    return new BatchError('batch.part.malformed', 'The operation is empty.', { where: entry.where });
  }
  try {
    const { method, body } = operation;
    // The order of the rules is the multipart parser's, for every dialect: the request line's
    // syntax, then the header fields, then policy (one verdict whatever dialect carried it).
    if (!isToken(method)) refuseMethod(method, options);
    checkHeaderFields(operation.headers);
    if (!options.methods.has(method)) refuseMethod(method, options);
    const target = checkTarget(operation.target, PARSER_LIMITS.maxUrlLength);
    // The batch endpoint, its job routes and the bulk endpoint: no batch inside a batch,
    // and no async submit from inside one (THREATS T7).
    if (
      isAtOrBelow(target.path, context.batchPath) ||
      (context.bulkPath !== undefined && isAtOrBelow(target.path, context.bulkPath))
    ) {
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
    const url = applyOuterQuery(target.url, context.query);
    if (options.queryCaps !== undefined) checkQueryCaps(url, options.queryCaps);
    const headers = mergeHeaders(context.headers, operation.headers, options.allowInnerCookie);
    if (body !== undefined) headers['content-length'] = String(body.length);
    else if (BODY_METHODS.has(method)) headers['content-length'] = '0';
    if (tally !== undefined) tally.score += options.loadScores.score(method, target.path);
    return {
      method,
      url,
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

/**
 * Prepares every operation of a batch before the first one runs (THREATS T17), and
 * refuses the whole batch when its load score is over `maxLoadScore` (the operations
 * seed; THREATS T6). Refused operations never run, so they score nothing.
 */
export function prepareBatch(
  entries: readonly BatchEntry[],
  context: BatchContext,
  options: ResolvedOptions,
): PreparedRequests {
  const tally = options.loadScores.active ? { score: 0 } : undefined;
  const requests: PreparedRequests = entries.map((entry) => prepareOperation(entry, context, options, tally));
  if (tally !== undefined && tally.score > options.maxLoadScore) {
    throw new BatchError(
      'batch.cost_exceeded',
      `The batch's load score is ${tally.score}; the maximum is ${options.maxLoadScore} (see GET ${options.path}/limits).`,
      { limit: options.maxLoadScore },
    );
  }
  return requests;
}
