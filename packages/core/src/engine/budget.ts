/**
 * The bytes one streamed answer may hold that its client has not taken yet, before the
 * batch stops starting operations (a slow reader slows its own batch down). With it, a
 * batch's unwritten answers are bounded by this mark plus the answers of the operations
 * already running, not by `maxTotalResponseBytes`.
 */
export const ANSWER_HIGH_WATER_BYTES = 1024 * 1024;

/** A batch's answer high-water mark: never more than the batch may answer in all. */
export function answerHighWater(maxTotalResponseBytes: number): number {
  return Math.min(ANSWER_HIGH_WATER_BYTES, maxTotalResponseBytes);
}

/** The default `maxBufferedBytes`: room for 16 batches at their largest body and high-water mark. */
export function defaultBufferedBytes(maxBodyBytes: number, maxTotalResponseBytes: number): number {
  return 16 * (maxBodyBytes + answerHighWater(maxTotalResponseBytes));
}

/** A batch's hold on the process-wide budget; `release()` may be called more than once. */
export interface BudgetTicket {
  release: () => void;
}

/** What the budget holds right now (for tests and the benchmarks). */
export interface BudgetUsage {
  batches: number;
  bytes: number;
}

/**
 * The process-wide budget of one middleware: how many batches it serves at once and how
 * many bytes they may buffer (outer bodies, and answers not yet written). A batch reserves
 * its share before its body is read — the declared `Content-Length` (or `maxBodyBytes` when
 * none is declared) plus one answer high-water mark — so the bound holds whatever the
 * batches do next, and a batch past the budget is refused before it cost anything
 * (THREATS T3/T6: many maximum-size batches at once).
 */
export class BatchBudget {
  private batches = 0;
  private bytes = 0;

  constructor(
    private readonly maxBatches: number,
    private readonly maxBytes: number,
  ) {}

  get usage(): BudgetUsage {
    return { batches: this.batches, bytes: this.bytes };
  }

  /** A ticket for a batch that will buffer up to `bytes`, or undefined when that would go past the budget. */
  admit(bytes: number): BudgetTicket | undefined {
    if (this.batches >= this.maxBatches) return undefined;
    // A batch alone may always run when nothing else does: a budget smaller than one
    // batch's share must not refuse everything.
    if (this.batches > 0 && this.bytes + bytes > this.maxBytes) return undefined;
    this.batches++;
    this.bytes += bytes;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.batches--;
        this.bytes -= bytes;
      },
    };
  }
}
