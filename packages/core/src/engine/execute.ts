import { DispatchAbort } from '../dispatch/abort.js';
import type { DispatchControl, Dispatcher } from '../dispatch/dispatcher.js';
import { BatchError, type ErrorLocation } from '../errors.js';
import type { BatchEntry, InnerRequest, OperationResult } from '../operation.js';
import type { ResolvedOptions } from '../options.js';
import { errorResult } from '../results.js';
import { runInOrder, type Semaphore } from '../scheduler.js';
import { report } from './answers.js';
import type { BatchContext } from './context.js';
import { BatchTrace, type TraceSource } from '../tracing.js';
import { prepareOperation, type PreparedRequests } from './prepare.js';
import { TimeoutQueue } from './timeouts.js';

/** One run of a prepared batch: what to run, through what, and when to stop. */
export interface ExecuteInput {
  options: ResolvedOptions;
  /** The in-flight cap shared by every batch and job of one middleware. */
  inFlight: Semaphore;
  dispatcher: Dispatcher;
  entries: readonly BatchEntry[];
  requests: PreparedRequests;
  /** Cleared once the last operation started when `releaseCredentials` is set. */
  context: BatchContext | undefined;
  /** Once aborted, nothing more is started (the client went away, the job was cancelled). */
  signal: AbortSignal;
  /** Whether `signal` also closes the operations already running (sync: yes; a cancelled job lets them finish). */
  abortRunning: boolean;
  /** The whole run's deadline (`batchTimeoutMs` for a sync batch, `jobTimeoutMs` for a job). */
  deadlineMs: number;
  /**
   * Drop each operation's request (headers, credentials) as soon as it is dispatched, and
   * the inherited context once the last one started (jobs; THREATS T25).
   */
  releaseCredentials?: boolean;
  /**
   * Answers already known (a job resumed after a takeover): those slots are not run, and
   * their answers feed dependencies and references as if they had just been given.
   */
  preset?: ReadonlyArray<OperationResult | undefined>;
  /**
   * Called just before an operation is dispatched; when it answers a promise, the dispatch
   * waits for it (a shared store marking the operation started), and a rejection answers
   * the slot `batch.part.not_started` instead.
   */
  gate?: (index: number, request: InnerRequest) => Promise<void> | undefined;
  /** What inner requests are published with on `node:diagnostics_channel` (tracing.ts). */
  trace?: TraceSource;
  /**
   * Backpressure for a streamed answer: no operation starts while the answers finished but
   * not yet taken by the writer weigh more than this many bytes (see `ANSWER_HIGH_WATER_BYTES`).
   */
  highWaterBytes?: number;
  /** Called as each operation starts. */
  onStart?: (index: number) => void;
  /** Called once per operation as soon as it is settled, in finish order; `started` is false for ones never started. */
  onSettled?: (index: number, result: OperationResult, started: boolean) => void;
}

type StopReason = 'deadline' | 'cancelled';

/**
 * What the dispatcher gets for one operation: its answer-size cap, and a `DispatchAbort`
 * as its signal (an `AbortController` per operation cost ~4 µs in Node 20, a tenth of a
 * whole inner request, and most operations never abort).
 */
class OperationControl extends DispatchAbort implements DispatchControl {
  constructor(readonly maxResponseBytes: number) {
    super();
  }
}

/**
 * Runs a prepared batch with the shared scheduler and dispatcher — the one engine of sync
 * batches and async jobs — and yields the answers in request order, in groups of those
 * ready at once (see `runInOrder`). Dependencies (`dependsOn`) and references are resolved here.
 */
