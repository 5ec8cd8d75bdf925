import type { AnswerWriter } from '../dialects/dialect.js';
import { BatchError } from '../errors.js';
import type { BatchEntry, OperationResult } from '../operation.js';
import type { ResolvedOptions } from '../options.js';
import { errorResult } from '../results.js';

/**
 * Writes a sync batch's answer slot by slot, in request order, as the results arrive.
 * Answers past `maxTotalResponseBytes` are withheld in their slots.
 */
export async function* streamAnswer(
  results: AsyncGenerator<OperationResult, void, undefined>,
  entries: readonly BatchEntry[],
  writer: AnswerWriter<unknown>,
  options: ResolvedOptions,
): AsyncGenerator<Buffer, void, undefined> {
  yield writer.head();
  let index = 0;
  let total = 0;
  for await (let result of results) {
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
    yield writer.slot(entry, result, index);
    index++;
  }
  yield writer.tail();
}
