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

export interface ScheduleOptions<T = unknown> {
  /** Tasks of this run in flight at once. */
  concurrency: number;
  /** Permits shared with other runs; each task holds one while in flight. */
  inFlight: Semaphore;
  /** Once aborted, tasks not yet started are not started. */
  signal: AbortSignal;
  /**
   * The tasks each task waits for (indices). A task starts only after all of them have
   * finished; the graph must be acyclic (dialects refuse cycles before running).
   */
  dependsOn?: ReadonlyArray<readonly number[] | undefined>;
  /**
   * Backpressure: while the results finished but not yet taken by the consumer weigh more
   * than `bytes`, no task starts (a slow reader slows its own run down). A task still starts
   * when none runs and the next result in order is missing, so the run can't stall on itself.
   */
  highWater?: { bytes: number; sizeOf: (result: T) => number };
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

/**
 * Runs `count` tasks with bounded concurrency and yields their results in index order, in
 * groups: every result that is ready, in order, at once — so an answer can stream while
 * later operations still run.
 * Tasks wait for the tasks they depend on. A task calls `done` once with its result (a
 * callback rather than a promise: a batch runs thousands of them, and each promise layer
 * costs); `skipped(i)` stands in for a task never started because the run was aborted.
 * Between tasks the event loop gets a turn (`setImmediate`), so a large batch can't starve
 * other requests (THREATS T8).
 */
export async function* runInOrder<T>(
  count: number,
  task: (index: number, done: (result: T) => void) => void,
  skipped: (index: number) => T,
  options: ScheduleOptions<T>,
): AsyncGenerator<T[], void, undefined> {
  const { concurrency, inFlight, signal, dependsOn, highWater } = options;
  const results = new Array<T | undefined>(count);
  const settled = new Uint8Array(count);
  const started = new Uint8Array(count);
  const ready = new ReadyQueue();
  // For each task, how many of its dependencies are unfinished, and who waits on it.
  const waitingOn = new Uint32Array(count);
  const dependents: number[][] = [];
  for (let index = 0; index < count; index++) {
    const deps = dependsOn?.[index];
    if (deps === undefined || deps.length === 0) {
      ready.push(index);
      continue;
    }
    waitingOn[index] = deps.length;
    for (const dep of deps) (dependents[dep] ??= []).push(index);
  }
  let unstarted = count;
  let running = 0;
  let waitingForPermit = false;
  let stopped = false;
  let wake: (() => void) | undefined;
  // Backpressure: the weight of the results settled and not yet yielded, and the next index to yield.
  let held = 0;
  let nextToYield = 0;
  const gated = (): boolean =>
    highWater !== undefined && held > highWater.bytes && (running > 0 || settled[nextToYield] === 1);

  const settle = (index: number, result: T): void => {
    results[index] = result;
    settled[index] = 1;
    if (highWater !== undefined) held += highWater.sizeOf(result);
    for (const dependent of dependents[index] ?? []) {
      if (--(waitingOn[dependent] as number) === 0) ready.push(dependent);
    }
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const skipRest = (): void => {
    for (let index = 0; index < count; index++) {
      if (started[index] === 0) {
        started[index] = 1;
        unstarted--;
        settle(index, skipped(index));
      }
    }
  };
  // Each start runs in its own setImmediate callback. Node drains microtasks between two
  // immediate callbacks, so one operation's middleware settles before the next one starts:
  // started in one go, an in-memory rate limiter (express-rate-limit's MemoryStore,
  // koa-ratelimit's memory driver hand out a live counter) shows every operation the count
  // after all their hits, where over the wire each request gets a callback of its own. The
  // immediates queued together run in one loop turn, and I/O is polled between turns, so a
  // large batch can't starve other requests either (THREATS T8).
  const launch = (index: number): void => {
    setImmediate(() => {
      if (signal.aborted || stopped) {
        // Stopped between the claim and the start: it never ran.
        inFlight.release();
        running--;
        started[index] = 0;
        unstarted++;
        skipRest();
        return;
      }
      task(index, (result) => {
        running--;
        inFlight.release();
        settle(index, result);
        pump();
      });
    });
  };
  const claim = (index: number): void => {
    started[index] = 1;
    unstarted--;
    running++;
    launch(index);
  };
  function pump(): void {
    while (!waitingForPermit && running < concurrency && ready.size > 0 && !gated()) {
      if (signal.aborted || stopped) {
        skipRest();
        return;
      }
      if (!inFlight.tryAcquire()) {
        waitingForPermit = true;
        void inFlight.acquire().then(() => {
          waitingForPermit = false;
          const next = signal.aborted || stopped ? undefined : ready.pop();
          if (next === undefined) {
            inFlight.release();
            if (signal.aborted || stopped) skipRest();
            return;
          }
          claim(next);
          pump();
        });
        return;
      }
      claim(ready.pop() as number);
    }
  }
  const onAbort = (): void => {
    if (unstarted > 0) skipRest();
  };

  signal.addEventListener('abort', onAbort, { once: true });
  try {
    pump();
    let index = 0;
    while (index < count) {
      while (settled[index] === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      const group: T[] = [];
      let weight = 0;
      while (index < count && settled[index] === 1) {
        const result = results[index] as T;
        if (highWater !== undefined) weight += highWater.sizeOf(result);
        group.push(result);
        results[index] = undefined; // handed on: let it go
        index++;
      }
      nextToYield = index;
      yield group;
      // The consumer asked for more: what it took is no longer held here.
      if (highWater !== undefined) {
        held -= weight;
        pump();
      }
    }
  } finally {
    stopped = true;
    signal.removeEventListener('abort', onAbort);
  }
}
