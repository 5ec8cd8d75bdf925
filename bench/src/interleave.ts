import { performance } from 'node:perf_hooks';
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
  /** Warm-up per contender before the first timed rotation (JIT, caches, keep-alive sockets). */
  warmupMs: number;
  minWarmupRuns: number;
  /** Wall time to spend on timed rotations at this N; the rotation count follows from it. */
  budgetMs: number;
  minRotations: number;
  maxRotations: number;
  /** A sample repeats a small batch until it lasts about this long, so timer and IPC noise stay small. */
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

const gc = (globalThis as { gc?: (options?: { type: 'major' | 'minor' }) => void }).gc;

/**
 * Before each sample: a full GC once batches make real garbage (N ≥ 100), so no contender
 * pays for the previous one's; a scavenge only for small N, where a full GC (5–20 ms
 * here) would cost more than the samples themselves.
 */
function collect(n: number): void {
  gc?.(n >= 100 ? { type: 'major' } : { type: 'minor' });
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

/**
 * Measures every contender at one N, interleaved in the same process: rotation r runs
 * the contenders in turn starting from contender r (A B C, B C A, C A B …), so slow
 * drift of the machine (other tenants, thermal, GC state) hits all of them alike and
 * per-rotation ratios cancel it. Garbage is collected before each sample (with
 * --expose-gc, see `collect`).
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
  const gcStart = performance.now();
  collect(n);
  const gcMs = performance.now() - gcStart;
  let rotationMs = 0;
  for (const [id, ms] of sampleMs) {
    const entry = series.get(id) as Series;
    const slow = ms > plan.strideAboveMs && ms > plan.slowFactor * typical;
    entry.stride = slow ? Math.min(plan.maxStride, Math.max(2, Math.round(ms / (plan.slowFactor * typical)))) : 1;
    rotationMs += ms / entry.stride + gcMs;
  }
  const rotations = Math.max(plan.minRotations, Math.min(plan.maxRotations, Math.round(plan.budgetMs / rotationMs)));
  const strided = [...series.values()].filter((s) => s.stride > 1).map((s) => `${s.id} every ${s.stride}`);
  log(
    `  N=${n}: ${rotations} rotations of ~${rotationMs.toFixed(1)} ms${strided.length > 0 ? ` (${strided.join(', ')})` : ''}`,
  );

  const active = contenders.filter((c) => series.get(c.id)?.error === undefined);
  for (let rotation = 0; rotation < rotations; rotation++) {
    for (let k = 0; k < active.length; k++) {
      const contender = active[(rotation + k) % active.length] as Contender;
      const entry = series.get(contender.id) as Series;
      if (entry.error !== undefined || rotation % entry.stride !== 0) continue;
      const reps = entry.reps;
      collect(n);
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      try {
        const measured = await contender.run(n, reps);
        const wall = measured ?? performance.now() - t0;
        const sample: Sample = { rotation, wallMs: wall / reps, cpuMs: cpuMs(cpu) / reps };
        entry.samples.push(sample);
      } catch (error) {
        entry.error = `rotation ${rotation}: ${message(error)}`;
        log(`  ${contender.id} failed: ${entry.error}`);
      }
    }
  }
  return { n, rotations, series: [...series.values()] };
}
