import { BatchError } from '../errors.js';
import type { BatchAnswer } from '../node/http.js';
import { isFinalState, type JobRecord } from './job.js';

/** How often a quiet stream sends a comment, so proxies and clients keep it open. */
const HEARTBEAT_MS = 15_000;
/** Progress events are coalesced: at most one per this many ms (issue 16). */
const MIN_EVENT_GAP_MS = 250;
/** What the client waits before reconnecting (the `retry:` field). */
const RETRY_MS = 2000;

/** Whether the request asks for the event stream (`Accept: text/event-stream`). */
export function wantsEventStream(accept: string | string[] | undefined): boolean {
  if (accept === undefined) return false;
  const value = Array.isArray(accept) ? accept.join(',') : accept;
  return value.split(',').some((range) => range.split(';')[0]?.trim().toLowerCase() === 'text/event-stream');
}

/** Counts open streams per owner and in all, so a client can't hold the process open with them. */
export class StreamSlots {
  private readonly byOwner = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerOwner: number,
  ) {}

  /** Takes a slot, or throws `429 batch.stream_limit`; answers the release (idempotent). */
  take(owner: string): () => void {
    const mine = this.byOwner.get(owner) ?? 0;
    if (this.total >= this.maxTotal || mine >= this.maxPerOwner) {
      throw new BatchError(
        'batch.stream_limit',
        mine >= this.maxPerOwner
          ? `At most ${this.maxPerOwner} event streams per client are open at once; close one, or poll the status.`
          : 'Too many event streams are open right now; poll the status instead, or try again later.',
        { limit: mine >= this.maxPerOwner ? this.maxPerOwner : this.maxTotal },
      );
    }
    this.total++;
    this.byOwner.set(owner, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.byOwner.get(owner) ?? 1) - 1;
      if (left <= 0) this.byOwner.delete(owner);
      else this.byOwner.set(owner, left);
    };
  }

  /** Streams open now (tests assert they are all released). */
  get open(): number {
    return this.total;
  }
}

/** What a job's event stream needs. */
export interface EventStreamSource {
  /** The job as first read (its owner already checked). */
  first: JobRecord;
  /** Reads the job again (undefined once it is gone). */
  read: () => Promise<JobRecord | undefined>;
  /** Calls back when the job may have changed; answers how to stop. */
  watch: (onChange: () => void) => () => void;
  /** The status word and document of a job, as `GET {path}/{id}` answers them. */
  word: (job: JobRecord) => string;
  document: (job: JobRecord) => unknown;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** The longest the stream stays open (a job that never ends must not hold it forever). */
  maxLifetimeMs: number;
  /** Called once when the stream ends, however it ends. */
  release: () => void;
  onError: (error: unknown) => void;
}

const done = (job: JobRecord): number => job.progress.done + job.progress.cancelled;

function progressEvent(job: JobRecord, word: string): Buffer {
  const data = { id: job.id, kind: job.kind, status: word, progress: job.progress };
  return Buffer.from(`id: ${done(job)}\nevent: progress\ndata: ${JSON.stringify(data)}\n\n`);
}

function endEvent(job: JobRecord, document: unknown): Buffer {
  return Buffer.from(`id: ${done(job)}\nevent: end\ndata: ${JSON.stringify(document)}\n\n`);
}

/**
 * `GET {path}/{id}` as Server-Sent Events: the job's current state first (so nothing is
 * lost between a status read and the stream), then a `progress` event at most every
 * 250 ms while it changes, then `end` with the final status document, and the stream
 * closes. Changes come from the store's `watch` (pub/sub on Redis: any instance's
 * progress reaches every instance), never from polling it in a loop.
 */
export function eventStreamAnswer(source: EventStreamSource): BatchAnswer {
  return {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // nginx and similar proxies buffer responses unless told not to.
      'x-accel-buffering': 'no',
    },
    body: events(source),
  };
}

async function* events(source: EventStreamSource): AsyncGenerator<Buffer, void, undefined> {
  let wake: (() => void) | undefined;
  let changed = false;
  const nudge = (): void => {
    changed = true;
    wake?.();
  };
  const stop = source.watch(nudge);
  source.signal.addEventListener('abort', nudge, { once: true });
  const endAt = performance.now() + source.maxLifetimeMs;
  let timer: NodeJS.Timeout | undefined;
  /** Waits for a change, the next heartbeat, the client leaving or `ms`, whichever is first. */
  const sleep = (ms: number, untilChange: boolean): Promise<void> =>
    new Promise<void>((resolve) => {
      if (source.signal.aborted || (untilChange && changed)) {
        resolve();
        return;
      }
      timer = setTimeout(resolve, Math.max(0, ms));
      wake = untilChange
        ? resolve
        : () => {
            if (source.signal.aborted) resolve();
          };
    }).finally(() => {
      clearTimeout(timer);
      wake = undefined;
    });
  try {
    let job = source.first;
    yield Buffer.from(`retry: ${RETRY_MS}\n\n`);
    if (isFinalState(job.state)) {
      yield endEvent(job, source.document(job));
      return;
    }
    yield progressEvent(job, source.word(job));
    let lastEventAt = performance.now();
    let lastSent = JSON.stringify([job.state, job.cancelRequested, job.progress]);
    for (;;) {
      const left = endAt - performance.now();
      if (left <= 0 || source.signal.aborted) return;
      await sleep(Math.min(HEARTBEAT_MS, left), true);
      if (source.signal.aborted) return;
      if (!changed) {
        yield Buffer.from(': keep-alive\n\n');
        continue;
      }
      // Coalesce: one event per MIN_EVENT_GAP_MS at most, carrying the latest state.
      await sleep(lastEventAt + MIN_EVENT_GAP_MS - performance.now(), false);
      if (source.signal.aborted) return;
      changed = false;
      const next = await source.read();
      if (next === undefined) return; // deleted meanwhile: nothing more to tell
      job = next;
      lastEventAt = performance.now();
      if (isFinalState(job.state)) {
        yield endEvent(job, source.document(job));
        return;
      }
      const state = JSON.stringify([job.state, job.cancelRequested, job.progress]);
      if (state !== lastSent) {
        lastSent = state;
        yield progressEvent(job, source.word(job));
      }
    }
  } catch (error) {
    source.onError(error);
  } finally {
    clearTimeout(timer);
    stop();
    source.signal.removeEventListener('abort', nudge);
    source.release();
  }
}
