import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ClientCommand, ClientReply, ClientRequest } from './protocol.js';
import { SCENARIOS, innerRequests, type InnerSpec, type Scenario } from './scenarios.js';
import { WIRE_FORMATS, type OuterAnswer, type OuterSpec, type WireFormat } from './wire.js';

/**
 * The HTTP client, in its own process so that building, sending and reading requests
 * never costs the server process CPU (the server measures its own `process.cpuUsage()`).
 * It is driven over IPC by the server process, one command at a time.
 */

interface Prepared {
  outer: OuterSpec;
  ops: InnerSpec[];
  scenario: Scenario;
  wire: WireFormat;
  port: number;
}

const prepared = new Map<string, Prepared>();
// One keep-alive socket for batches: the connection is opened during warm-up, never timed.
const batchAgent = new Agent({ keepAlive: true, maxSockets: 1 });
const directAgents = new Map<number, Agent>();
const probeAgent = new Agent({ keepAlive: true, maxSockets: 16 });

function exchange(agent: Agent, port: number, spec: OuterSpec): Promise<OuterAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...spec.headers };
    if (spec.body !== undefined) headers['content-length'] = spec.body.length;
    const req = request({ agent, host: '127.0.0.1', port, method: spec.method, path: spec.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
        });
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(spec.body);
  });
}

function directAgent(connections: number): Agent {
  let agent = directAgents.get(connections);
  if (agent === undefined) {
    agent = new Agent({ keepAlive: true, maxSockets: connections });
    directAgents.set(connections, agent);
  }
  return agent;
}

async function runBatch(key: string, reps: number): Promise<number> {
  const batch = prepared.get(key);
  if (batch === undefined) throw new Error(`batch ${key} was not prepared`);
  let wall = 0;
  for (let rep = 0; rep < reps; rep++) {
    const t0 = performance.now();
    const answer = await exchange(batchAgent, batch.port, batch.outer);
    wall += performance.now() - t0;
    // Every answer is checked (outside the timed span): a fast wrong answer must not count.
    const wrong = batch.wire.verify(answer, batch.ops, batch.scenario.expectStatus);
    if (wrong !== undefined) throw new Error(`${batch.wire.id}: ${wrong}`);
  }
  return wall;
}

async function runDirect(command: Extract<ClientCommand, { op: 'direct' }>): Promise<number> {
  const scenario = SCENARIOS[command.scenario];
  const agent = directAgent(command.connections);
  const specs: OuterSpec[] = innerRequests(scenario, command.n).map((op) => ({
    method: op.method,
    path: op.url,
    headers: { ...op.headers },
    body: op.body,
  }));
  let wall = 0;
  for (let rep = 0; rep < command.reps; rep++) {
    const t0 = performance.now();
    // All N at once: the agent queues them on its `connections` sockets, as a browser would.
    const answers = await Promise.all(specs.map((spec) => exchange(agent, command.port, spec)));
    wall += performance.now() - t0;
    const bad = answers.filter((a) => a.status !== scenario.expectStatus || a.body.length === 0).length;
    if (bad > 0) throw new Error(`direct: ${bad} of ${answers.length} answers wrong (e.g. ${answers[0]?.status})`);
  }
  return wall;
}

interface Probing {
  timer: NodeJS.Timeout | undefined;
  inFlight: Set<Promise<void>>;
  latencies: number[];
  errors: number;
  stopped: boolean;
}

let probing: Probing | undefined;

/**
 * Open-loop probes: request k is due at start + k × interval and its latency counts from
 * that due time, so a server that stalls for 20 ms shows 20 ms of latency on every probe
 * that was due meanwhile, not on one (no coordinated omission).
 */
function startProbing(port: number, path: string, intervalMs: number): void {
  const state: Probing = { timer: undefined, inFlight: new Set(), latencies: [], errors: 0, stopped: false };
  probing = state;
  const start = performance.now();
  let sent = 0;
  const spec: OuterSpec = { method: 'GET', path, headers: {}, body: undefined };
  const tick = (): void => {
    if (state.stopped) return;
    const now = performance.now();
    while (start + sent * intervalMs <= now) {
      const due = start + sent * intervalMs;
      sent++;
      const pending: Promise<void> = exchange(probeAgent, port, spec).then(
        (answer) => {
          if (answer.status === 200) state.latencies.push(performance.now() - due);
          else state.errors++;
        },
        () => {
          state.errors++;
        },
      );
      state.inFlight.add(pending);
      void pending.finally(() => state.inFlight.delete(pending));
    }
    state.timer = setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
  };
  tick();
}

async function stopProbing(): Promise<{ latenciesMs: number[]; errors: number }> {
  const state = probing;
  if (state === undefined) throw new Error('not probing');
  state.stopped = true;
  clearTimeout(state.timer);
  await Promise.all([...state.inFlight]);
  probing = undefined;
  return { latenciesMs: state.latencies, errors: state.errors };
}

async function handle(command: ClientCommand): Promise<unknown> {
  switch (command.op) {
    case 'prepare': {
      const scenario = SCENARIOS[command.scenario];
      const wire = WIRE_FORMATS[command.wire];
      const ops = innerRequests(scenario, command.n);
      prepared.set(command.key, { outer: wire.encode(command.path, ops), ops, scenario, wire, port: command.port });
      return true;
    }
    case 'batch':
      return runBatch(command.key, command.reps);
    case 'direct':
      return runDirect(command);
    case 'probe-start':
      startProbing(command.port, command.path, command.intervalMs);
      return true;
    case 'probe-stop':
      return stopProbing();
  }
}

process.on('message', (message: ClientRequest) => {
  handle(message.command).then(
    (value) => process.send?.({ id: message.id, ok: true, value } satisfies ClientReply),
    (error: unknown) =>
      process.send?.({
        id: message.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      } satisfies ClientReply),
  );
});
// The server process owns this one: when it goes, so does the client.
process.on('disconnect', () => process.exit(0));
