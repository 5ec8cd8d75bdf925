import { createHash, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { DialectSet } from '../dialects/dialect.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { jsonAnswer, report } from '../engine/answers.js';
import type { BatchContext } from '../engine/context.js';
import type { PreparedRequests } from '../engine/prepare.js';
import type { JobFile } from '../engine/routes.js';
import { BatchError } from '../errors.js';
import type { BatchAnswer, OuterRequest } from '../node/http.js';
import type { BatchEntry, OperationResult } from '../operation.js';
import { errorResult } from '../results.js';
import type { ResolvedOptions } from '../options.js';
import type { Semaphore } from '../scheduler.js';
import { checkCallbackUrl } from '../webhook/callback-url.js';
import { HostBreaker } from '../webhook/breaker.js';
import { deliverWebhook } from '../webhook/deliver.js';
import { submissionFingerprint } from './fingerprint.js';
import { isoSeconds, jobLinks, type JobFormat } from './format.js';
import { isFinalState, summarize, type JobAnswer, type JobRecord, type JobWebhook } from './job.js';
import { eventStreamAnswer, StreamSlots, wantsEventStream } from './events.js';
import { rebuildPlan, type JobPlanData, type RebuiltPlan } from './plan.js';
import { runJob, storedResult, toAnswer, type JobPlan } from './runner.js';
import { isStatusKept, type IdempotencyClaim, type IdempotentJob, type JobRunQueue, type QueuedJob } from './store.js';

const gzipAsync = promisify(gzip);

/** A batch that passed every check, to be run as a job. */
export interface JobSubmission {
  format: JobFormat;
  entries: readonly BatchEntry[];
  /** The prepared requests: they carry the outer credentials, and go to the runner only. */
  requests: PreparedRequests;
  context: BatchContext;
  webhook: JobWebhook | null;
  outer: OuterRequest;
  /** The batch endpoint's path from the host root: `Location` and the documents' links hang off it. */
  endpoint: string;
  dispatcher: Dispatcher;
  /** The batch as another process can run it; built only for a shared store. */
  plan: () => JobPlanData;
}

/** The async half of the engine: submit, status, files, cancel. */
export interface JobService {
  submit(submission: JobSubmission): Promise<BatchAnswer>;
  status(outer: OuterRequest, id: string, endpoint: string): Promise<BatchAnswer>;
  file(outer: OuterRequest, id: string, file: JobFile, endpoint: string): Promise<BatchAnswer>;
  cancel(outer: OuterRequest, id: string, endpoint: string): Promise<BatchAnswer>;
  /**
   * Whether the store runs jobs through a queue and this process does not serve it yet:
   * the adapter then calls `serve` with how to reach its app (known from a first request).
   */
  readonly wantsDispatcher: boolean;
  serve(dispatcher: () => Dispatcher): void;
}

const MAX_IDEMPOTENCY_KEY = 255;

/** Event streams open at once in one process, and per owner (the README's `batch.stream_limit`). */
const MAX_EVENT_STREAMS = 1000;
const MAX_EVENT_STREAMS_PER_OWNER = 5;

/** Methods RFC 9110 §9.2.2 calls idempotent: running one again after a crash changes nothing more. */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** The `Idempotency-Key` (IETF httpapi draft: an sf-string; bare tokens are accepted too), or undefined. */
function idempotencyKeyOf(outer: OuterRequest): string | undefined {
  const header = outer.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const raw = Array.isArray(header) ? header.join(',') : header.trim();
  const key = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY || !/^[\x20-\x7e]+$/.test(key)) {
    throw new BatchError(
      'batch.idempotency_key_invalid',
      `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY} printable ASCII characters.`,
      { limit: MAX_IDEMPOTENCY_KEY },
    );
  }
  return key;
}

function notFound(): BatchError {
  // The same answer for an unknown id, someone else's job and a deleted one (THREATS T24).
  return new BatchError('batch.job_not_found', 'No batch job has this id.');
}