export async function* executeBatch(input: ExecuteInput): AsyncGenerator<OperationResult[], void, undefined> {
  const { options, dispatcher, entries, requests, deadlineMs, onSettled, onStart } = input;
  const noMoreStarts = new AbortController();
  // How to stop each running operation: called when the run halts with abortRunning. A set
  // rather than one 'abort' listener per operation on a shared signal (past ten of those,
  // Node warns on every batch with concurrency > 10).
  const running = new Set<() => void>();
  const timeouts = new TimeoutQueue(options.timeoutMs);
  const trace = new BatchTrace(input.trace);
  let stopReason: StopReason | undefined;
  const halt = (reason: StopReason, abortRunning: boolean): void => {
    stopReason ??= reason;
    if (!noMoreStarts.signal.aborted) noMoreStarts.abort();
    if (abortRunning) for (const stop of [...running]) stop();
  };
  const onCancel = (): void => halt('cancelled', input.abortRunning);
  input.signal.addEventListener('abort', onCancel, { once: true });
  if (input.signal.aborted) onCancel();
  const deadline = setTimeout(() => halt('deadline', true), deadlineMs);
  let begun = 0;
  const begin = (): void => {
    if (++begun === entries.length && input.releaseCredentials === true) input.context = undefined;
  };

  /** Dispatches one operation; `done` is called once, with its answer, a timeout or a failure. */
  const dispatchOne = (request: InnerRequest, where: ErrorLocation, done: (result: OperationResult) => void): void => {
    {
      const control = new OperationControl(options.maxResponseBytes);
      const traced = trace.start(request, where);
      let settled = false;
      const finish = (result: OperationResult): void => {
        if (settled) return;
        settled = true;
        traced?.(result);
        timeout.cancel();
        running.delete(onStop);
        done(result);
      };
      const timedOut = (message: string, limit: number): OperationResult =>
        errorResult(new BatchError('batch.part.timeout', message, { where, limit }));
      const timeout = timeouts.add(() => {
        finish(timedOut(`The operation did not answer within ${options.timeoutMs} ms.`, options.timeoutMs));
        control.abort();
      });
      const onStop = (): void => {
        finish(
          timedOut(
            stopReason === 'deadline'
              ? `The batch ran out of time (${deadlineMs} ms) before this operation answered.`
              : 'The batch was cancelled before this operation answered.',
            deadlineMs,
          ),
        );
        control.abort();
      };
      running.add(onStop);
      dispatcher(request, control).then(finish, (error: unknown) => {
        if (!(error instanceof BatchError)) report(options.onError, error);
        const failure =
          error instanceof BatchError
            ? error
            : new BatchError('batch.part.dispatch_failed', 'The operation failed inside the app.', { cause: error });
        finish(errorResult(failure.at(where)));
      });
    }
  };

  // Answers that later operations depend on (for 424s and references), kept until the end.
  const kept: Array<OperationResult | undefined> = [];
  const isDependency = new Uint8Array(entries.length);
  for (const entry of entries) for (const dep of entry.dependsOn ?? []) isDependency[dep] = 1;

  /** Runs one operation, or answers for it (a refusal, a failed dependency); calls `done` once. */
  const run = (index: number, done: (result: OperationResult) => void): void => {
    onStart?.(index);
    const entry = entries[index] as BatchEntry;
    let request = requests[index] as InnerRequest | BatchError;
    if (input.releaseCredentials === true) requests[index] = undefined;
    const atContext = input.context;
    begin();
    if (request instanceof BatchError) {
      done(errorResult(request));
      return;
    }
    for (const dep of entry.dependsOn ?? []) {
      const answer = kept[dep];
      if (answer === undefined || answer.status >= 400) {
        const name = (entries[dep] as BatchEntry).where.operationId ?? `operation ${dep + 1}`;
        const outcome = answer === undefined ? 'did not run' : `answered ${answer.status}`;
        done(
          errorResult(
            new BatchError('batch.part.dependency_failed', `This operation depends on "${name}", which ${outcome}.`, {
              where: entry.where,
            }),
          ),
        );
        return;
      }
    }
    if (entry.resolve !== undefined && atContext !== undefined) {
      try {
        request = prepareOperation({ ...entry, operation: entry.resolve((dep) => kept[dep]) }, atContext, options);
      } catch (error) {
        if (!(error instanceof BatchError)) throw error;
        request = error.at(entry.where);
      }
      if (request instanceof BatchError) {
        done(errorResult(request));
        return;
      }
    }
    const waiting = input.gate?.(index, request);
    if (waiting === undefined) {
      dispatchOne(request, entry.where, done);
      return;
    }
    const ready = request;
    waiting.then(
      () => {
        if (noMoreStarts.signal.aborted) done(notStartedResult(index));
        else dispatchOne(ready, entry.where, done);
      },
      (error: unknown) => {
        report(options.onError, error);
        done(notStartedResult(index));
      },
    );
  };
  const task = (index: number, done: (result: OperationResult) => void): void => {
    const given = input.preset?.[index];
    if (given !== undefined) {
      begin();
      if (input.releaseCredentials === true) requests[index] = undefined;
      if (isDependency[index] === 1) kept[index] = given;
      done(given);
      return;
    }
    let settled = false;
    const settle = (result: OperationResult): void => {
      if (settled) return;
      settled = true;
      if (isDependency[index] === 1) kept[index] = result;
      onSettled?.(index, result, true);
      done(result);
    };
    try {
      run(index, settle);
    } catch (error) {
      // A bug of ours must cost one slot, never the process (tasks run in setImmediate).
      report(options.onError, error);
      settle(
        errorResult(
          new BatchError('batch.part.dispatch_failed', 'The operation could not be run.', {
            where: (entries[index] as BatchEntry).where,
            cause: error,
          }),
        ),
      );
    }
  };
  function notStartedResult(index: number): OperationResult {
    return errorResult(
      new BatchError(
        'batch.part.not_started',
        stopReason === 'deadline'
          ? `The batch ran out of time (${deadlineMs} ms) before this operation started.`
          : stopReason === 'cancelled'
            ? 'The batch was cancelled before this operation started.'
            : 'The job store could not record that this operation started, so it was not started.',
        { where: (entries[index] as BatchEntry).where },
      ),
    );
  }
  const notStarted = (index: number): OperationResult => {
    const given = input.preset?.[index];
    if (given !== undefined) return given;
    begin();
    if (input.releaseCredentials === true) requests[index] = undefined;
    const result = notStartedResult(index);
    onSettled?.(index, result, false);
    return result;
  };

  let completed = false;
  try {
    yield* runInOrder(entries.length, task, notStarted, {
      concurrency: options.concurrency,
      inFlight: input.inFlight,
      signal: noMoreStarts.signal,
      dependsOn: entries.map((entry) => entry.dependsOn),
      ...(input.highWaterBytes === undefined
        ? {}
        : { highWater: { bytes: input.highWaterBytes, sizeOf: (result: OperationResult) => result.body.length } }),
    });
    completed = true;
  } finally {
    clearTimeout(deadline);
    input.signal.removeEventListener('abort', onCancel);
    // The consumer stopped early (the client went away mid-answer): close what still runs.
    // After a normal end nothing runs (and each abort() would build a DOMException).
    if (!completed) halt('cancelled', true);
    timeouts.clear();
  }
}
