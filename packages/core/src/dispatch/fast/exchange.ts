import { BatchError } from '../../errors.js';
import { reasonPhrase } from '../../http-grammar.js';
import type { InnerRequest, InnerResponse } from '../../operation.js';
import { answerHasBody, answerHeaders } from '../answer-headers.js';
import type { DispatchControl } from '../dispatcher.js';
import type { FastRequest } from './request.js';
import type { FastResponse } from './response.js';
import type { InnerSocket, SocketOwner } from './socket.js';

const NO_BODY = Buffer.alloc(0);

// Exchanges whose close events are due, emitted by one microtask in the order they ended:
// a list linked through the exchanges themselves, so scheduling allocates nothing.
// A microtask, not process.nextTick: a batch runs its operations in one long chain of
// microtasks, and ticks wait for all of it — every request and response of the batch
// would stay alive (and be copied by each scavenge) until the batch ends. A reaction on a
// settled promise, not queueMicrotask, which makes an AsyncResource per call (~0.3 µs).
let firstDue: Exchange | undefined;
let lastDue: Exchange | undefined;
const SETTLED = Promise.resolve();

function closeWhenDue(exchange: Exchange): void {
  if (lastDue === undefined) {
    firstDue = exchange;
    void SETTLED.then(emitDueCloses);
  } else {
    lastDue.nextDue = exchange;
  }
  lastDue = exchange;
}

function emitDueCloses(): void {
  let exchange = firstDue;
  firstDue = lastDue = undefined;
  let thrown: { error: unknown } | undefined;
  while (exchange !== undefined) {
    const next = exchange.nextDue;
    exchange.nextDue = undefined;
    // A listener that throws must not keep the other operations from closing; its error
    // stays uncaught afterwards, as it would be on a real server (rethrown from a
    // microtask of its own: thrown in a promise reaction it would be an unhandled rejection).
    try {
      exchange.emitClose();
    } catch (error) {
      thrown ??= { error };
    }
    exchange = next;
  }
  if (thrown !== undefined) {
    const { error } = thrown;
    queueMicrotask(() => {
      throw error;
    });
  }
}

function noop(): void {}

const ONCE = { once: true } as const;

/**
 * One inner request in flight: the answer being captured, the promise the engine waits
 * on, and the lifecycle events the app sees. The response's methods report here.
 */
export class Exchange implements SocketOwner {
  declare req: FastRequest;
  declare res: FastResponse;
  declare socket: InnerSocket;
  /** Whether the engine's promise is settled (answered or failed). */
  settled = false;
  /** Whether the close events were emitted (or are scheduled). */
  closing = false;
  /** The exchange whose close events are due after this one's. */
  nextDue: Exchange | undefined = undefined;
  /**
   * The status line as the head was sent (what a client would have received): set when
   * the head is stored, since a wrapper of writeHead (on-headers) may change
   * `res.statusCode` afterwards.
   */
  status = 200;
  statusText = '';
  #first: Buffer | undefined = undefined;
  #chunks: Buffer[] | undefined = undefined;
  #size = 0;
  #onAbort: (() => void) | undefined = undefined;
  #timer: NodeJS.Timeout | undefined = undefined;
  #closeError: Error | undefined = undefined;
  #lost = false;

  constructor(
    readonly request: InnerRequest,
    readonly control: DispatchControl,
    private readonly resolve: (response: InnerResponse) => void,
    private readonly reject: (error: BatchError) => void,
  ) {}

