import { DispatchAbort } from '../dispatch/abort.js';
import type { DispatchControl, Dispatcher } from '../dispatch/dispatcher.js';
import { BatchError, type ErrorLocation } from '../errors.js';
import type { BatchEntry, InnerRequest, InnerResponse, OperationResult } from '../operation.js';
import type { ResolvedOptions } from '../options.js';
import { errorResult } from '../results.js';
import { OrderedRun, type RunCallbacks, type Semaphore } from '../scheduler.js';
import { report } from './answers.js';
import type { BatchContext } from './context.js';
import { BatchTrace, type TraceSource } from '../tracing.js';
import { prepareOperation, type PreparedRequests } from './prepare.js';
import { TimeoutQueue, type TimedEntry } from './timeouts.js';

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
  /** Drop the inherited context (headers, credentials) once the last operation started (jobs; THREATS T25). */
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
  /**
   * Called with each answer in request order, as soon as every earlier one is known (the
   * streamed answer writes it then). Must not throw.
   */
  onAnswer?: (index: number, result: OperationResult) => void;
  /** Called as each operation starts. */
  onStart?: (index: number) => void;
  /** Called once per operation as soon as it is settled, in finish order; `started` is false for ones never started. */
  onSettled?: (index: number, result: OperationResult, started: boolean) => void;
}

type StopReason = 'deadline' | 'cancelled';

/** A started run of a batch (see `executeBatch`). */
export interface BatchRun {
  /** Settles once every operation has its answer (delivered through `onAnswer`). */
  readonly done: Promise<void>;
  /** The consumer went away: nothing more starts, and what runs is closed. */
  stop(): void;
  /** Backpressure: the consumer took answers of this many body bytes (see `highWaterBytes`). */
  taken(bytes: number): void;
}

function bodySize(result: OperationResult): number {
  return result.body.length;
}

/**
 * One operation in flight: what the dispatcher gets as its control (a `DispatchAbort` as
 * the signal: an `AbortController` per operation cost ~4 µs in Node 20, a tenth of a whole
 * inner request, and most operations never abort), its entry in the run's timeout queue,
 * and its place in the list of running operations. One object per operation, so a
 * dispatch allocates little beyond what the app itself does.
 */
class Operation extends DispatchAbort implements DispatchControl, TimedEntry {
  at = 0;
  done = false;
  settled = false;
  traced: ((result: OperationResult) => void) | undefined = undefined;
  previous: Operation | undefined = undefined;
  next: Operation | undefined = undefined;
  readonly answered = (response: InnerResponse): void => this.run.finish(this, response);
  readonly failed = (error: unknown): void => this.run.fail(this, error);

  constructor(
    readonly run: Execution,
    readonly index: number,
    readonly where: ErrorLocation,
    readonly maxResponseBytes: number,
  ) {
    super();
  }

  /** Its timeout (`TimeoutQueue`). */
  fire(): void {
    this.run.timedOut(this);
  }
}

/** The state of one run: the scheduler's callbacks and what each operation reports to. */
class Execution implements RunCallbacks<OperationResult>, BatchRun {
  readonly done: Promise<void>;
  readonly #input: ExecuteInput;
  readonly #options: ResolvedOptions;
  readonly #order: OrderedRun<OperationResult>;
  readonly #timeouts: TimeoutQueue;
  readonly #trace: BatchTrace;
  readonly #deadline: NodeJS.Timeout;
  /** Answers that later operations depend on (for 424s and references), kept until the end. */
  readonly #kept: Array<OperationResult | undefined> = [];
  readonly #isDependency: Uint8Array;
  /** The operations being dispatched, so a halt can close them; a list, so joining and leaving cost no allocation. */
  #running: Operation | undefined = undefined;
  #stopReason: StopReason | undefined = undefined;
  #stopped = false;
  #begun = 0;
  #ended = false;
  #resolveDone!: () => void;
  readonly #onCancel = (): void => this.#halt('cancelled', this.#input.abortRunning);
  readonly sizeOf: ((result: OperationResult) => number) | undefined;

