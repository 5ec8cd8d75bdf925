import { BatchError } from '../errors.js';
import type { BatchAnswer } from '../node/http.js';

/** The headers of every JSON answer inbatch writes itself. */
export const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

/** When a client refused with `batch.busy` may try again: batches take seconds, not minutes. */
export const BUSY_RETRY_AFTER_SECONDS = '5';

/** Hands an unexpected error to `onError`; a failing logger must not take the batch down. */
export function report(onError: (error: unknown) => void, error: unknown): void {
  try {
    onError(error);
  } catch {
    // a failing logger must not take the batch down
  }
}

/** A JSON answer with inbatch's headers. */
export function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): BatchAnswer {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: Buffer.from(JSON.stringify(body)) };
}

/** The answer to a refused request: a `BatchError` as it is, anything else as a generic 500 (details to `onError`). */
export function errorAnswer(error: unknown, onError: (error: unknown) => void): BatchAnswer {
  let refusal: BatchError;
  if (error instanceof BatchError) {
    refusal = error;
  } else {
    report(onError, error);
    refusal = new BatchError('batch.internal', 'The batch could not be processed.');
  }
  const headers: Record<string, string> = {};
  if (refusal.code === 'batch.method_not_allowed') headers.allow = 'POST';
  if (refusal.code === 'batch.overloaded' || refusal.code === 'batch.stream_limit') headers['retry-after'] = '30';
  // A store that can't be reached is usually back within seconds (a failover, a restart).
  if (refusal.code === 'batch.store_unavailable') headers['retry-after'] = '5';
  if (refusal.code === 'batch.busy') headers['retry-after'] = BUSY_RETRY_AFTER_SECONDS;
  if (refusal.closeConnection) headers.connection = 'close';
  return jsonAnswer(refusal.status, refusal.toBody(), headers);
}
