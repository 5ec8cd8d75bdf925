import type { ScenarioId } from './scenarios.js';
import type { WireId } from './wire.js';

/** Commands the server process sends to a client process (client-process.ts). */
export type ClientCommand =
  /** Build the outer request of one batch once; `key` names it for `batch`. */
  | { op: 'prepare'; key: string; wire: WireId; scenario: ScenarioId; n: number; port: number; path: string }
  /** Send a prepared batch `reps` times in a row; answers the total wall time. */
  | { op: 'batch'; key: string; reps: number }
  /** Send N separate requests over `connections` keep-alive sockets, `reps` times; answers the total wall time. */
  | { op: 'direct'; scenario: ScenarioId; n: number; port: number; connections: number; reps: number }
  /** Start sending `GET path` every `intervalMs` (open loop) until `probe-stop`. */
  | { op: 'probe-start'; port: number; path: string; intervalMs: number }
  /** Stop probing; answers the latencies (ms) of the probes sent since `probe-start`. */
  | { op: 'probe-stop' };

export interface ClientRequest {
  id: number;
  command: ClientCommand;
}

export type ClientReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
