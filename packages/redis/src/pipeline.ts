import type { ChainableCommander, Redis } from 'ioredis';

interface Pending {
  add: (pipeline: ChainableCommander) => void;
  /** The job the write changes, to be told to its watchers once per pipeline. */
  job: string | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers a job's writes (answers, start marks) into pipelines: one round trip carries
 * every write made within `delayMs`, or `maxWrites` of them, whichever comes first. A write
 * something waits on (`urgent`: the start mark of an operation that must not run twice)
 * goes out on the next tick, with whatever else is waiting. Writes go out in the order
 * they were made.
 */
export class WritePipeline {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(
    private readonly redis: Redis,
    /** Resolves once the connection is ready; undefined when it already is (then writes go out synchronously, ahead of any later command). */
    private readonly ready: () => Promise<void> | undefined,
    private readonly onRoundTrip: () => void,
    /** Appends the commands that tell watchers these jobs changed (not counted as replies). */
    private readonly notify: (pipeline: ChainableCommander, jobs: ReadonlySet<string>) => void,
    private readonly delayMs = 5,
    private readonly maxWrites = 128,
  ) {}

  /** Queues one command (`add` appends exactly one to the pipeline); resolves with its reply. */
  write<T>(add: (pipeline: ChainableCommander) => void, urgent = false, job?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ add, job, resolve: resolve as (value: unknown) => void, reject });
      if (urgent || this.pending.length >= this.maxWrites) {
        this.urge();
      } else {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.flush();
        }, this.delayMs);
      }
    });
  }

  /** Sends what is waiting on the next tick (something waits on a write already queued). */
  urge(): void {
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.flush();
    });
  }

  /** Sends what is waiting now. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const fail = (error: unknown): void => {
      for (const entry of batch) entry.reject(error);
    };
    const send = (): void => {
      const pipeline = this.redis.pipeline();
      const jobs = new Set<string>();
      for (const entry of batch) {
        entry.add(pipeline);
        if (entry.job !== undefined) jobs.add(entry.job);
      }
      if (jobs.size > 0) this.notify(pipeline, jobs);
      this.onRoundTrip();
      pipeline.exec().then((replies) => {
        batch.forEach((entry, index) => {
          const [error, value] = replies?.[index] ?? [new Error('inbatch: no reply from Redis'), undefined];
          if (error) entry.reject(error);
          else entry.resolve(value);
        });
      }, fail);
    };
    let waiting: Promise<void> | undefined;
    try {
      waiting = this.ready();
    } catch (error) {
      fail(error);
      return;
    }
    if (waiting === undefined) send();
    else waiting.then(send, fail);
  }

  /** Rejects what is still waiting (the store is closing). */
  drop(error: Error): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const batch = this.pending;
    this.pending = [];
    for (const entry of batch) entry.reject(error);
  }
}

type Argument = string | number | Buffer;

/** One job's gathered arguments, and who waits for the command that carries them. */
interface Gathered<Result> {
  args: Argument[];
  waiters: Array<{ resolve: (result: Result) => void; reject: (error: unknown) => void }>;
}

/**
 * Writes of one kind gathered per job until the pipeline goes out, so one command carries
 * all of them (a job's answers in one script call, its start marks in one SADD): the
 * store's cost per operation is then a few array pushes, not a command of its own.
 */
export class GatheredWrites<Result> {
  private readonly waiting = new Map<string, Gathered<Result>>();

  constructor(
    private readonly writes: WritePipeline,
    /** Appends the one command that carries a job's gathered arguments. */
    private readonly command: (pipeline: ChainableCommander, job: string, args: Argument[]) => void,
    /** Whether these writes change what the job's watchers see. */
    private readonly notifies: boolean,
  ) {}

  add(job: string, args: readonly Argument[], urgent: boolean): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      let batch = this.waiting.get(job);
      if (batch === undefined) {
        const created: Gathered<Result> = { args: [], waiters: [] };
        this.waiting.set(job, created);
        batch = created;
        this.writes
          .write<Result>(
            (pipeline) => {
              // Later writes of this job start the next command.
              this.waiting.delete(job);
              this.command(pipeline, job, created.args);
            },
            urgent,
            this.notifies ? job : undefined,
          )
          .then(
            (result) => {
              for (const waiter of created.waiters) waiter.resolve(result);
            },
            (error: unknown) => {
              // A pipeline that failed before it was built (Redis away) never called the
              // command: the next write of this job must start a new one, not join this.
              if (this.waiting.get(job) === created) this.waiting.delete(job);
              for (const waiter of created.waiters) waiter.reject(error);
            },
          );
      } else if (urgent) {
        this.writes.urge();
      }
      batch.args.push(...args);
      batch.waiters.push({ resolve, reject });
    });
  }
}
