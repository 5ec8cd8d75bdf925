import { EventEmitter } from 'node:events';

/**
 * EventEmitter's methods without its constructor (the socket sets up its own listener
 * table). Saves an init per inner request.
 */
const LazyEmitter = function LazyEmitter() {} as unknown as typeof EventEmitter;
LazyEmitter.prototype = EventEmitter.prototype;

/**
 * An empty listener table as EventEmitter keeps one: a null-prototype record, made as a
 * fast object (EventEmitter makes `{ __proto__: null }`, a dictionary that costs ~200
 * bytes and ~60 ns), since on-finished listens on every socket (Koa, body parsers,
 * finalhandler). Its prototype has no properties and no prototype, so only listeners set
 * are found, as in EventEmitter's own table.
 */
const ListenerTable = function ListenerTable() {} as unknown as new () => Record<string, unknown>;
ListenerTable.prototype = Object.create(null) as object;

/** What the socket needs of its operation: closing the answer. */
export interface SocketOwner {
  destroyAnswer(error: Error | undefined): void;
}

/**
 * The connection of one inner request, shared by `req.socket` and `res.socket` as on a
 * real server. It carries only what apps and middleware read:
 * - the outer client's address, and `encrypted` when the batch came over TLS, so
 *   `req.ip`, `req.secure`, `ctx.ip` read as they did for the batch (THREATS T13/V4);
 * - `readable`/`writable`, which on-finished reads (body-parser 2, finalhandler, Koa) to
 *   tell a finished message from an open one;
 * - `destroy()`, which ends the operation's answer as closing the connection would:
 *   Express's final handler calls it when a route fails after its answer started.
 * No `setTimeout`/`setKeepAlive`/`setNoDelay`, port or local address: there is no
 * connection of its own (docs/compatibility.md, as with light-my-request's mock socket).
 */
export class InnerSocket extends LazyEmitter {
  readonly remoteAddress: string | undefined;
  declare encrypted?: boolean;
  readable = true;
  writable = true;
  destroyed = false;
  readonly #owner: SocketOwner;

  constructor(remoteAddress: string | undefined, encrypted: boolean, owner: SocketOwner) {
    super();
    const emitter = this as unknown as { _events: Record<string, unknown>; _eventsCount: number };
    emitter._events = new ListenerTable();
    emitter._eventsCount = 0;
    this.remoteAddress = remoteAddress;
    // Only over TLS, as on a real socket (tls.TLSSocket has it, net.Socket doesn't).
    if (encrypted) this.encrypted = true;
    this.#owner = owner;
  }

  destroy(error?: Error): this {
    this.#owner.destroyAnswer(error);
    return this;
  }

  /** Marks the connection gone and tells on-finished's listeners (send, Koa stream bodies clean up). */
  close(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.readable = false;
    this.writable = false;
    this.emit('close', false);
  }

  // Node's OutgoingMessage reads these of `res.socket` (writableLength, writableFinished,
  // cork/uncork): an in-memory sink that never holds anything back.
  cork(): void {}
  uncork(): void {}
  get writableLength(): number {
    return 0;
  }
  get writableCorked(): number {
    return 0;
  }
  get writableHighWaterMark(): number {
    return 16384;
  }
}
