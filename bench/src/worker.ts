import { PROFILES } from './config.js';
import { runFairness } from './fairness.js';
import type { Job, WorkerMessage } from './jobs.js';
import { runRssProbe } from './memory.js';
import { runStageProfile } from './profile-run.js';
import type { JobResult } from './results.js';
import { runSection } from './section.js';
import { runStores } from './stores.js';

/** Entry of every measuring process forked by main.ts: runs one job, sends its result, exits. */

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      resolve();
      return;
    }
    process.send(message, undefined, undefined, () => resolve());
  });
}

const log = (line: string): void => {
  void send({ type: 'log', line });
};

async function run(job: Job): Promise<JobResult> {
  switch (job.kind) {
    case 'section':
      return { kind: 'section', result: await runSection(job.framework, job.scenario, PROFILES[job.profile], log) };
    case 'rss':
      return {
        kind: 'rss',
        result: await runRssProbe(job.framework, job.scenario, job.contenderId, job.n, job.warmupRuns),
      };
    case 'fairness':
      return { kind: 'fairness', result: await runFairness(job.framework, job.n, PROFILES[job.profile]) };
    case 'stores':
      return { kind: 'stores', result: await runStores(PROFILES[job.profile], log) };
    case 'stages': {
      const settings = PROFILES[job.profile].stages;
      return {
        kind: 'stages',
        result: await runStageProfile(job.framework, job.scenario, job.rowId, job.n, settings),
      };
    }
  }
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const result = await run(job);
await send({ type: 'result', result });
// Peers leave timers and sockets behind (batch-request's agents); don't wait for them.
process.exit(0);
