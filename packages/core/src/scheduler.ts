/** A counting semaphore: the in-flight cap shared by every batch of one middleware. */
export class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];

  constructor(size: number) {
    this.available = size;
  }

  tryAcquire(): boolean {
    if (this.available === 0) return false;
    this.available--;
    return true;
  }

  /** Resolves once a permit is held; the permit passes straight to the waiter. */
  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }
}

export interface ScheduleOptions {
  /** Tasks of this run in flight at once. */
  concurrency: number;
  /** Permits shared with other runs; each task holds one while in flight. */
  inFlight: Semaphore;
  /**
   * The tasks each task waits for (indices); undefined when none waits for any. A task
   * starts only after all of them have finished; the graph must be acyclic (dialects
   * refuse cycles before running).
   */
  dependsOn?: ReadonlyArray<readonly number[] | undefined>;
  /**
   * Backpressure: while the results finished but not yet taken by the consumer (`taken`)
   * weigh more than this many bytes, no task starts (a slow reader slows its own run
   * down). A task still starts when none runs and nothing waits for the consumer, so the
   * run can't stall on itself.
   */
  highWaterBytes?: number;
}

/** What an `OrderedRun` calls back. */
export interface RunCallbacks<T> {
  /** Starts task `index`; the task ends with `run.settle(index, result)` (later calls are ignored). */
  start(index: number): void;
  /** The result of a task that was never started because the run stopped. */
  skipped(index: number): T;
  /** Each result in index order, as soon as every earlier one was delivered. */
  deliver(index: number, result: T): void;
  /** Every result was delivered. */
  end(): void;
  /** The weight of a result for `highWaterBytes`. */
  readonly sizeOf?: ((result: T) => number) | undefined;
}

/** Ready tasks, lowest index first: with `concurrency: 1` the run order is the request order. */
class ReadyQueue {
  private readonly heap: number[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(index: number): void {
    const heap = this.heap;
    heap.push(index);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as number) <= index) break;
      heap[i] = heap[parent] as number;
      i = parent;
    }
    heap[i] = index;
  }

  pop(): number | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as number) < (heap[left] as number) ? right : left;
      if ((heap[child] as number) >= last) break;
      heap[i] = heap[child] as number;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

/** The setImmediate callback of one start (a plain function: no closure per task). */
function startLater<T>(run: OrderedRun<T>, index: number): void {
  run.startNow(index);
}

/**
 * Runs `count` tasks with bounded concurrency and delivers their results in index order,
 * each as soon as all earlier ones are in — so an answer can stream while later
 * operations still run. Tasks wait for the tasks they depend on.
 *
 * Callbacks, not promises or async generators: a batch runs thousands of tasks, and each
 * promise or generator step per task cost more than the bookkeeping itself. Each start
 * runs in its own `setImmediate` callback. Node drains microtasks between two immediate
 * callbacks, so one operation's middleware settles before the next one starts: started
 * in one go, an in-memory rate limiter (express-rate-limit's MemoryStore, koa-ratelimit's
 * memory driver hand out a live counter) shows every operation the count after all their
 * hits, where over the wire each request gets a callback of its own. The immediates
 * queued together run in one loop turn, and I/O is polled between turns, so a large batch
 * can't starve other requests either (THREATS T8).
 */
export class OrderedRun<T> {
  readonly #count: number;
  readonly #callbacks: RunCallbacks<T>;
  readonly #concurrency: number;
  readonly #inFlight: Semaphore;
  readonly #highWater: number;
  /** Results settled ahead of an earlier one still running, until their turn. */
  readonly #waiting: Array<T | undefined>;
  /** Per task: 0 not started, 1 started, 2 settled. */
  readonly #state: Uint8Array;
  readonly #ready = new ReadyQueue();
  readonly #waitingOn: Uint32Array | undefined;
  readonly #dependents: number[][] | undefined;
  #unstarted: number;
  #running = 0;
  #nextToDeliver = 0;
  #waitingForPermit = false;
  #stopped = false;
  /** Backpressure: weight settled out of order, and delivered but not yet taken. */
  #heldAhead = 0;
  #untaken = 0;

