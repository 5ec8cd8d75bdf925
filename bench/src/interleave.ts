import { performance } from 'node:perf_hooks';
import { HeapMeter } from './heap-meter.js';
import type { ContenderInfo, NRun, Sample, Series } from './results.js';

/** A row of the benchmark: something that runs N inner requests. */
export interface Contender extends ContenderInfo {
  /**
   * Runs `reps` batches of `n` inner requests back to back. Returns their total wall time
   * (ms) when it was measured elsewhere — the client process times HTTP exchanges, so
   * the IPC round trip is not counted — or undefined to use the runner's own clock.
   */
  run(n: number, reps: number): Promise<number | undefined>;
}

export interface InterleavePlan {
  /** Warm-up per contender before anything is timed (JIT, caches, keep-alive sockets). */
  warmupMs: number;
  minWarmupRuns: number;
  /**
   * Then untimed rotations of every contender for this long, so the heap reaches the size
   * and the collection rhythm that the timed rotations will run in (no GC is ever forced).
   */
  steadyMs: number;
  /** Wall time to spend on timed rotations at this N; the rotation count follows from it. */
  budgetMs: number;
  minRotations: number;
  maxRotations: number;
  /**
   * A sample repeats the batch back to back until it lasts about this long: long enough
   * that the collections inside it are its fair share, and that the garbage it inherits
   * from the previous row (a young generation at most) is small next to its own.
   */
  minSampleMs: number;
  maxReps: number;
  /**
   * A row whose sample takes over `strideAboveMs` and over `slowFactor` × the median row's
   * runs only every few rotations (at most `maxStride`): a 1.5 s peer would otherwise set the
   * pace of the whole rotation.
   */
  slowFactor: number;
  strideAboveMs: number;
  maxStride: number;
}

function cpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs one contender until warm; returns its wall time per batch (ms, runner's clock) and the reps used. */
async function warmUp(contender: Contender, n: number, plan: InterleavePlan): Promise<{ perRunMs: number }> {
  let reps = 1;
  let runs = 0;
  let perRunMs = 0;
  const start = performance.now();
  while (runs < plan.minWarmupRuns || performance.now() - start < plan.warmupMs) {
    const t0 = performance.now();
    await contender.run(n, reps);
    const took = performance.now() - t0;
    runs += reps;
    perRunMs = took / reps;
    // Grow the batch count of tiny N so the warm-up loop isn't dominated by its own overhead.
    if (took < plan.minSampleMs / 2 && reps < plan.maxReps) reps *= 2;
  }
  return { perRunMs };
}

/** Untimed rotations of every contender until `ms` have passed: the process settles into its steady state. */
async function settle(
  contenders: readonly Contender[],
  series: Map<string, Series>,
  n: number,
  ms: number,
): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (const contender of contenders) {
      const entry = series.get(contender.id) as Series;
      if (entry.error !== undefined || entry.stride > 1) continue;
      await contender.run(n, entry.reps);
    }
  }
}

/**
 * Measures every contender at one N, interleaved in the same process: rotation r runs
 * the contenders in turn starting from contender r (A B C, B C A, C A B …), so slow
 * drift of the machine (other tenants, thermal, heap state) hits all of them alike and
 * per-rotation ratios cancel it. Nothing forces a collection: after the warm-up every
 * sample runs in the steady state a server under load is in, and pays for the
 * collections that happen in it, as a request in production does.
 */
export async function interleave(
  contenders: readonly Contender[],
  n: number,
  plan: InterleavePlan,
  log: (line: string) => void = () => {},
): Promise<NRun> {
  const series = new Map<string, Series>();
  const sampleMs = new Map<string, number>();
  for (const contender of contenders) {
    const entry: Series = { id: contender.id, reps: 1, stride: 1, samples: [] };
    series.set(contender.id, entry);
    try {
      const { perRunMs } = await warmUp(contender, n, plan);
      entry.reps = Math.max(1, Math.min(plan.maxReps, Math.ceil(plan.minSampleMs / Math.max(perRunMs, 1e-3))));
      sampleMs.set(contender.id, entry.reps * perRunMs);
    } catch (error) {
      entry.error = `warm-up: ${message(error)}`;
      log(`  ${contender.id} failed in warm-up: ${entry.error}`);
    }
  }
  const typical = [...sampleMs.values()].sort((a, b) => a - b)[Math.floor(sampleMs.size / 2)] ?? 0;
  let rotationMs = 0;
  for (const [id, ms] of sampleMs) {
    const entry = series.get(id) as Series;
    const slow = ms > plan.strideAboveMs && ms > plan.slowFactor * typical;
    entry.stride = slow ? Math.min(plan.maxStride, Math.max(2, Math.round(ms / (plan.slowFactor * typical)))) : 1;
    rotationMs += ms / entry.stride;
  }
  const rotations = Math.max(plan.minRotations, Math.min(plan.maxRotations, Math.round(plan.budgetMs / rotationMs)));
  const strided = [...series.values()].filter((s) => s.stride > 1).map((s) => `${s.id} every ${s.stride}`);
  log(
    `  N=${n}: ${rotations} rotations of ~${rotationMs.toFixed(1)} ms${strided.length > 0 ? ` (${strided.join(', ')})` : ''}`,
  );

  const active = contenders.filter((c) => series.get(c.id)?.error === undefined);
  try {
    await settle(active, series, n, plan.steadyMs);
  } catch (error) {
    log(`  settling at N=${n} failed: ${message(error)}`);
  }
  const heap = new HeapMeter();
  for (let rotation = 0; rotation < rotations; rotation++) {
    for (let k = 0; k < active.length; k++) {
      const contender = active[(rotation + k) % active.length] as Contender;
      const entry = series.get(contender.id) as Series;
      if (entry.error !== undefined || rotation % entry.stride !== 0) continue;
      const reps = entry.reps;
      heap.start();
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      try {
        const measured = await contender.run(n, reps);
        const wall = measured ?? performance.now() - t0;
        const cpuUsed = cpuMs(cpu);
        const window = heap.stop();
        const sample: Sample = {
          rotation,
          wallMs: wall / reps,
          cpuMs: cpuUsed / reps,
          allocBytes: window.allocatedBytes / reps,
          gcPauseMs: window.gcPauseMs / reps,
          majorGcs: window.majorGcCount / reps,
        };
        entry.samples.push(sample);
      } catch (error) {
        heap.stop();
        entry.error = `rotation ${rotation}: ${message(error)}`;
        log(`  ${contender.id} failed: ${entry.error}`);
      }
    }
  }
  return { n, rotations, series: [...series.values()] };
}