/** Builds the job service of one middleware. */
export function createJobService(
  options: ResolvedOptions,
  inFlight: Semaphore,
  now: () => number,
  dialects: DialectSet,
): JobService {
  const formats = dialects.formats;
  const { store } = options;
  /** Cancel switches of the jobs running in this process. */
  const running = new Map<string, AbortController>();
  /** Callback hosts that keep failing, per middleware so one app's (or test's) dead hosts don't close another's. */
  const webhookBreaker = new HostBreaker({ now });

  /** Live progress streams open in this process (issue 16: capped per owner and in all). */
  const streams = new StreamSlots(MAX_EVENT_STREAMS, MAX_EVENT_STREAMS_PER_OWNER);

  const eventStream = (outer: OuterRequest, job: JobRecord, links: ReturnType<typeof jobLinks>): BatchAnswer => {
    const release = streams.take(job.owner);
    const format = formats[job.kind];
    return eventStreamAnswer({
      first: job,
      read: () => store.read(job.id, now()),
      watch: (onChange) => store.watch(job.id, onChange),
      word: (current) => format.word(current),
      document: (current) => format.status(current, links).body,
      signal: outer.signal,
      maxLifetimeMs: options.jobTimeoutMs,
      release,
      onError: (error) => report(options.onError, error),
    });
  };

  const ownerOf = (outer: OuterRequest): string =>
    options.ownerOf({ headers: outer.headers, remoteAddress: outer.remoteAddress, encrypted: outer.encrypted });

  /** The job, if it exists and belongs to whoever is asking. */
  const ownJob = async (outer: OuterRequest, id: string): Promise<JobRecord> => {
    const owner = ownerOf(outer);
    const job = await store.read(id, now());
    if (job === undefined || job.owner !== owner) throw notFound();
    return job;
  };

  const submitted = (job: JobRecord, endpoint: string, extra: Record<string, string>): BatchAnswer => {
    const format = formats[job.kind];
    return jsonAnswer(format.submitStatus, format.submitted(job.id), {
      location: jobLinks(endpoint, job.id).status,
      ...extra,
    });
  };

  const ended = (job: JobRecord): void => {
    running.delete(job.id);
    const callbackUrl = job.webhook?.callbackUrl;
    if (callbackUrl !== undefined) {
      void deliverWebhook(
        callbackUrl,
        { uuid: job.id, status: formats[job.kind].word(job) },
        { options: options.webhook, breaker: webhookBreaker },
      );
    }
    const hook = options.onComplete;
    if (hook !== undefined) {
      try {
        void Promise.resolve(hook(summarize(job))).catch((error: unknown) => report(options.onError, error));
      } catch (error) {
        report(options.onError, error);
      }
    }
  };

  /**
   * The answer to a submit under a key already claimed: the earlier job when the batch is
   * the same (a retry), a refusal when it is another one (IETF httpapi idempotency-key
   * draft: 422). The key is bound to the owner, so naming the earlier job leaks nothing.
   */
  const replay = (earlier: IdempotentJob, fingerprint: string | undefined, endpoint: string): BatchAnswer => {
    if (earlier.fingerprint !== fingerprint) {
      throw new BatchError(
        'batch.idempotency_key_reused',
        `This Idempotency-Key was already used for a different batch, ${earlier.job.id}; send this batch under a new key.`,
        { jobId: earlier.job.id },
      );
    }
    return submitted(earlier.job, endpoint, { 'idempotent-replayed': 'true' });
  };

  /**
   * Starts a created job after the submit answered (the job never holds up its own
   * 201/202). A function of its own, so the closures below capture the plan and nothing
   * else of the submission: not the outer request (THREATS T25).
   */
  const launch = (id: string, plan: JobPlan, dispatcher: Dispatcher): void => {
    const cancel = new AbortController();
    running.set(id, cancel);
    setImmediate(() => {
      void runJob(id, plan, { options, store, inFlight, dispatcher, cancel, now }).then((outcome) => {
        running.delete(id);
        if (outcome.kind === 'finished' && outcome.finished?.ended === true) ended(outcome.finished.job);
      });
    });
  };

  const queue = store.runs;
  let serving = false;

  /**
   * Runs a job handed over by a shared store's queue: its first run, or a takeover after
   * the process running it died. Recorded answers stay; operations marked started with no
   * answer were in flight then, and answer `interrupted` (or run again, when idempotent
   * and allowed); the rest run now.
   */
  const runQueued = async (work: QueuedJob, dispatcher: Dispatcher): Promise<void> => {
    const { id } = work;
    const record = await store.read(id, now());
    if (record === undefined) return; // deleted meanwhile: nothing to run
    if (isFinalState(record.state)) {
      // Ended, but the run that ended it stopped before calling back (or this is a duplicate delivery).
      return;
    }
    let rebuilt: RebuiltPlan;
    try {
      rebuilt = rebuildPlan(work.plan, options, dialects);
    } catch (error) {
      report(options.onError, error);
      const finished = await store.finish(id, 'failed', now());
      if (finished?.ended === true) ended(finished.job);
      return;
    }
    const preset: Array<OperationResult | undefined> = record.answers.map((answer) =>
      answer === undefined ? undefined : storedResult(answer),
    );
    const answers: Array<JobAnswer | undefined> = [...record.answers];
    for (const index of work.begun) {
      if (answers[index] !== undefined || index >= answers.length) continue;
      const method = rebuilt.entries[index]?.operation?.method ?? '';
      if (work.retryIdempotent && IDEMPOTENT_METHODS.has(method)) continue;
      const interrupted = errorResult(
        new BatchError(
          'batch.part.interrupted',
          'The run of this job stopped while this operation was in flight (its instance stopped, or lost the job store), so its answer was not kept; it may or may not have taken effect, and was not run again.',
          { where: rebuilt.entries[index]?.where ?? { part: index + 1 } },
        ),
      );
      const answer = toAnswer(interrupted, 'answered', now());
      await store.record(id, index, answer);
      answers[index] = answer;
      preset[index] = interrupted;
    }
    const cancel = new AbortController();
    if (record.cancelRequested) cancel.abort();
    running.set(id, cancel);
    const marks = queue as JobRunQueue;
    const outcome = await runJob(
      id,
      { entries: rebuilt.entries, requests: rebuilt.requests, context: rebuilt.context },
      { options, store, inFlight, dispatcher, cancel, now },
      { preset, answers },
      {
        // Only operations that must not run twice wait for their mark to be stored; the
        // marks of idempotent ones ride along with the next pipelined write.
        gate: (index, request) => {
          if (IDEMPOTENT_METHODS.has(request.method)) {
            marks.begin(id, [index], false).catch(() => undefined);
            return undefined;
          }
          return marks.begin(id, [index], true);
        },
      },
    ).finally(() => running.delete(id));
    if (outcome.kind === 'lost') throw outcome.error;
    if (outcome.finished?.ended === true) ended(outcome.finished.job);
  };

  return {
    async submit(submission) {
      const { format, outer, endpoint } = submission;
      const owner = ownerOf(outer);
      const key = idempotencyKeyOf(outer);
      const idempotency: IdempotencyClaim | undefined =
        key === undefined
          ? undefined
          : {
              // The digest binds the key to its owner: another client's key can't replay this one's job.
              key: createHash('sha256').update(`${owner}\0${key}`).digest('hex'),
              fingerprint: submissionFingerprint(submission),
            };
      if (idempotency !== undefined) {
        const earlier = await store.findByIdempotencyKey(idempotency.key, now());
        if (earlier !== undefined) return replay(earlier, idempotency.fingerprint, endpoint);
      }
      const callbackUrl = submission.webhook?.callbackUrl;
      if (callbackUrl !== undefined) await checkCallbackUrl(callbackUrl, options.webhook);

      const id = randomUUID();
      const creation = await store.create(
        {
          id,
          owner,
          kind: format.kind,
          createdAt: now(),
          statusTtlMs: options.statusTtlMs,
          resultTtlMs: options.resultTtlMs,
          operations: submission.entries.map((entry) => ({ uuid: randomUUID(), ...format.describe(entry) })),
          webhook: submission.webhook,
        },
        {
          exclusive: options.oneJobPerOwner,
          idempotency,
          reserveBytes: options.maxTotalResponseBytes,
          now: now(),
          leaseMs: options.jobTimeoutMs,
        },
      );
      switch (creation.outcome) {
        case 'busy':
          throw new BatchError(
            'batch.owner_busy',
            `Batch ${creation.jobId} is still pending or running; send the next one when it has ended.`,
            { jobId: creation.jobId },
          );
        case 'full':
          throw new BatchError('batch.overloaded', 'Too many batch jobs are kept right now; try again later.');
        case 'replayed':
          // Another submit under the key won the race between the lookup and create.
          return replay(creation, idempotency?.fingerprint, endpoint);
        case 'created':
          break;
      }
      if (queue === undefined) {
        launch(
          id,
          { entries: submission.entries, requests: submission.requests, context: submission.context },
          submission.dispatcher,
        );
      } else {
        try {
          await queue.enqueue(id, submission.plan());
        } catch (error) {
          // Not queued: end it now, so it holds no owner lock and reads as failed.
          await store.finish(id, 'failed', now()).catch(() => undefined);
          throw error;
        }
      }
      const preferred = format.kind === 'json' || format.kind === 'multipart';
      return submitted(creation.job, endpoint, preferred ? { 'preference-applied': 'respond-async' } : {});
    },

    async status(outer, id, endpoint) {
      const job = await ownJob(outer, id);
      const links = jobLinks(endpoint, id);
      if (!isStatusKept(job, now())) {
        // The seed: after an hour the status is gone and the files remain; say where.
        const until = isoSeconds((job.completedAt ?? 0) + job.resultTtlMs);
        const expired = new BatchError(
          'batch.job_expired',
          `The status of batch ${id} is no longer kept; its answers can be downloaded from ${links.jsonl} and ${links.gz} until ${until}.`,
        );
        return jsonAnswer(expired.status, expired.toBody(), {
          link: `<${links.jsonl}>; rel="alternate"; type="application/x-ndjson", <${links.gz}>; rel="alternate"; type="application/gzip"`,
        });
      }
      if (wantsEventStream(outer.headers.accept)) return eventStream(outer, job, links);
      const document = formats[job.kind].status(job, links);
      return jsonAnswer(document.status, document.body);
    },

    async file(outer, id, file, endpoint) {
      const job = await ownJob(outer, id);
      if (!isFinalState(job.state)) {
        throw new BatchError('batch.job_not_finished', `Batch ${id} has not ended yet; its files appear when it has.`);
      }
      const format = formats[job.kind];
      if (file === 'result') {
        const answer = format.result(job);
        if (answer === undefined) {
          throw new BatchError(
            'batch.job_not_found',
            `This batch has no ${file} file; its answers are at ${jobLinks(endpoint, id).jsonl}.`,
          );
        }
        return answer;
      }
      const lines = job.operations.map((_, index) => `${JSON.stringify(format.line(job, index))}\n`).join('');
      // Served as downloads of an inert type, never as something a browser renders (THREATS T30).
      const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
      if (file === 'jsonl') {
        return {
          status: 200,
          headers: {
            'content-type': 'application/x-ndjson',
            'content-disposition': `attachment; filename="${id}.jsonl"`,
            ...headers,
          },
          body: Buffer.from(lines),
        };
      }
      return {
        status: 200,
        headers: {
          // Not Content-Encoding: gzip — clients would inflate it silently (THREATS T30).
          'content-type': 'application/gzip',
          'content-disposition': `attachment; filename="${id}.jsonl.gz"`,
          ...headers,
        },
        body: await gzipAsync(Buffer.from(lines)),
      };
    },

    async cancel(outer, id, endpoint) {
      await ownJob(outer, id);
      const job = await store.cancel(id, now());
      if (job === undefined) throw notFound();
      const links = jobLinks(endpoint, id);
      const format = formats[job.kind];
      if (isFinalState(job.state)) {
        const document = format.status(job, links);
        return jsonAnswer(document.status, document.body);
      }
      running.get(id)?.abort();
      const document = format.status(job, links);
      return jsonAnswer(202, document.body, { location: links.status });
    },

    get wantsDispatcher() {
      return queue !== undefined && !serving;
    },

    serve(dispatcher) {
      if (queue === undefined || serving) return;
      serving = true;
      queue.serve({
        run: (work) => runQueued(work, dispatcher()),
        cancel: (id) => running.get(id)?.abort(),
      });
    },
  };
}
