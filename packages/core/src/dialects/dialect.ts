import type { ContentType } from '../content-type.js';
import type { BatchEntry, OperationResult } from '../operation.js';
import type { ResolvedOptions } from '../options.js';

/** Writes one batch's answer, slot by slot, in request order. */
export interface AnswerWriter<Meta> {
  /** The Content-Type of the whole answer. */
  readonly contentType: string;
  /** Bytes before the first slot. */
  head(): Buffer;
  /** One slot's bytes. `index` is 0-based. */
  slot(entry: BatchEntry<Meta>, result: OperationResult, index: number): Buffer;
  /** Bytes after the last slot. */
  tail(): Buffer;
}

/**
 * A wire format of batches. Dialects only translate between bytes and operations;
 * every rule about what may run (limits, scope, inheritance, scheduling) lives once in
 * the engine.
 */
export interface Dialect<Meta = unknown> {
  readonly name: string;
  /** Whether a request with this Content-Type is written in this dialect. */
  accepts(contentType: ContentType): boolean;
  /** Reads a batch. Throws a whole-batch `BatchError` when the batch can't be read at all. */
  parse(body: Buffer, contentType: ContentType, options: ResolvedOptions): BatchEntry<Meta>[];
  /** A writer for one answer; called once per batch. */
  createWriter(): AnswerWriter<Meta>;
}
