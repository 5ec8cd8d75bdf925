import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import type { Framework } from './apps.js';
import type { RunProfile } from './config.js';
import { buildContenders } from './contenders.js';
import type { Contender } from './interleave.js';
import { analyzeProfile, type CpuProfile, type ProfileAnalysis } from './profile-analysis.js';
import type { ScenarioId } from './scenarios.js';
import { startEnv } from './server-env.js';

/** The profiler's sampling interval for the stage breakdown (µs), as `cpu-profile` defaults to. */
const STAGE_SAMPLING_US = 100;

export interface CapturedProfile {
  profile: CpuProfile;
  /** Wall time of each profiled batch (ms; client-measured for HTTP rows). */
  walls: number[];
  wallMs: number;
  /** Server-process CPU over the profiled batches (ms, all threads). */
  cpuMs: number;
}

/**
 * Runs `warmup` untimed batches of N, then profiles `batches` more with V8's sampling
 * profiler (the one `node --cpu-prof` uses) started through the inspector, so the profile
 * holds only steady-state batches. Nothing collects garbage on demand: GC shows up where
 * it falls, as in production.
 */
export async function captureProfile(
  row: Contender,
  n: number,
  warmup: number,
  batches: number,
  intervalUs: number,
): Promise<CapturedProfile> {
  for (let i = 0; i < warmup; i++) await row.run(n, 1);
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    // 100 µs (V8's default is 1 ms): a few samples per inner request; finer sampling distorts more than it tells.
    await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await session.post('Profiler.start');
    const cpu = process.cpuUsage();
    const started = performance.now();
    const walls: number[] = [];
    for (let i = 0; i < batches; i++) {
      const t0 = performance.now();
      const measured = await row.run(n, 1);
      // HTTP rows are timed by the client process; in-process rows here.
      walls.push(measured ?? performance.now() - t0);
    }
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const { profile } = await session.post('Profiler.stop');
    return { profile: profile as CpuProfile, walls, wallMs, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    session.disconnect();
  }
}

/** The stage breakdown `pnpm bench` prints for one row (µs per inner request, from the profile). */
export interface StageProfileResult {
  framework: Framework;
  scenario: ScenarioId;
  rowId: string;
  n: number;
  batches: number;
  /** Median wall time per inner request of the profiled batches (µs; the profiler slows them a little). */
  wallPerInnerUs: number;
  cpuPerInnerUs: number;
  /** Sampled main-thread time that was not idle, per inner request (µs). */
  busyPerInnerUs: number;
  stages: Array<{ name: string; perInnerUs: number; share: number }>;
  error?: string;
}

/** Reduces a captured profile to what the report prints. */
export function stageSummary(
  captured: CapturedProfile,
  meta: { framework: Framework; scenario: ScenarioId; rowId: string; n: number },
): StageProfileResult {
  const analysis: ProfileAnalysis = analyzeProfile(captured.profile, 0);
  const inner = captured.walls.length * meta.n;
  const perInner = (ms: number): number => (ms * 1000) / inner;
  const sorted = [...captured.walls].sort((a, b) => a - b);
  return {
    ...meta,
    batches: captured.walls.length,
    wallPerInnerUs: ((sorted[Math.floor(sorted.length / 2)] ?? NaN) * 1000) / meta.n,
    cpuPerInnerUs: perInner(captured.cpuMs),
    busyPerInnerUs: perInner(analysis.busyMs),
    stages: analysis.stages.map((stage) => ({ name: stage.name, perInnerUs: perInner(stage.ms), share: stage.share })),
  };
}

/** One stage-profile job (worker.ts): a fresh server process, one row, GET by default. */
export async function runStageProfile(
  framework: Framework,
  scenario: ScenarioId,
  rowId: string,
  n: number,
  settings: RunProfile['stages'],
): Promise<StageProfileResult> {
  const meta = { framework, scenario, rowId, n };
  const env = await startEnv(framework, scenario, false);
  try {
    const row = buildContenders(env).contenders.find((c) => c.id === rowId);
    if (row === undefined) throw new Error(`no row ${rowId} in ${framework}/${scenario}`);
    const captured = await captureProfile(row, n, settings.warmupBatches, settings.batches, STAGE_SAMPLING_US);
    return stageSummary(captured, meta);
  } catch (error) {
    return {
      ...meta,
      batches: 0,
      wallPerInnerUs: NaN,
      cpuPerInnerUs: NaN,
      busyPerInnerUs: NaN,
      stages: [],
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    await env.close();
  }
}
