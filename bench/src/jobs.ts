import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Framework } from './apps.js';
import type { ProfileName } from './config.js';
import type { JobResult } from './results.js';
import type { ScenarioId } from './scenarios.js';

/** A unit of measurement that runs in a fresh server process (worker.ts). */
export type Job =
  | { kind: 'section'; framework: Framework; scenario: ScenarioId; profile: ProfileName }
  | { kind: 'rss'; framework: Framework; scenario: ScenarioId; contenderId: string; n: number; warmupRuns: number }
  | { kind: 'fairness'; framework: Framework; n: number; profile: ProfileName }
  | { kind: 'stores'; profile: ProfileName }
  | { kind: 'stages'; framework: Framework; scenario: ScenarioId; rowId: string; n: number; profile: ProfileName };

/** Messages a worker sends to the orchestrator. */
export type WorkerMessage = { type: 'log'; line: string } | { type: 'result'; result: JobResult };

const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));

/**
 * Runs a job in a fresh process: nothing (heap, JIT state, sockets, the peers' globals)
 * carries over from one section to the next, and two measurements never share the CPU.
 * Only the peak-RSS probe gets `--expose-gc` (it starts its one batch from a collected
 * heap: a memory probe, not a timed row); timed rows never collect on demand. Deprecation
 * warnings of the peers (DEP0066, DEP0128) would only clutter the report.
 */
export function runJob(job: Job, log: (line: string) => void, timeoutMs: number): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER_ENTRY, [JSON.stringify(job)], {
      execArgv: [...process.execArgv, ...(job.kind === 'rss' ? ['--expose-gc'] : []), '--no-deprecation'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: JobResult | undefined;
    const timer = setTimeout(() => {
      log(`  job timed out after ${timeoutMs} ms; stopping it`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'log') log(message.line);
      else result = message.result;
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (result !== undefined) resolve(result);
      else reject(new Error(`worker for ${JSON.stringify(job)} exited (${code ?? signal}) without a result`));
    });
  });
}
