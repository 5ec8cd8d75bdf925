import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { BatchContext } from '../engine/context.js';
import { report } from '../engine/answers.js';
import { executeBatch } from '../engine/execute.js';
import type { PreparedRequests } from '../engine/prepare.js';
import { BatchError } from '../errors.js';
import type { BatchEntry, InnerRequest, OperationResult } from '../operation.js';
import type { ResolvedOptions } from '../options.js';
import { errorResult } from '../results.js';
import type { Semaphore } from '../scheduler.js';
import { answerSize, isSuccess, type JobAnswer, type JobState } from './job.js';
import type { FinishedJob, JobStore } from './store.js';

/**
 * What a job runs: its operations, checked at submit, and the outer request's inherited
 * headers. This is the only place credentials live after the submit answered: in this
 * process's memory, never in the store, and dropped as each operation is dispatched
 * (THREATS T25).
 */
export interface JobPlan {
  entries: readonly BatchEntry[];
  requests: PreparedRequests;
  context: BatchContext | undefined;
}

/** What the runner uses. */
export interface RunnerDeps {
  options: ResolvedOptions;
  store: JobStore;
  inFlight: Semaphore;
  dispatcher: Dispatcher;
  /** Aborted by `DELETE {path}/{id}` (or by the store saying so): nothing more starts; running ones finish. */
  cancel: AbortController;
  now: () => number;
}

/** Where a resumed job stands: the answers already recorded (a takeover). */
export interface RunResume {
  /** Results of the slots already answered, by index; they are neither run nor recorded again. */
  preset: ReadonlyArray<OperationResult | undefined>;
  /** The recorded answers, to count the job's outcome from. */
  answers: ReadonlyArray<JobAnswer | undefined>;
}

/** How a run ended. `lost`: the store failed, so the job was left for another attempt to resume. */
export type RunOutcome = { kind: 'finished'; finished: FinishedJob | undefined } | { kind: 'lost'; error: unknown };

/** The final state from the counts: cancelled wins, then all-failed, then all-succeeded. */
export function finalState(total: number, failed: number, cancelled: number): JobState {
  if (cancelled > 0) return 'cancelled';
  if (failed === total) return 'failed';
  return failed === 0 ? 'succeeded' : 'partial';
}

/** A stored answer as the engine reads it (for dependencies and references of a resumed job). */
export function storedResult(answer: JobAnswer): OperationResult {
  return { status: answer.status, statusText: answer.statusText, headers: answer.headers, body: answer.body };
}

/** An operation's result as the store keeps it. */
export function toAnswer(result: OperationResult, outcome: JobAnswer['outcome'], completedAt: number): JobAnswer {
  return {
    outcome,
    status: result.status,
    statusText: result.statusText,
    headers: result.headers,
    body: result.body,
    ...(result.error === undefined ? {} : { errorCode: result.error.code }),
    completedAt,
  };
}

/**
 * Runs one job through the shared scheduler and dispatcher (`executeBatch`, the engine of
 * sync batches too), recording each answer in the store as soon as it finishes (the
 * writes are not chained, so a shared store can pipeline them). Answers past
 * `maxTotalResponseBytes` are withheld, as in a sync batch.
 *
 * Never rejects. On the memory store a store failure ends the job `failed` (and goes to
 * `onError`); with a run queue (`shared`), it ends the run `lost` instead, so the queue
 * tries again later and the job resumes from what was recorded.
 */
export async function runJob(
  id: string,
  plan: JobPlan,
  deps: RunnerDeps,
  resume?: RunResume,
  shared?: { gate: (index: number, request: InnerRequest) => Promise<void> | undefined },
): Promise<RunOutcome> {
  const { options, store, now, cancel } = deps;
  const total = plan.entries.length;
  let failed = 0;
  let cancelled = 0;
  let bytes = 0;
  for (const answer of resume?.answers ?? []) {
    if (answer === undefined) continue;
    bytes += answerSize(answer);
    if (answer.outcome === 'cancelled') cancelled++;
    else if (!isSuccess(answer)) failed++;
  }
  let started = false;
  let failure: unknown;
  const writes = new Set<Promise<void>>();
  const write = (work: Promise<void>): void => {
    const settled = work.then(
      () => {
        writes.delete(settled);
      },
      (error: unknown) => {
        writes.delete(settled);
        failure ??= error;
        cancel.abort();
      },
    );
    writes.add(settled);
  };

  const onStart = (): void => {
    if (started) return;
    started = true;
    write(store.start(id, now()));
  };
  const onSettled = (index: number, result: OperationResult, ran: boolean): void => {
    const at = now();
    let answer: JobAnswer;
    if (!ran && cancel.signal.aborted && failure === undefined) {
      answer = toAnswer(result, 'cancelled', at);
      cancelled++;
    } else {
      let kept = result;
      const size = answerSize(result);
      if (bytes + size > options.maxTotalResponseBytes && result.error === undefined) {
        kept = errorResult(
          new BatchError(
            'batch.part.response_too_large',
            `The job's answers reached ${options.maxTotalResponseBytes} bytes in all; this answer was withheld.`,
            { where: plan.entries[index]?.where ?? { part: index + 1 }, limit: options.maxTotalResponseBytes },
          ),
        );
      }
      bytes += answerSize(kept);
      answer = toAnswer(kept, 'answered', at);
      if (!(answer.status >= 200 && answer.status < 300)) failed++;
    }
    write(
      store.record(id, index, answer).then((receipt) => {
        if (receipt.cancelRequested) cancel.abort();
      }),
    );
  };

  try {
    await executeBatch({
      options,
      inFlight: deps.inFlight,
      dispatcher: deps.dispatcher,
      entries: plan.entries,
      requests: plan.requests,
      context: plan.context,
      signal: cancel.signal,
      abortRunning: false,
      deadlineMs: options.jobTimeoutMs,
      releaseCredentials: true,
      ...(resume === undefined ? {} : { preset: resume.preset }),
      ...(shared === undefined ? {} : { gate: shared.gate }),
      onStart,
      onSettled,
    }).done;
  } catch (error) {
    failure ??= error;
  }
  // The run is over: nothing of the outer request stays (THREATS T25).
  plan.context = undefined;
  plan.requests.length = 0;
  plan.entries = [];
  while (writes.size > 0) await Promise.all(writes);
  if (failure !== undefined) {
    report(options.onError, failure);
    if (shared !== undefined) return { kind: 'lost', error: failure };
  }
  const state = failure !== undefined ? 'failed' : finalState(total, failed, cancelled);
  try {
    return { kind: 'finished', finished: await store.finish(id, state, now()) };
  } catch (error) {
    report(options.onError, error);
    return shared === undefined ? { kind: 'finished', finished: undefined } : { kind: 'lost', error };
  }
}