  constructor(input: ExecuteInput) {
    this.#input = input;
    this.#options = input.options;
    const { entries } = input;
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    this.#timeouts = new TimeoutQueue(this.#options.timeoutMs);
    this.#trace = new BatchTrace(input.trace);
    this.#isDependency = new Uint8Array(entries.length);
    let dependsOn: Array<readonly number[] | undefined> | undefined;
    for (let index = 0; index < entries.length; index++) {
      const deps = (entries[index] as BatchEntry).dependsOn;
      if (deps === undefined || deps.length === 0) continue;
      dependsOn ??= new Array<readonly number[] | undefined>(entries.length);
      dependsOn[index] = deps;
      for (const dep of deps) this.#isDependency[dep] = 1;
    }
    this.sizeOf = input.highWaterBytes === undefined ? undefined : bodySize;
    this.#order = new OrderedRun(entries.length, this, {
      concurrency: this.#options.concurrency,
      inFlight: input.inFlight,
      ...(dependsOn === undefined ? {} : { dependsOn }),
      ...(input.highWaterBytes === undefined ? {} : { highWaterBytes: input.highWaterBytes }),
    });
    this.#deadline = setTimeout(() => this.#halt('deadline', true), input.deadlineMs);
    input.signal.addEventListener('abort', this.#onCancel, { once: true });
    if (input.signal.aborted) this.#onCancel();
    else this.#order.begin();
  }

  stop(): void {
    if (!this.#ended) this.#halt('cancelled', true);
  }

  taken(bytes: number): void {
    this.#order.taken(bytes);
  }

  // --- the scheduler's callbacks (RunCallbacks) ---

  start(index: number): void {
    const given = this.#input.preset?.[index];
    if (given !== undefined) {
      this.#begin(index);
      if (this.#isDependency[index] === 1) this.#kept[index] = given;
      this.#order.settle(index, given);
      return;
    }
    try {
      this.#run(index);
    } catch (error) {
      // A bug of ours must cost one slot, never the process (tasks run in setImmediate).
      report(this.#options.onError, error);
      this.#settle(
        index,
        errorResult(
          new BatchError('batch.part.dispatch_failed', 'The operation could not be run.', {
            where: (this.#input.entries[index] as BatchEntry).where,
            cause: error,
          }),
        ),
      );
    }
  }

  skipped(index: number): OperationResult {
    const given = this.#input.preset?.[index];
    if (given !== undefined) return given;
    this.#begin(index);
    const result = this.#notStartedResult(index);
    this.#input.onSettled?.(index, result, false);
    return result;
  }

  deliver(index: number, result: OperationResult): void {
    this.#input.onAnswer?.(index, result);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#deadline);
    this.#input.signal.removeEventListener('abort', this.#onCancel);
    this.#timeouts.clear();
    this.#resolveDone();
  }

  // --- what each operation reports ---

  finish(operation: Operation, response: InnerResponse): void {
    this.#settleOperation(operation, response);
  }

  fail(operation: Operation, error: unknown): void {
    if (!(error instanceof BatchError)) report(this.#options.onError, error);
    const failure =
      error instanceof BatchError
        ? error
        : new BatchError('batch.part.dispatch_failed', 'The operation failed inside the app.', { cause: error });
    this.#settleOperation(operation, errorResult(failure.at(operation.where)));
  }

  timedOut(operation: Operation): void {
    const { timeoutMs } = this.#options;
    this.#settleOperation(
      operation,
      errorResult(
        new BatchError('batch.part.timeout', `The operation did not answer within ${timeoutMs} ms.`, {
          where: operation.where,
          limit: timeoutMs,
        }),
      ),
    );
    operation.abort();
  }

  // --- inside ---

  /**
   * Counts an operation as begun. Its prepared request is let go at once: a batch holds its
   * thousand requests only until each starts, so they die young instead of being copied by
   * every scavenge until the end. With `releaseCredentials`, the inherited context goes
   * once the last one has begun (THREATS T25).
   */
  #begin(index: number): void {
    const input = this.#input;
    input.requests[index] = undefined;
    if (input.releaseCredentials === true && ++this.#begun === input.entries.length) input.context = undefined;
  }

  #settle(index: number, result: OperationResult): void {
    if (this.#isDependency[index] === 1) this.#kept[index] = result;
    this.#input.onSettled?.(index, result, true);
    this.#order.settle(index, result);
  }

  /** Runs one operation, or answers for it (a refusal, a failed dependency). */
  #run(index: number): void {
    const input = this.#input;
    input.onStart?.(index);
    const entry = input.entries[index] as BatchEntry;
    let request = input.requests[index] as InnerRequest | BatchError;
    const atContext = input.context;
    this.#begin(index);
    if (request instanceof BatchError) {
      this.#settle(index, errorResult(request));
      return;
    }
    if (entry.dependsOn !== undefined) {
      for (const dep of entry.dependsOn) {
        const answer = this.#kept[dep];
        if (answer === undefined || answer.status >= 400) {
          const name = (input.entries[dep] as BatchEntry).where.operationId ?? `operation ${dep + 1}`;
          const outcome = answer === undefined ? 'did not run' : `answered ${answer.status}`;
          this.#settle(
            index,
            errorResult(
              new BatchError('batch.part.dependency_failed', `This operation depends on "${name}", which ${outcome}.`, {
                where: entry.where,
              }),
            ),
          );
          return;
        }
      }
    }
    if (entry.resolve !== undefined && atContext !== undefined) {
      try {
        request = prepareOperation(
          { ...entry, operation: entry.resolve((dep) => this.#kept[dep]) },
          atContext,
          this.#options,
        );
      } catch (error) {
        if (!(error instanceof BatchError)) throw error;
        request = error.at(entry.where);
      }
      if (request instanceof BatchError) {
        this.#settle(index, errorResult(request));
        return;
      }
    }
    const waiting = input.gate?.(index, request);
    if (waiting === undefined) {
      this.#dispatch(index, request, entry.where);
      return;
    }
    const ready = request;
    waiting.then(
      () => {
        if (this.#stopped) this.#settle(index, this.#notStartedResult(index));
        else this.#dispatch(index, ready, entry.where);
      },
      (error: unknown) => {
        report(this.#options.onError, error);
        this.#settle(index, this.#notStartedResult(index));
      },
    );
  }

  #dispatch(index: number, request: InnerRequest, where: ErrorLocation): void {
    const operation = new Operation(this, index, where, this.#options.maxResponseBytes);
    operation.traced = this.#trace.start(request, where);
    this.#timeouts.add(operation);
    const first = this.#running;
    operation.next = first;
    if (first !== undefined) first.previous = operation;
    this.#running = operation;
    this.#input.dispatcher(request, operation).then(operation.answered, operation.failed);
  }

  /** An operation's answer, a timeout or a failure: the first one counts. */
  #settleOperation(operation: Operation, result: OperationResult | InnerResponse): void {
    if (operation.settled) return;
    operation.settled = true;
    operation.done = true;
    const { previous, next } = operation;
    if (previous === undefined) this.#running = next;
    else previous.next = next;
    if (next !== undefined) next.previous = previous;
    operation.previous = operation.next = undefined;
    operation.traced?.(result);
    this.#settle(operation.index, result);
  }

  #halt(reason: StopReason, abortRunning: boolean): void {
    this.#stopReason ??= reason;
    if (!this.#stopped) {
      this.#stopped = true;
      this.#order.stop();
    }
    if (!abortRunning) return;
    const message =
      this.#stopReason === 'deadline'
        ? `The batch ran out of time (${this.#input.deadlineMs} ms) before this operation answered.`
        : 'The batch was cancelled before this operation answered.';
    for (let operation = this.#running; operation !== undefined; operation = this.#running) {
      this.#settleOperation(
        operation,
        errorResult(
          new BatchError('batch.part.timeout', message, { where: operation.where, limit: this.#input.deadlineMs }),
        ),
      );
      operation.abort();
    }
  }

  #notStartedResult(index: number): OperationResult {
    return errorResult(
      new BatchError(
        'batch.part.not_started',
        this.#stopReason === 'deadline'
          ? `The batch ran out of time (${this.#input.deadlineMs} ms) before this operation started.`
          : this.#stopReason === 'cancelled'
            ? 'The batch was cancelled before this operation started.'
            : 'The job store could not record that this operation started, so it was not started.',
        { where: (this.#input.entries[index] as BatchEntry).where },
      ),
    );
  }
}

/**
 * Runs a prepared batch with the shared scheduler and dispatcher — the one engine of sync
 * batches and async jobs — and hands each answer to `onAnswer` in request order, as soon
 * as every earlier one is known. Dependencies (`dependsOn`) and references are resolved
 * here. The run starts at once.
 */
export function executeBatch(input: ExecuteInput): BatchRun {
  return new Execution(input);
}
