import type { ContentType } from '../content-type.js';
import type { AnswerSink } from '../engine/answer-buffer.js';
import { BatchError } from '../errors.js';
import type { JobFormat } from '../jobs/format.js';
import type { JobKind, JobWebhook } from '../jobs/job.js';
import type { CompiledBulkResource } from './bulk-rules.js';
import type { BatchEntry, OperationResult } from '../operation.js';
import type { ResolvedOptions } from '../options.js';

/** Writes one batch's answer, slot by slot, in request order. */
export interface AnswerWriter<Meta> {
  /** The Content-Type of the whole answer. */
  readonly contentType: string;
  /** Bytes before the first slot. */
  head(): Buffer;
  /** Writes one slot's bytes into `out`. `index` is 0-based. */
  slot(entry: BatchEntry<Meta>, result: OperationResult, index: number, out: AnswerSink): void;
  /** Bytes after the last slot. */
  tail(): Buffer;
}

interface DialectBase<Meta> {
  readonly name: string;
  /** Whether a request with this Content-Type may be written in this dialect. */
  accepts(contentType: ContentType): boolean;
  /** A writer for one answer; called once per batch. */
  createWriter(): AnswerWriter<Meta>;
}

/** A dialect read from the raw body (multipart). */
export interface BytesDialect<Meta = unknown> extends DialectBase<Meta> {
  readonly input: 'bytes';
  /** Reads a batch. Throws a whole-batch `BatchError` when the batch can't be read at all. */
  parse(body: Buffer, contentType: ContentType, options: ResolvedOptions): BatchEntry<Meta>[];
}

/** A dialect read from a JSON value (several share `application/json`; each claims its shape). */
export interface JsonDialect<Meta = unknown> extends DialectBase<Meta> {
  readonly input: 'json';
  /** Whether the parsed body has this dialect's shape. */
  claims(value: unknown): boolean;
  /** Reads a batch. Throws a whole-batch `BatchError` when the batch can't be read at all. */
  parse(value: unknown, options: ResolvedOptions): BatchEntry<Meta>[];
}

/**
 * A wire format of batches. Dialects only translate between the wire and operations; every
 * rule about what may run (limits, scope, inheritance, scheduling) lives once in the engine.
 */
export type Dialect<Meta = unknown> = BytesDialect<Meta> | JsonDialect<Meta>;

/**
 * A JSON dialect that is always answered as a job (the operations seed): it has no sync
 * answer, and its submit may carry a webhook block.
 */
export interface JsonJobDialect<Meta = unknown> {
  readonly name: JobKind;
  /** Whether the parsed body has this dialect's shape. */
  claims(value: unknown): boolean;
  /** Reads a batch. Throws a whole-batch `BatchError` when the batch can't be read at all. */
  parse(value: unknown, options: ResolvedOptions): { entries: BatchEntry<Meta>[]; webhook: JobWebhook | null };
}

/** Refuses a batch with no operations, or more than `maxOperations`, before reading any of them. */
export function checkOperationCount(count: number, maxOperations: number): void {
  if (count === 0) throw new BatchError('batch.empty', 'The batch has no operations.');
  if (count > maxOperations) {
    throw new BatchError('batch.too_many_operations', `The batch has more than ${maxOperations} operations.`, {
      where: { part: maxOperations + 1 },
      limit: maxOperations,
    });
  }
}

/**
 * Every dialect one endpoint serves, as the engine knows them: through these interfaces
 * only. The composition root (`endpoint.ts`) lists them; adding a dialect touches that list.
 */
export interface DialectSet {
  /** The dialects a sync batch may be written in, tried by Content-Type and shape. */
  sync: readonly Dialect[];
  /** JSON dialects always answered as a job (the operations seed), claimed by shape first. */
  jobs: readonly JsonJobDialect[];
  /** The bulk seed: how a resource's JSON array becomes operations. */
  bulk: {
    parse(value: unknown, resource: CompiledBulkResource, options: ResolvedOptions): BatchEntry[];
  };
  /** How each kind of job reads on the wire: status, files, webhook word. */
  formats: Readonly<Record<JobKind, JobFormat>>;
}
