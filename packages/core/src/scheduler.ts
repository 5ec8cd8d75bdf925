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
  /** Once aborted, tasks not yet started are not started. */
  signal: AbortSignal;
}

/**
 * Runs `count` tasks with bounded concurrency and yields their results in index order,
 * each as soon as it and all before it are done — so an answer can stream while later
 * operations still run. `task` must not reject; `skipped(i)` stands in for a task that
 * was never started because the run was aborted. Between tasks the event loop gets a
 * turn (`setImmediate`), so a large batch can't starve other requests (THREATS T8).
 */
export async function* runInOrder<T>(
  count: number,
  task: (index: number) => Promise<T>,
  skipped: (index: number) => T,
  options: ScheduleOptions,
): AsyncGenerator<T, void, undefined> {
  const { concurrency, inFlight, signal } = options;
  const results = new Array<T | undefined>(count);
  const ready = new Uint8Array(count);
  let nextToStart = 0;
  let running = 0;
  let waitingForPermit = false;
  let stopped = false;
  let wake: (() => void) | undefined;

  const settle = (index: number, result: T): void => {
    results[index] = result;
    ready[index] = 1;
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const skipRest = (): void => {
    while (nextToStart < count) {
      const index = nextToStart++;
      settle(index, skipped(index));
    }
  };
  const start = (index: number): void => {
    running++;
    void task(index).then((result) => {
      running--;
      inFlight.release();
      settle(index, result);
      setImmediate(pump);
    });
  };
  function pump(): void {
    while (!waitingForPermit && running < concurrency && nextToStart < count) {
      if (signal.aborted || stopped) {
        skipRest();
        return;
      }
      if (!inFlight.tryAcquire()) {
        waitingForPermit = true;
        void inFlight.acquire().then(() => {
          waitingForPermit = false;
          if (signal.aborted || stopped || nextToStart >= count) {
            inFlight.release();
            skipRest();
            return;
          }
          start(nextToStart++);
          pump();
        });
        return;
      }
      start(nextToStart++);
    }
  }
  const onAbort = (): void => skipRest();

  signal.addEventListener('abort', onAbort, { once: true });
  try {
    pump();
    for (let index = 0; index < count; index++) {
      while (ready[index] === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      const result = results[index] as T;
      results[index] = undefined; // written out: let it go
      yield result;
    }
  } finally {
    stopped = true;
    signal.removeEventListener('abort', onAbort);
  }
}
