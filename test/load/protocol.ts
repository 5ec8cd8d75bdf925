/** What the load server (server.ts) and its drivers (the tests, bench's overload command) share. */

/** The body of `GET /answer/:i?bytes=n`: `i` then a letter of `i`'s own, `n` bytes in all. */
export function answerBody(index: number, bytes: number): string {
  const head = `${index}:`;
  return head + String.fromCharCode(97 + (index % 26)).repeat(Math.max(0, bytes - head.length));
}

/** What the server tells about itself; bytes are RSS. */
export interface LoadStats {
  baseline: number;
  /** The kernel's peak RSS since the last reset. */
  peak: number;
  current: number;
  /** process.getActiveResourcesInfo(): sockets, timers… */
  resources: string[];
  /** Open connections to the server. */
  connections: number;
  /** V8 heap used plus external memory (buffers), after a collection when exposed. */
  heap: number;
  /** Event-loop stalls of 50 ms or more since the last reset: [ms since reset, ms late]. */
  stalls: Array<[number, number]>;
  /** Errors handed to `onError`. */
  unexpectedErrors: number;
  /** uncaughtException and unhandledRejection events. */
  processErrors: number;
}

export type ServerMessage =
  { type: 'listening'; url: string } | { type: 'reset' } | { type: 'stats'; stats: LoadStats };
