import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import {
  BatchError,
  isFinalState,
  isResultKept,
  isStatusKept,
  isSuccess,
  answerSize,
  type FinishedJob,
  type IdempotentJob,
  type JobAnswer,
  type JobClaim,
  type JobCreation,
  type JobPlanData,
  type JobRecord,
  type JobRunQueue,
  type JobState,
  type JobStore,
  type JobWorker,
  type NewJob,
  type RecordReceipt,
} from '@inbatch/core';
import { decodeJob, encodeAnswer, headOf } from './codec.js';
import { resolveStoreOptions, type RedisJobStoreOptions } from './options.js';
import { GatheredWrites, WritePipeline } from './pipeline.js';
import { CANCEL, CREATE, EXPIRE, FINISH, RECORD, RENEW, START } from './scripts.js';
import { readKey, seal, unseal } from './seal.js';

/** The Redis store: a `JobStore` with a run queue, and what an app needs to shut it down. */
export interface RedisJobStore extends JobStore {
  readonly runs: JobRunQueue;
  /** Stops taking jobs (a running one is given up and taken over by another instance) and closes every connection. */
  close(): Promise<void>;
  /** Redis round trips made so far (a pipeline counts once): the benchmark's measure of batching. */
  stats(): { roundTrips: number };
}

// Extra real time the keys of a finished job are kept past its files' expiry, so
// reads decide expiry by the engine's clock (`now`) rather than by Redis deleting keys.
const GC_SLACK_MS = 60 * 60 * 1000;
const QUEUE_NAME = 'jobs';

type Scripts = Record<'create' | 'start' | 'record' | 'finish' | 'cancel' | 'expire' | 'renew', string>;
const SCRIPTS: Record<keyof Scripts, { keys: number; lua: string }> = {
  create: { keys: 6, lua: CREATE },
  start: { keys: 1, lua: START },
  record: { keys: 4, lua: RECORD },
  finish: { keys: 7, lua: FINISH },
  cancel: { keys: 1, lua: CANCEL },
  expire: { keys: 3, lua: EXPIRE },
  renew: { keys: 1, lua: RENEW },
};

interface ScriptCommands {
  inbatchCreate(...args: Array<string | number>): Promise<string[]>;
  inbatchStart(...args: Array<string | number>): Promise<number>;
  inbatchRecord(...args: Array<string | number | Buffer>): Promise<number>;
  inbatchFinish(...args: Array<string | number>): Promise<number>;
  inbatchCancel(...args: Array<string | number>): Promise<number>;
  inbatchExpire(...args: Array<string | number>): Promise<number>;
  inbatchRenew(...args: Array<string | number>): Promise<number>;
}
type CommandClient = Redis & ScriptCommands;

const commandName = (name: string): string => `inbatch${name[0]?.toUpperCase() ?? ''}${name.slice(1)}`;

/** The connection options every connection of the store starts from. */
function baseOptions(connection: RedisJobStoreOptions['connection']): RedisOptions {
  if (typeof connection === 'string') {
    // ioredis parses the URL; a lazy client opens nothing.
    const parsed = new Redis(connection, { lazyConnect: true });
    const options = { ...parsed.options };
    parsed.disconnect();
    return options;
  }
  if (connection instanceof Redis) return { ...connection.options };
  return { ...connection };
}

function unavailable(cause: unknown): BatchError {
  return new BatchError(
    'batch.store_unavailable',
    'The job store is not reachable right now; try again in a few seconds.',
    { cause },
  );
}

/**
 * A job store on Redis, shared by every instance of an app: jobs, answers, the per-owner
 * lock and idempotency claims live in Redis (atomic Lua scripts), and jobs run on a BullMQ
 * queue served by every instance with the middleware mounted, so a job is read, downloaded
 * and cancelled from any instance and survives the one that accepted it. The outer
 * request's credentials travel with the job encrypted (AES-256-GCM with `key`), only until
 * it ends. Nothing connects until `batch()` is created with it.
 *
 * @example
 * import { redisJobStore } from '@inbatch/redis';
 * app.use(batch({ store: redisJobStore({ connection: { host: '127.0.0.1', port: 6379 }, key: process.env.INBATCH_KEY }) }));
 */
