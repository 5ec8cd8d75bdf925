import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InnerRequest, InnerResponse } from '../operation.js';

/**
 * What a dispatcher uses of a cancellation signal. An `AbortSignal` is one; so is the
 * lighter `DispatchAbort` (an `AbortSignal` costs a few µs per operation in Node 20).
 */
export interface DispatchSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Limits and cancellation for one dispatch. */
export interface DispatchControl {
  /** Aborting it closes the inner response, so the app sees the client go away. */
  signal: DispatchSignal;
  /** The answer's body is cut off past this many bytes (`batch.part.response_too_large`). */
  maxResponseBytes: number;
}

/** Runs one inner request through the app and returns its answer. */
export type Dispatcher = (request: InnerRequest, control: DispatchControl) => Promise<InnerResponse>;

/** A Node request listener: an Express app, a Koa `app.callback()`, a plain handler. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * How inner requests are dispatched: `fast`, inbatch's own request/response objects, or
 * `light-my-request`, the reference injector the fast one is tested against.
 */
export type DispatcherKind = 'fast' | 'light-my-request';

/** Every dispatcher kind, for option checks and messages. */
export const DISPATCHER_KINDS: readonly DispatcherKind[] = ['fast', 'light-my-request'];

/**
 * The mark every injected request carries. `batch()` refuses a marked request aimed at
 * the batch endpoint, whatever spelling of the path got it there (THREATS T7/V7). A
 * registered symbol, so two copies of this package in one process agree.
 */
export const INNER_REQUEST: unique symbol = Symbol.for('inbatch.inner-request') as never;

/** Whether a Node request was dispatched by inbatch. */
export function isInnerRequest(req: object): boolean {
  return (req as Record<symbol, unknown>)[INNER_REQUEST] === true;
}

/** A thrown value as an Error (apps may throw anything). */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
