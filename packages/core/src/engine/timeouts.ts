/** A pending timeout; `cancel()` when the operation settled first. */
export interface PendingTimeout {
  cancel(): void;
}

interface Entry extends PendingTimeout {
  at: number;
  fire: () => void;
  done: boolean;
}

/**
 * The per-operation timeouts of one run, on one timer. Every operation of a run gets the
 * same `timeoutMs`, so deadlines come in start order and a queue is enough: a 1000-part
 * batch arms one timer instead of creating and clearing a thousand.
 */
export class TimeoutQueue {
  private readonly queue: Entry[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {}

  /** Calls `fire` after the run's timeout unless cancelled first. */
  add(fire: () => void): PendingTimeout {
    const entry: Entry = {
      at: performance.now() + this.ms,
      fire,
      done: false,
      cancel() {
        entry.done = true;
      },
    };
    this.queue.push(entry);
    if (this.timer === undefined) this.arm();
    return entry;
  }

  /** Stops the timer; pending timeouts never fire. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
  }

  private arm(): void {
    while (this.head < this.queue.length && (this.queue[this.head] as Entry).done) this.head++;
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
