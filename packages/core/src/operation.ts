import type { BatchError, ErrorLocation } from './errors.js';

/** One header field as written, in order; a name may appear more than once. */
export type HeaderField = readonly [name: string, value: string];

/** An inner request as a dialect read it off the wire, before any policy ran. */
export interface RawOperation {
  method: string;
  /** The request target as written (checked later by the engine). */
  target: string;
  /** The operation's own header fields; names in lower case. */
  headers: readonly HeaderField[];
  /** The inner request body, or undefined when there is none. */
  body: Buffer | undefined;
}

/**
 * One slot of a parsed batch: either an operation to run or a refusal found while
 * parsing, plus what the dialect needs to write this slot's answer.
 */
export interface BatchEntry<Meta = unknown> {
  /** Where the operation is, for error messages. */
  where: ErrorLocation;
  /** Dialect data carried to the serializer (e.g. the multipart Content-ID). */
  meta: Meta;
  operation?: RawOperation;
  refusal?: BatchError;
  /** Indices of the operations this one waits for; it runs only if they all answered < 400. */
  dependsOn?: readonly number[];
  /**
   * Builds the operation from its dependencies' answers (references), just before it runs;
   * throws a `BatchError` when it can't. `operation` is then the version checked up front.
   */
  resolve?: (answerOf: (index: number) => OperationResult | undefined) => RawOperation;
}

/** An inner request ready for the dispatcher: policy applied, outer headers and query inherited. */
export interface InnerRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** The outer client's address, so `req.ip` reads as it did for the batch. */
  remoteAddress: string | undefined;
  /** Whether the outer request came over TLS, so `req.secure` reads as it did for the batch. */
  encrypted: boolean;
}

/** What the app answered to one inner request. */
export interface InnerResponse {
  status: number;
  /** The reason phrase the app used (or the standard one). */
  statusText: string;
  /** The answer's own header fields, as the app set them (names keep their case). */
  headers: HeaderField[];
  body: Buffer;
}

/** The answer written into one slot: the app's answer, or inbatch's refusal of the operation. */
export interface OperationResult extends InnerResponse {
  /** Set when inbatch answered this slot itself. */
  error?: BatchError;
}
