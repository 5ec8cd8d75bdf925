/** An operation's place in a `TimeoutQueue`: the queue reads and sets these fields itself. */
export interface TimedEntry {
  /** When it times out (`performance.now()` clock); set by `add`. */
  at: number;
  /** Set once it settled or fired: the queue then skips it. */
  done: boolean;
  /** Called once when its time is up. */
  fire(): void;
}

/**
 * The per-operation timeouts of one run, on one timer. Every operation of a run gets the
 * same `timeoutMs`, so deadlines come in start order and a queue is enough: a 1000-part
 * batch arms one timer instead of creating and clearing a thousand. Entries are the
 * operations themselves, so a timeout costs no allocation of its own.
 */
export class TimeoutQueue {
  private readonly queue: TimedEntry[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {}

  /** Calls `entry.fire()` after the run's timeout unless `entry.done` is set first. */
  add(entry: TimedEntry): void {
    entry.at = performance.now() + this.ms;
    entry.done = false;
    this.queue.push(entry);
    if (this.timer === undefined) this.arm();
  }

  /** Stops the timer; pending timeouts never fire. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
  }

  private arm(): void {
    while (this.head < this.queue.length && (this.queue[this.head] as TimedEntry).done) this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    const next = this.queue[this.head];
    this.timer = next === undefined ? undefined : setTimeout(this.expire, Math.max(0, next.at - performance.now()));
  }

  private readonly expire = (): void => {
    const now = performance.now();
    for (let entry = this.queue[this.head]; entry !== undefined && (entry.done || entry.at <= now);) {
      if (!entry.done) {
        entry.done = true;
        entry.fire();
      }
      entry = this.queue[++this.head];
    }
    this.arm();
  };
}
