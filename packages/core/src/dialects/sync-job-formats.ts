import { AnswerBuffer } from '../engine/answer-buffer.js';
import type { AnswerWriter } from './dialect.js';
import { answerObject, jsonDialect } from './json.js';
import { multipartDialect } from './multipart.js';
import { BatchError } from '../errors.js';
import type { BatchAnswer } from '../node/http.js';
import type { BatchEntry, OperationResult } from '../operation.js';
import { errorResult } from '../results.js';
import { statusDocument, statusWord, type JobFormat } from '../jobs/format.js';
import type { JobAnswer, JobKind, JobRecord } from '../jobs/job.js';

/** A stored answer as the sync writers read it; a cancelled operation answers as the sync batch would have. */
function resultOf(answer: JobAnswer | undefined, index: number): OperationResult {
  if (answer === undefined || answer.outcome === 'cancelled') {
    return errorResult(
      new BatchError('batch.part.not_started', 'The batch was cancelled before this operation started.', {
        where: { part: index + 1 },
      }),
    );
  }
  return { status: answer.status, statusText: answer.statusText, headers: answer.headers, body: answer.body };
}

function writeAll<Meta>(
  job: JobRecord,
  writer: AnswerWriter<Meta>,
  metaOf: (label: string | undefined) => Meta,
): BatchAnswer {
  const out = new AnswerBuffer();
  out.bytes(writer.head());
  job.operations.forEach((operation, index) => {
    const entry: BatchEntry<Meta> = {
      where: { part: index + 1, ...(operation.label === undefined ? {} : { operationId: operation.label }) },
      meta: metaOf(operation.label),
    };
    writer.slot(entry, resultOf(job.answers[index], index), index, out);
  });
  out.bytes(writer.tail());
  return {
    status: 200,
    headers: { 'content-type': writer.contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
    body: out.take(),
  };
}

/**
 * How a multipart or json batch sent with `Prefer: respond-async` reads as a job: `202`
 * with `Location`, a status document in the operations seed's words, and the finished
 * answer, byte for byte what the sync batch would have answered, at `/result`.
 */
function syncAsJob(kind: Extract<JobKind, 'json' | 'multipart'>): JobFormat {
  return {
    kind,
    submitStatus: 202,
    submitted: (id) => ({ uuid: id }),
    describe(entry) {
      const label =
        kind === 'json'
          ? (entry.meta as { id: string }).id
          : (entry.meta as { contentId: string | undefined }).contentId;
      return { method: entry.operation?.method ?? '', endpoint: entry.operation?.target ?? '', label };
    },
    status(job, links) {
      return { status: 200, body: statusDocument(job, { result: links.result }) };
    },
    word: statusWord,
    line: (job, index) =>
      answerObject(job.operations[index]?.label ?? String(index + 1), resultOf(job.answers[index], index)),
    result: (job) =>
      kind === 'json'
        ? writeAll(job, jsonDialect.createWriter(), (label) => ({ id: label ?? '' }))
        : writeAll(job, multipartDialect.createWriter(), (contentId) => ({ contentId })),
  };
}

/** Formats of the sync dialects run as jobs. */
export const jsonJobFormat = syncAsJob('json');
/** See `jsonJobFormat`. */
export const multipartJobFormat = syncAsJob('multipart');
