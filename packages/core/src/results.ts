import type { BatchError } from './errors.js';
import { reasonPhrase } from './http-grammar.js';
import type { OperationResult } from './operation.js';

/** The slot answer for an operation inbatch refused or could not complete. */
export function errorResult(error: BatchError): OperationResult {
  return {
    status: error.status,
    statusText: reasonPhrase(error.status),
    headers: [
      ['Content-Type', 'application/json; charset=utf-8'],
      ['Cache-Control', 'no-store'],
    ],
    body: Buffer.from(JSON.stringify(error.toBody())),
    error,
  };
}
