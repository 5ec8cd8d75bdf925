import type { AnswerWriter } from '../dialects/dialect.js';
import { BatchError } from '../errors.js';
import type { BatchEntry, OperationResult } from '../operation.js';
import type { ResolvedOptions } from '../options.js';
import { errorResult } from '../results.js';

// Ready answers are held back until this many bytes have gathered (a burst of big answers
// never sits in memory twice over)…
const MAX_CHUNK_BYTES = 64 * 1024;
// …or until the first of them has waited this long. Each socket write costs about as much
// as a whole inner request (a loopback writev measured ~40 µs, on the event loop), and
// operations that answer at once finish one per loop turn; a write per answer doubled the
// cost of a batch. A few ms is far below any client's use of a partial answer.
export const FLUSH_AFTER_MS = 5;

/** The chunks as one buffer, copying only when there is more than one. */
function joined(chunks: Buffer[], size: number): Buffer {
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}

const FLUSH = Symbol('flush');

/**
 * Writes a sync batch's answer in request order as the results arrive. Answers that are
 * ready are gathered and written together — when 64 KiB have gathered, when the first
 * gathered answer has waited `FLUSH_AFTER_MS`, or at the end — so parts flow while later
 * operations still run, at a handful of socket writes per batch. Answers past
 * `maxTotalResponseBytes` are withheld in their slots.
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
  // While chunks wait: the timer that ends their wait, and the promise it settles.
  let flushTimer: NodeJS.Timeout | undefined;
  let flushDue: Promise<typeof FLUSH> | undefined;
  const take = (): Buffer => {
    const chunk = joined(chunks, size);
    chunks = [];
    size = 0;
    clearTimeout(flushTimer);
    flushTimer = undefined;
    flushDue = undefined;
    return chunk;
  };
  let pending: Promise<IteratorResult<OperationResult[], void>> | undefined;
  try {
    for (;;) {
      pending ??= groups.next();
      const step = flushDue === undefined ? await pending : await Promise.race([pending, flushDue]);
      if (step === FLUSH) {
        yield take();
        continue;
      }
      pending = undefined;
      if (step.done === true) break;
      for (let result of step.value) {
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
        if (size >= MAX_CHUNK_BYTES) yield take();
      }
      if (size > 0 && flushDue === undefined) {
        flushDue = new Promise((resolve) => {
          flushTimer = setTimeout(resolve, FLUSH_AFTER_MS, FLUSH);
        });
      }
    }
    const tail = writer.tail();
    chunks.push(tail);
    size += tail.length;
    yield take();
  } finally {
    clearTimeout(flushTimer);
    // Stopped early (the client went away) or done: the run's own cleanup stops what still
    // runs. A request for the next group still in flight is waited for (its failure is no
    // longer anyone's to report).
    if (pending !== undefined) await pending.catch(() => undefined);
    await groups.return(undefined);
  }
}
