import { IncomingMessage, OutgoingMessage, ServerResponse } from 'node:http';
import { types } from 'node:util';

type WriteArgs = [chunk: unknown, encoding?: unknown, callback?: unknown];
type NodeWrite = (this: OutgoingMessage, ...args: WriteArgs) => boolean;
type NodeEnd = (this: OutgoingMessage, ...args: WriteArgs) => OutgoingMessage;

// Node's own methods, to replay refused calls on a closed response.
const { write: nodeWrite, end: nodeEnd } = OutgoingMessage.prototype as unknown as { write: NodeWrite; end: NodeEnd };

/**
 * A real response in the state Node leaves one in once it is over (ended or destroyed,
 * and closed). Calls the fast response refuses are replayed on it, so the app gets
 * exactly Node's errors (`ERR_STREAM_WRITE_AFTER_END`, `ERR_STREAM_DESTROYED`,
 * `ERR_STREAM_ALREADY_FINISHED`, `ERR_INVALID_ARG_TYPE`…) through the same channel —
 * thrown, or handed to the callback — and never as an `'error'` event, which would be
 * uncaught without a listener (THREATS §0: nothing may crash the process).
 */
function closedResponse(finished: boolean): OutgoingMessage {
  const res = new ServerResponse(new IncomingMessage(null as never));
  res.finished = finished;
  res.destroyed = true;
  return res;
}

const ENDED = closedResponse(true);
const DESTROYED = closedResponse(false);

/** What Node's `write`/`end` accept as a chunk. */
export function isChunk(chunk: unknown): chunk is string | Uint8Array {
  return typeof chunk === 'string' || types.isUint8Array(chunk);
}

/** Throws Node's own error for a chunk `write`/`end` can't take (`ERR_INVALID_ARG_TYPE`, `ERR_STREAM_NULL_VALUES`). */
export function assertChunk(chunk: unknown): asserts chunk is string | Uint8Array {
  if (isChunk(chunk)) return;
  nodeWrite.call(ENDED, chunk);
  throw new TypeError('Invalid chunk');
}

/** `res.write()` on a response that can't take it (bad chunk, ended, destroyed): Node's answer. */
export function refuseWrite(ended: boolean, ...args: WriteArgs): boolean {
  return nodeWrite.apply(ended ? ENDED : DESTROYED, args);
}

/** `res.end()` on a response that already ended: Node's answer (an error to the callback). */
export function refuseEnd(...args: WriteArgs): void {
  nodeEnd.apply(ENDED, args);
}
