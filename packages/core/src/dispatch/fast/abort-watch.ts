import type { Exchange } from './exchange.js';

// Operations still running at the end of the tick they started in; a closed one leaves a
// hole (its slot is cleared), so nothing here keeps a finished request alive.
let waiting: Array<Exchange | undefined> = [];
let scheduled = false;

function armWaiting(): void {
  const list = waiting;
  waiting = [];
  scheduled = false;
  for (const exchange of list) {
    if (exchange === undefined) continue;
    exchange.watchSlot = -1;
    exchange.armAbort();
  }
}

/**
 * Listens to an operation's abort signal from the event loop's next check phase on. An
 * `AbortSignal` listener costs a few µs — more than a whole Koa request — and most inner
 * requests have answered by then (synchronously, or within their microtasks). Nothing is
 * missed: an abort before then is seen in `signal.aborted` when the operation is armed,
 * so the app sees its client go away at most one event-loop phase later. One
 * `setImmediate` serves every operation started in the same turn.
 */
export function watchAbort(exchange: Exchange): void {
  exchange.watchSlot = waiting.push(exchange) - 1;
  if (scheduled) return;
  scheduled = true;
  setImmediate(armWaiting);
}

/**
 * Forgets an operation that closed before it was armed. A batch runs its operations in
 * one long chain of microtasks that no check phase interrupts: holding them until then
 * would keep every request and response of the batch alive.
 */
export function unwatchAbort(exchange: Exchange): void {
  if (exchange.watchSlot === -1) return;
  waiting[exchange.watchSlot] = undefined;
  exchange.watchSlot = -1;
}
