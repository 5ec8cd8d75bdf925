import type { Framework } from './apps.js';
import type { RunProfile } from './config.js';
import { buildContenders } from './contenders.js';
import { interleave } from './interleave.js';
import { calibrate } from './machine.js';
import type { ContenderInfo, NRun, SectionResult } from './results.js';
import type { ScenarioId } from './scenarios.js';
import { startEnv } from './server-env.js';

function info({ id, label, kind, note }: ContenderInfo): ContenderInfo {
  return { id, label, kind, note };
}

/**
 * One (framework, scenario) section in this process: every contender at every N,
 * interleaved, N ascending (small batches double as JIT warm-up for the large ones).
 */
export async function runSection(
  framework: Framework,
  scenario: ScenarioId,
  profile: RunProfile,
  log: (line: string) => void,
): Promise<SectionResult> {
  const started = Date.now();
  const env = await startEnv(framework, scenario, framework === 'express');
  try {
    const { contenders, unsupported } = buildContenders(env);
    const calibrationMs = [calibrate()];
    const runs: NRun[] = [];
    for (const n of profile.ns) runs.push(await interleave(contenders, n, profile.plan(n), log));
    calibrationMs.push(calibrate());
    return {
      framework,
      scenario,
      contenders: contenders.map(info),
      unsupported: unsupported.map(info),
      runs,
      calibrationMs,
      durationMs: Date.now() - started,
    };
  } finally {
    await env.close();
  }
}
