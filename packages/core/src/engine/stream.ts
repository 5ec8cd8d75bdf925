import type { AnswerWriter } from '../dialects/dialect.js';
import { BatchError } from '../errors.js';
import type { BatchEntry, OperationResult } from '../operation.js';
import type { ResolvedOptions } from '../options.js';
import { errorResult } from '../results.js';

// A group of ready answers is written as one chunk, cut at this size so that a burst of
// big answers never sits in memory twice over.
const MAX_CHUNK_BYTES = 64 * 1024;

/** The chunks as one buffer, copying only when there is more than one. */
function joined(chunks: Buffer[], size: number): Buffer {
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}

/**
 * Writes a sync batch's answer in request order as the results arrive: the answers ready
 * at once go out as one chunk (one socket write instead of one per operation), and the
 * chunk is flushed as soon as the next answer is not ready yet, so parts flow while later
 * operations still run. Answers past `maxTotalResponseBytes` are withheld in their slots.
 */
export async function* streamAnswer(
  groups: AsyncGenerator<OperationResult[], void, undefined>,
  entries: readonly BatchEntry[],
  writer: AnswerWriter<unknown>,
  options: ResolvedOptions,
): AsyncGenerator<Buffer, void, undefined> {
  let chunks: Buffer[] = [writer.head()];
  let size = (chunks[0] as Buffer).length;
  let index = 0;
  let total = 0;
  for await (const group of groups) {
    for (let result of group) {
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
      for (const part of writer.slot(entry, result, index)) {
        chunks.push(part);
        size += part.length;
      }
      index++;
      if (size >= MAX_CHUNK_BYTES) {
        yield joined(chunks, size);
        chunks = [];
        size = 0;
      }
    }
    if (size > 0) {
      yield joined(chunks, size);
      chunks = [];
      size = 0;
    }
  }
  const tail = writer.tail();
  chunks.push(tail);
  yield joined(chunks, size + tail.length);
}