  /**
   * Keeps a body chunk, or cuts the answer off past `maxResponseBytes` (THREATS V9): a
   * `write()` past it closes the response, so a streaming app stops producing; the last
   * chunk, given to `end()`, lets the answer finish first (as the app sees it with the
   * reference dispatcher, which counts bytes as it reads them) and fails it in `answer()`.
   */
  collect(chunk: Buffer, last: boolean): void {
    if (chunk.length === 0 || this.settled) return;
    const size = this.#size + chunk.length;
    if (size > this.control.maxResponseBytes) {
      this.#first = this.#chunks = undefined;
      this.#size = size;
      if (last) return;
      this.#tooLarge();
      this.res.destroy();
      return;
    }
    this.#size = size;
    if (this.#first === undefined) this.#first = chunk;
    else (this.#chunks ??= [this.#first]).push(chunk);
  }

  /** The app ended its answer: hand it to the engine. */
  answer(): void {
    if (this.settled) return;
    if (this.#size > this.control.maxResponseBytes) {
      this.#tooLarge();
      return;
    }
    this.settled = true;
    this.#disarm();
    const res = this.res;
    const status = this.status;
    const body = this.#chunks === undefined ? (this.#first ?? NO_BODY) : Buffer.concat(this.#chunks, this.#size);
    this.#first = this.#chunks = undefined;
    this.resolve({
      status,
      statusText: this.statusText || reasonPhrase(status),
      headers: answerHeaders(res, body.length, answerHasBody(this.request.method, status)),
      body,
    });
  }

  /** The answer was destroyed (by the app, a cut-off, an abort or a thrown error) before it ended. */
  destroyAnswer(error: Error | undefined): void {
    this.res.destroy(error);
  }

  /** Called by the response's `destroy()`: fail the operation and tell the app the connection is gone. */
  destroyed(error: Error | undefined, ended: boolean): void {
    if (!ended) {
      this.#fail(
        this.res.headersSent
          ? new BatchError('batch.part.dispatch_failed', 'The app failed while sending its answer.', { cause: error })
          : new BatchError('batch.part.dispatch_failed', 'The app closed the response without answering.', {
              cause: error,
            }),
      );
    }
    this.#scheduleClose(error, true);
  }

  /** Called by the response's `end()` once it answered: the close events follow, as after a real answer. */
  ended(): void {
    this.#scheduleClose(undefined, false);
  }

  /**
   * Listens to the engine's signal once the app has the request: an abort closes the
   * response, so the app sees its client go away. The engine's signal is a `DispatchAbort`
   * (a listener is an array push); an `AbortSignal` works too.
   */
  armAbort(): void {
    if (this.closing) return;
    const signal = this.control.signal;
    if (signal.aborted) {
      this.res.destroy();
      return;
    }
    this.#onAbort = () => this.res.destroy();
    signal.addEventListener('abort', this.#onAbort, ONCE);
  }

  /** `res.setTimeout()`: a `'timeout'` event if the answer is still open by then. */
  setTimeout(ms: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.closing) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.closing) this.res.emit('timeout');
    }, ms);
    // An idle-connection timer: it must not keep the process alive on its own.
    this.#timer.unref();
  }

  #tooLarge(): void {
    const max = this.control.maxResponseBytes;
    this.#fail(
      new BatchError('batch.part.response_too_large', `The answer is larger than ${max} bytes.`, { limit: max }),
    );
  }

  #fail(error: BatchError): void {
    if (this.settled) return;
    this.settled = true;
    this.#disarm();
    this.#first = this.#chunks = undefined;
    this.reject(error);
  }

  #disarm(): void {
    if (this.#onAbort === undefined) return;
    this.control.signal.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
  }

  #scheduleClose(error: Error | undefined, lost: boolean): void {
    if (this.closing) return;
    this.closing = true;
    this.#disarm();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#closeError = error;
    this.#lost = lost;
    closeWhenDue(this);
  }

  /**
   * The events a request over the wire ends with, each once (loggers, metrics, session
   * stores listen for them): `req` `'close'`, then `res` `'close'` — the order the
   * reference dispatcher fires them in. A lost connection also closes the socket, which
   * on-finished listens to.
   */
  emitClose(): void {
    const { req, res } = this;
    const error = this.#closeError;
    if (error !== undefined && res.listenerCount('error') > 0) {
      // light-my-request emits the error on the response; keep that for listeners, with a
      // listener of our own last so a pipe's error handler can't rethrow it unhandled.
      res.on('error', noop);
      res.emit('error', error);
    }
    res.destroyed = true;
    req.emit('close');
    res.emit('close');
    if (this.#lost) this.socket.close();
  }
}
