import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Framework } from './apps.js';
import { buildContenders } from './contenders.js';
import type { RssResult } from './results.js';
import { SCENARIOS, answerBytes, type ScenarioId } from './scenarios.js';
import { startEnv } from './server-env.js';

const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;

/** Linux only: the process's peak RSS (VmHWM), in bytes. */
function peakRss(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, `echo 5 > clear_refs`); false where that isn't possible. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Peak RSS growth of this (fresh) server process around one batch of N: warm the row up
 * with small batches — a server that has answered only small requests — collect garbage,
 * then reset the kernel's peak counter and run the one large batch. The peak is read
 * from the kernel, so a spike between two JS ticks is not missed.
 */
export async function runRssProbe(
  framework: Framework,
  scenarioId: ScenarioId,
  contenderId: string,
  n: number,
  warmupRuns: number,
): Promise<RssResult> {
  const env = await startEnv(framework, scenarioId, contenderId === 'bassmaster');
  const base = { framework, scenario: scenarioId, contenderId, n, answerBytes: answerBytes(SCENARIOS[scenarioId], n) };
  try {
    const contender = buildContenders(env).contenders.find((c) => c.id === contenderId);
    if (contender === undefined) throw new Error(`no row ${contenderId} in ${framework}/${scenarioId}`);
    for (let run = 0; run < warmupRuns; run++) await contender.run(10, 1);
    gc?.();
    gc?.();
    await delay(50);
    const baseline = process.memoryUsage.rss();
    const exact = resetPeakRss();
    await contender.run(n, 1);
    const peak = exact ? (peakRss() ?? process.memoryUsage.rss()) : process.resourceUsage().maxRSS * 1024;
    return {
      ...base,
      baselineMb: baseline / MB,
      peakMb: peak / MB,
      growthMb: Math.max(0, peak - baseline) / MB,
      method: exact ? 'clear_refs' : 'maxrss',
    };
  } catch (error) {
    return {
      ...base,
      baselineMb: NaN,
      peakMb: NaN,
      growthMb: NaN,
      method: 'maxrss',
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    await env.close();
  }
}