export function redisJobStore(options: RedisJobStoreOptions): RedisJobStore {
  const resolved = resolveStoreOptions(options);
  let closed = false;
  // Connections report their own closing as errors; once closed, that is expected.
  const settings = { ...resolved, onError: (error: unknown) => closed || resolved.onError(error) };
  const key = readKey(options.key);
  const base = `{${settings.prefix}}`;
  const keys = {
    job: (id: string) => `${base}:job:${id}`,
    answers: (id: string) => `${base}:ans:${id}`,
    begun: (id: string) => `${base}:begun:${id}`,
    plan: (id: string) => `${base}:plan:${id}`,
    owner: (owner: string) => `${base}:owner:${owner}`,
    idem: (digest: string) => `${base}:idem:${digest}`,
    used: `${base}:used`,
    usage: `${base}:usage`,
    ends: `${base}:ends`,
    cancels: `${base}:cancels`,
    changes: (id: string) => `${base}:changes:${id}`,
  };
  const connection = baseOptions(options.connection);
  if (connection.keyPrefix) {
    throw new TypeError('inbatch: redisJobStore needs a connection without keyPrefix; use the "prefix" option');
  }
  // Reconnect within 2 s once Redis is back (BullMQ's own default backs off to 20 s), so
  // jobs resume soon after an outage; a strategy the user gave is kept.
  connection.retryStrategy ??= (times: number) => Math.min(times * 100, 2000);
  let roundTrips = 0;
  const counted = <T>(work: Promise<T>): Promise<T> => {
    roundTrips++;
    return work;
  };

  // Commands fail fast while Redis is away (no offline queue, no resend after a reconnect:
  // a submit answered 503 must not be created later), and each is bounded in time.
  const commands = new Redis({
    ...connection,
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: settings.commandTimeoutMs,
    connectionName: 'inbatch:store',
  }) as CommandClient;
  for (const [name, script] of Object.entries(SCRIPTS)) {
    commands.defineCommand(commandName(name), { numberOfKeys: script.keys, lua: script.lua });
  }
  commands.on('error', () => {
    // Connection errors surface as failed commands (503s); ioredis reconnects by itself.
  });
  /** Undefined when the connection is ready now; else a wait bounded by `commandTimeoutMs`. */
  const readyNow = (): Promise<void> | undefined => {
    if (closed) throw unavailable(new Error('the store is closed'));
    if (commands.status === 'ready') return undefined;
    if (commands.status === 'wait') void commands.connect().catch(() => undefined);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        commands.off('ready', onReady);
        reject(unavailable(new Error(`Redis was not ready within ${settings.commandTimeoutMs} ms`)));
      }, settings.commandTimeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      commands.once('ready', onReady);
    });
  };
  const ready = async (): Promise<void> => {
    await readyNow();
  };
  /** A request-path call: bounded, and any Redis failure becomes a 503 the client can retry. */
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      await ready();
      return await work();
    } catch (error) {
      throw error instanceof BatchError ? error : unavailable(error);
    }
  };
  const writes = new WritePipeline(
    commands,
    readyNow,
    () => roundTrips++,
    (pipeline, jobs) => {
      for (const id of jobs) pipeline.publish(keys.changes(id), '1');
    },
  );

  /** A job's answers within one pipeline go in one script call (RECORD loops over them). */
  const recordWrites = new GatheredWrites<number>(
    writes,
    (pipeline, id, args) => {
      void (pipeline as unknown as ScriptCommands).inbatchRecord(
        keys.job(id),
        keys.answers(id),
        keys.used,
        keys.usage,
        id,
        settings.keepMs,
        ...args,
      );
    },
    true,
  );
  /** A job's start marks within one pipeline go in one SADD. */
  const beginWrites = new GatheredWrites<unknown>(
    writes,
    (pipeline, id, args) => {
      pipeline.sadd(keys.begun(id), ...args.map(String));
    },
    false,
  );

  // One subscriber connection, opened when first needed: cancels for the jobs running
  // here, and the changes of jobs whose live progress someone here is streaming.
  let subscriber: Redis | undefined;
  const watchers = new Map<string, Set<() => void>>();
  let onCancel: ((id: string) => void) | undefined;
  const subscriberConnection = (): Redis => {
    if (subscriber !== undefined) return subscriber;
    const connected = new Redis({ ...connection, connectionName: 'inbatch:events', maxRetriesPerRequest: null });
    connected.on('error', () => {
      // reconnects by itself (and resubscribes); what was missed meanwhile reaches the
      // runner with its next answer, and a stream with its next change or heartbeat
    });
    connected.on('message', (channel: string, message: string) => {
      if (channel === keys.cancels) onCancel?.(message);
      else for (const notify of watchers.get(channel) ?? []) notify();
    });
    subscriber = connected;
    return connected;
  };

  const readJob = async (id: string): Promise<JobRecord | undefined> => {
    const replies = await counted(commands.pipeline().hgetall(keys.job(id)).hgetallBuffer(keys.answers(id)).exec());
    const [[jobError, fields], [answersError, answers]] = (replies ?? []) as Array<[Error | null, unknown]> as [
      [Error | null, Record<string, string>],
      [Error | null, Record<string, Buffer>],
    ];
    if (jobError) throw jobError;
    if (answersError) throw answersError;
    return decodeJob(fields, answers);
  };

  const ownerLeaseMs = (claim: JobClaim): number => (claim.leaseMs ?? 10 * 60 * 1000) + 2 * settings.lockDurationMs;

  // The queue side, created when the middleware starts serving (first request), never at import.
  let queue: Queue | undefined;
  let worker: Worker | undefined;
  let served = false;
  const getQueue = (): Queue => {
    if (queue !== undefined) return queue;
    queue = new Queue(QUEUE_NAME, {
      connection: { ...connection, enableOfflineQueue: false, connectionName: 'inbatch:queue' } as ConnectionOptions,
      prefix: `${base}:q`,
      defaultJobOptions: {
        // A run that could not keep its answers (Redis away) is tried again, resuming.
        attempts: 8,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: true,
        removeOnFail: { count: 1000, age: 24 * 60 * 60 },
      },
    });
    queue.on('error', settings.onError);
    return queue;
  };
  const bounded = <T>(work: Promise<T>, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(unavailable(new Error(`${what} took over ${settings.commandTimeoutMs} ms`))),
        settings.commandTimeoutMs,
      );
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof BatchError ? error : unavailable(error));
        },
      );
    });

  /** Ends a job once (FINISH): 1 when this call ended it, 0 when it had ended, -1 when it is gone. */
  const finishCommand = (id: string, state: JobState, now: number): Promise<number> =>
    commands.inbatchFinish(
      keys.job(id),
      keys.answers(id),
      keys.begun(id),
      keys.plan(id),
      keys.used,
      keys.usage,
      keys.ends,
      id,
      state,
      now,
      GC_SLACK_MS,
    );

  const finishFailed = async (id: string, error: unknown): Promise<void> => {
    settings.onError(error);
    try {
      await ready();
      roundTrips++;
      await finishCommand(id, 'failed', Date.now());
    } catch (finishError) {
      settings.onError(finishError);
    }
  };

  const runs: JobRunQueue = {
    serve(handlers: JobWorker) {
      if (served) {
        process.emitWarning(
          'inbatch: this redisJobStore already serves a batch() middleware; give each batch() its own store and prefix.',
        );
        return;
      }
      served = true;
      const runOne = async (job: Job<{ id: string }>): Promise<void> => {
        const { id } = job.data;
        const replies = await counted(
          commands
            .pipeline()
            .getBuffer(keys.plan(id))
            .smembers(keys.begun(id))
            .hmget(keys.job(id), 'owner', 'lease')
            .exec(),
        );
        const [[planError, sealed], [begunError, begun], [ownerError, ownerFields]] = (replies ?? []) as [
          [Error | null, Buffer | null],
          [Error | null, string[]],
          [Error | null, Array<string | null>],
        ];
        const [ownerKey, lease] = ownerFields ?? [];
        const readError = planError ?? begunError ?? ownerError;
        if (readError !== null) throw readError;
        if (sealed === null) {
          // No plan means the job ended (its plan is deleted then) or was deleted: nothing to run.
          const record = await readJob(id);
          if (record !== undefined && !isFinalState(record.state)) {
            await finishFailed(id, new Error(`inbatch: job ${id} has no stored plan; it can't be run`));
          }
          return;
        }
        if (ownerKey && lease) {
          // A takeover holds the owner's lock for a whole run again.
          roundTrips++;
          await commands.inbatchRenew(ownerKey, id, lease);
        }
        const plan = JSON.parse(unseal(key, id, sealed).toString('utf8')) as JobPlanData;
        await handlers.run({
          id,
          plan,
          begun: new Set(begun.map(Number)),
          retryIdempotent: settings.retryIdempotent,
        });
      };
      worker = new Worker(QUEUE_NAME, runOne, {
        connection: {
          ...connection,
          maxRetriesPerRequest: null,
          connectionName: 'inbatch:worker',
        } as ConnectionOptions,
        prefix: `${base}:q`,
        concurrency: settings.workerConcurrency,
        lockDuration: settings.lockDurationMs,
        stalledInterval: settings.lockDurationMs,
        // Each takeover makes progress (in-flight operations are answered `interrupted`).
        maxStalledCount: 20,
      });
      worker.on('error', settings.onError);
      worker.on('failed', (job: Job<{ id: string }> | undefined, error: Error) => {
        if (job === undefined) return;
        const attempts = job.opts.attempts ?? 1;
        if (job.attemptsMade >= attempts || error.name === 'UnrecoverableError' || /stalled/i.test(error.message)) {
          void finishFailed(job.data.id, error);
        }
      });
      onCancel = (id) => handlers.cancel(id);
      void subscriberConnection().subscribe(keys.cancels).catch(settings.onError);
    },

    async enqueue(id: string, plan: JobPlanData): Promise<void> {
      const sealed = seal(key, id, Buffer.from(JSON.stringify(plan)));
      await guarded(() => counted(commands.set(keys.plan(id), sealed, 'PX', settings.keepMs)));
      roundTrips++;
      await bounded(getQueue().add('job', { id }, { jobId: id }), 'Queueing the job');
    },

    begin(id: string, indices: readonly number[], urgent: boolean): Promise<void> {
      if (indices.length === 0) return Promise.resolve();
      return beginWrites.add(id, indices, urgent).then(() => undefined);
    },
  };

  const store: RedisJobStore = {
    runs,

    create(job: NewJob, claim: JobClaim): Promise<JobCreation> {
      return guarded(async () => {
        const idempotency = claim.idempotency;
        const lease = ownerLeaseMs(claim);
        const keepMs = 3 * lease + job.resultTtlMs;
        roundTrips++;
        const reply = await commands.inbatchCreate(
          keys.job(job.id),
          keys.owner(job.owner),
          keys.idem(idempotency?.key ?? 'none'),
          keys.used,
          keys.usage,
          keys.ends,
          job.id,
          claim.exclusive ? '1' : '0',
          idempotency === undefined ? '0' : '1',
          idempotency?.fingerprint ?? '',
          claim.reserveBytes,
          settings.maxResultBytes,
          claim.now,
          JSON.stringify(headOf(job)),
          lease,
          keepMs,
          keepMs,
          base,
          job.statusTtlMs,
          job.resultTtlMs,
        );
        switch (reply[0]) {
          case 'created':
            // What the script just wrote: no need to read it back.
            return {
              outcome: 'created',
              job: {
                ...job,
                state: 'pending',
                cancelRequested: false,
                startedAt: null,
                updatedAt: claim.now,
                completedAt: null,
                answers: new Array<JobAnswer | undefined>(job.operations.length).fill(undefined),
                progress: { total: job.operations.length, done: 0, failed: 0, cancelled: 0 },
                resultBytes: 0,
              },
            };
          case 'busy':
            return { outcome: 'busy', jobId: reply[1] as string };
          case 'replayed': {
            const earlier = await readJob(reply[1] as string);
            if (earlier === undefined) return { outcome: 'full' };
            return { outcome: 'replayed', job: earlier, fingerprint: reply[2] as string };
          }
          default:
            return { outcome: 'full' };
        }
      });
    },

    findByIdempotencyKey(digest: string, now: number): Promise<IdempotentJob | undefined> {
      return guarded(async () => {
        const claimed = await counted(commands.get(keys.idem(digest)));
        if (claimed === null) return undefined;
        const sep = claimed.indexOf('\n');
        const job = await readJob(claimed.slice(0, sep));
        if (job === undefined || !isStatusKept(job, now)) return undefined;
        return { job, fingerprint: claimed.slice(sep + 1) };
      });
    },

    async start(id: string, now: number): Promise<void> {
      await writes.write(
        (pipeline) => {
          void (pipeline as unknown as ScriptCommands).inbatchStart(keys.job(id), now);
        },
        false,
        id,
      );
    },

    async record(id: string, index: number, answer: JobAnswer): Promise<RecordReceipt> {
      const cancel = await recordWrites.add(
        id,
        [
          index,
          encodeAnswer(answer),
          answerSize(answer),
          answer.outcome === 'answered' ? 'a' : 'c',
          isSuccess(answer) ? '1' : '0',
          answer.completedAt,
        ],
        false,
      );
      return { cancelRequested: cancel === 1 };
    },

    async finish(id: string, state: JobState, now: number): Promise<FinishedJob | undefined> {
      await ready();
      // Answers still waiting in the pipeline go first: the job ends with every answer.
      writes.flush();
      roundTrips++;
      const outcome = await finishCommand(id, state, now);
      if (outcome === -1) return undefined;
      if (outcome === 1) await counted(commands.publish(keys.changes(id), '1'));
      const job = await readJob(id);
      return job === undefined ? undefined : { job, ended: outcome === 1 };
    },

    read(id: string, now: number): Promise<JobRecord | undefined> {
      return guarded(async () => {
        // This process's own writes still waiting go first: it reads what it wrote.
        writes.flush();
        const job = await readJob(id);
        if (job === undefined) return undefined;
        if (isResultKept(job, now)) return job;
        // Past its files' expiry by the app's clock: deleted now, as the memory store does.
        roundTrips++;
        await commands.inbatchExpire(keys.used, keys.usage, keys.ends, now, base);
        return undefined;
      });
    },

    cancel(id: string, now: number): Promise<JobRecord | undefined> {
      return guarded(async () => {
        roundTrips++;
        const asked = await commands.inbatchCancel(keys.job(id), now);
        if (asked === -1) return undefined;
        // Reaches the instance running the job at once; its next answer would tell it too.
        if (asked === 1) {
          await counted(commands.pipeline().publish(keys.cancels, id).publish(keys.changes(id), '1').exec());
        }
        const job = await readJob(id);
        return job !== undefined && isResultKept(job, now) ? job : undefined;
      });
    },

    watch(id: string, onChange: () => void): () => void {
      const channel = keys.changes(id);
      let set = watchers.get(channel);
      const first = set === undefined;
      if (set === undefined) watchers.set(channel, (set = new Set()));
      set.add(onChange);
      const events = subscriberConnection();
      // Once subscribed, look again: a change between the caller's read and the
      // subscription would otherwise go unseen.
      if (first) void events.subscribe(channel).then(onChange, settings.onError);
      else queueMicrotask(onChange);
      return () => {
        set.delete(onChange);
        if (set.size === 0 && watchers.get(channel) === set) {
          watchers.delete(channel);
          void events.unsubscribe(channel).catch(() => undefined);
        }
      };
    },

    expire(now: number): Promise<number> {
      return guarded(() => counted(commands.inbatchExpire(keys.used, keys.usage, keys.ends, now, base)));
    },

    async close(): Promise<void> {
      closed = true;
      writes.drop(unavailable(new Error('the store is closed')));
      await Promise.allSettled([worker?.close(true), queue?.close()]);
      subscriber?.disconnect();
      commands.disconnect();
    },

    stats: () => ({ roundTrips }),
  };
  return store;
}
