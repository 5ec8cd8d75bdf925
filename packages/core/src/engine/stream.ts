import type { AnswerWriter } from '../dialects/dialect.js';
import { BatchError } from '../errors.js';
import type { BatchEntry, OperationResult } from '../operation.js';
import type { ResolvedOptions } from '../options.js';
import { errorResult } from '../results.js';
import { AnswerBuffer } from './answer-buffer.js';
import type { BatchRun } from './execute.js';

// Ready answers are held back until this many bytes have gathered (a burst of big answers
// never sits in memory twice over)…
const MAX_CHUNK_BYTES = 64 * 1024;
// …or until the first of them has waited this long. Each socket write costs about as much
// as a whole inner request (a loopback writev measured ~40 µs, on the event loop), and
// operations that answer at once finish one per loop turn; a write per answer doubled the
// cost of a batch. A few ms is far below any client's use of a partial answer.
export const FLUSH_AFTER_MS = 5;

/** A chunk ready for the client, and the answer-body bytes in it (for the run's backpressure). */
interface ReadyChunk {
  bytes: Buffer;
  weight: number;
}

/**
 * Writes a sync batch's answer in request order as the answers arrive. `start` starts
 * the run (on the first read of the answer, so nothing runs for an answer nobody sends)
 * with the callback that receives each answer in order; each is written at once into
 * the answer's buffer, and what has gathered goes to the client when 64 KiB have, when
 * the first waiting byte has waited `FLUSH_AFTER_MS`, or at the end — so parts flow while
 * later operations still run, at a handful of socket writes per batch. Answers past
 * `maxTotalResponseBytes` are withheld in their slots.
 */
export async function* streamAnswer(
  start: (onAnswer: (index: number, result: OperationResult) => void) => BatchRun,
  entries: readonly BatchEntry[],
  writer: AnswerWriter<unknown>,
  options: ResolvedOptions,
): AsyncGenerator<Buffer, void, undefined> {
  const out = new AnswerBuffer();
  out.bytes(writer.head());
  const ready: ReadyChunk[] = [];
  let weight = 0;
  let total = 0;
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  const resume = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const flush = (): void => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (out.size === 0) return;
    ready.push({ bytes: out.take(), weight });
    weight = 0;
    resume();
  };
  const onAnswer = (index: number, answer: OperationResult): void => {
    if (failure !== undefined) return;
    try {
      let result = answer;
      const entry = entries[index] as BatchEntry;
      total += result.body.length;
      weight += answer.body.length;
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
      writer.slot(entry, result, index, out);
      if (index === entries.length - 1) {
        out.bytes(writer.tail());
        ended = true;
        flush();
      } else if (out.size >= MAX_CHUNK_BYTES) flush();
      else flushTimer ??= setTimeout(flush, FLUSH_AFTER_MS);
    } catch (error) {
      // A fault of ours while writing: the answer can't be completed; the client sees it cut off.
      failure = { error };
      resume();
    }
  };
  const run = start(onAnswer);
  try {
    for (;;) {
      if (failure !== undefined) throw failure.error;
      const chunk = ready.shift();
      if (chunk !== undefined) {
        yield chunk.bytes;
        // The consumer asked for more: what it took no longer holds the run back.
        run.taken(chunk.weight);
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    clearTimeout(flushTimer);
    // Stopped early (the client went away) or done: stop what still runs.
    run.stop();
  }
}