  constructor(count: number, callbacks: RunCallbacks<T>, options: ScheduleOptions) {
    this.#count = count;
    this.#callbacks = callbacks;
    this.#concurrency = options.concurrency;
    this.#inFlight = options.inFlight;
    this.#highWater = options.highWaterBytes ?? Infinity;
    this.#waiting = new Array<T | undefined>(count);
    this.#state = new Uint8Array(count);
    this.#unstarted = count;
    const { dependsOn } = options;
    if (dependsOn === undefined) {
      // Nothing waits on anything: every task is ready, in order.
      for (let index = 0; index < count; index++) this.#ready.push(index);
      return;
    }
    // For each task, how many of its dependencies are unfinished, and who waits on it.
    const waitingOn = (this.#waitingOn = new Uint32Array(count));
    const dependents: number[][] = (this.#dependents = []);
    for (let index = 0; index < count; index++) {
      const deps = dependsOn[index];
      if (deps === undefined || deps.length === 0) {
        this.#ready.push(index);
        continue;
      }
      waitingOn[index] = deps.length;
      for (const dep of deps) (dependents[dep] ??= []).push(index);
    }
  }

  /** Starts the first tasks; an empty run ends at once. */
  begin(): void {
    if (this.#count === 0) this.#callbacks.end();
    else this.#pump();
  }

  /** A task's result; the first one counts. */
  settle(index: number, result: T): void {
    if (this.#state[index] !== 1) return;
    this.#state[index] = 2;
    this.#running--;
    this.#inFlight.release();
    this.#record(index, result);
    this.#pump();
  }

  /** Starts no more tasks: every task not started is settled with `skipped`. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#skipRest();
  }

  /** The consumer took delivered results of this weight: they no longer hold the run back. */
  taken(bytes: number): void {
    this.#untaken -= bytes;
    this.#pump();
  }

  /** Called from the task's immediate: runs it, unless the run stopped meanwhile. */
  startNow(index: number): void {
    if (this.#stopped) {
      // Stopped between the claim and the start: it never ran.
      this.#inFlight.release();
      this.#running--;
      this.#state[index] = 0;
      this.#unstarted++;
      this.#skipRest();
      return;
    }
    this.#callbacks.start(index);
  }

  #record(index: number, result: T): void {
    const sizeOf = this.#callbacks.sizeOf;
    const weight = sizeOf === undefined ? 0 : sizeOf(result);
    const dependents = this.#dependents?.[index];
    if (dependents !== undefined) {
      const waitingOn = this.#waitingOn as Uint32Array;
      for (const dependent of dependents) {
        if (--(waitingOn[dependent] as number) === 0) this.#ready.push(dependent);
      }
    }
    if (index !== this.#nextToDeliver) {
      this.#waiting[index] = result;
      this.#heldAhead += weight;
      return;
    }
    this.#untaken += weight;
    this.#callbacks.deliver(index, result);
    let next = index + 1;
    while (next < this.#count && this.#state[next] === 2) {
      const held = this.#waiting[next] as T;
      this.#waiting[next] = undefined; // handed on: let it go
      const heldWeight = sizeOf === undefined ? 0 : sizeOf(held);
      this.#heldAhead -= heldWeight;
      this.#untaken += heldWeight;
      this.#callbacks.deliver(next, held);
      next++;
    }
    this.#nextToDeliver = next;
    if (next === this.#count) this.#callbacks.end();
  }

  #gated(): boolean {
    return this.#heldAhead + this.#untaken > this.#highWater && (this.#running > 0 || this.#untaken > 0);
  }

  #skipRest(): void {
    const state = this.#state;
    for (let index = 0; index < this.#count && this.#unstarted > 0; index++) {
      if (state[index] === 0) {
        state[index] = 2;
        this.#unstarted--;
        this.#record(index, this.#callbacks.skipped(index));
      }
    }
  }

  #claim(index: number): void {
    this.#state[index] = 1;
    this.#unstarted--;
    this.#running++;
    setImmediate(startLater, this, index);
  }

  #pump(): void {
    const ready = this.#ready;
    while (!this.#waitingForPermit && this.#running < this.#concurrency && ready.size > 0 && !this.#gated()) {
      if (this.#stopped) return;
      if (!this.#inFlight.tryAcquire()) {
        this.#waitingForPermit = true;
        void this.#inFlight.acquire().then(() => {
          this.#waitingForPermit = false;
          const next = this.#stopped ? undefined : ready.pop();
          if (next === undefined) {
            this.#inFlight.release();
            return;
          }
          this.#claim(next);
          this.#pump();
        });
        return;
      }
      this.#claim(ready.pop() as number);
    }
  }
}
