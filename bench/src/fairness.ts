import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Framework } from './apps.js';
import { ClientProcess } from './client.js';
import type { RunProfile } from './config.js';
import { MULTIPART_ID, buildContenders } from './contenders.js';
import type { FairnessResult, LatencySummary, LoopDelaySummary } from './results.js';
import { startEnv } from './server-env.js';
import { percentile } from './stats.js';

const PROBE_PATH = '/items/probe';

function latencySummary(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/**
 * Measures the event-loop delay over one window with a fresh `monitorEventLoopDelay`
 * (1 ms resolution: an idle loop reads ~1 ms). Fresh per window because Node 20's
 * histogram, once disabled and enabled again, records the whole disabled gap as one delay
 * — a 300 ms "stall" that never happened — and its histograms can't be merged.
 */
async function loopDelayDuring(windows: LoopWindow[], work: () => Promise<unknown>): Promise<void> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  try {
    await work();
  } finally {
    histogram.disable();
    windows.push({ p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6, count: histogram.count });
  }
}

interface LoopWindow {
  p99: number;
  max: number;
  count: number;
}

function loopSummary(windows: readonly LoopWindow[]): LoopDelaySummary {
  const p99s = windows.map((w) => w.p99).sort((a, b) => a - b);
  return {
    windows: windows.length,
    samples: windows.reduce((sum, w) => sum + w.count, 0),
    p99: percentile(p99s, 0.5),
    worstP99: p99s[p99s.length - 1] ?? NaN,
    max: Math.max(...windows.map((w) => w.max)),
  };
}

/**
 * Does a 1000-part batch starve the app's other traffic? A second client process sends
 * ordinary `GET /items/:id` every few ms (open loop) to the same server, in alternating
 * windows: idle (no batch), then while one batch runs, and so on. Alternating matters on
 * this shared box: other tenants' load moves the idle numbers as much as a batch does, so
 * each loaded window is compared with idle windows of the same minutes. The server
 * records its event-loop delay separately for idle and loaded windows.
 */
export async function runFairness(framework: Framework, n: number, profile: RunProfile): Promise<FairnessResult> {
  const env = await startEnv(framework, 'get', false);
  const prober = ClientProcess.start();
  const settings = profile.fairness;
  const base = { framework, n, batches: settings.batches };
  try {
    const ours = buildContenders(env).contenders.find((c) => c.id === MULTIPART_ID);
    if (ours === undefined) throw new Error('no batch endpoint row');
    const probe = async (during: () => Promise<unknown>): Promise<number[]> => {
      await prober.call({ op: 'probe-start', port: env.port, path: PROBE_PATH, intervalMs: settings.intervalMs });
      await during();
      return (await prober.call<{ latenciesMs: number[] }>({ op: 'probe-stop' })).latenciesMs;
    };

    for (let i = 0; i < settings.warmupBatches; i++) await ours.run(n, 1);
    await probe(() => delay(200));

    const idleLoop: LoopWindow[] = [];
    const loadedLoop: LoopWindow[] = [];
    const idle: number[] = [];
    const loaded: number[] = [];
    const batchWallMs: number[] = [];
    const idleWindowMs = settings.idleMs / settings.batches;
    for (let i = 0; i < settings.batches; i++) {
      idle.push(...(await probe(() => loopDelayDuring(idleLoop, () => delay(idleWindowMs)))));
      loaded.push(
        ...(await probe(() =>
          loopDelayDuring(loadedLoop, async () => {
            batchWallMs.push((await ours.run(n, 1)) ?? NaN);
          }),
        )),
      );
    }
    return {
      ...base,
      batchWallMs,
      idle: latencySummary(idle),
      loaded: latencySummary(loaded),
      loopIdle: loopSummary(idleLoop),
      loopLoaded: loopSummary(loadedLoop),
    };
  } catch (error) {
    const empty = { count: 0, p50: NaN, p99: NaN, max: NaN };
    const noLoop = { windows: 0, samples: 0, p99: NaN, worstP99: NaN, max: NaN };
    return {
      ...base,
      batchWallMs: [],
      idle: empty,
      loaded: empty,
      loopIdle: noLoop,
      loopLoaded: noLoop,
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    prober.close();
    await env.close();
  }
}
