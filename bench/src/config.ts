import type { Framework } from './apps.js';
import type { InterleavePlan } from './interleave.js';
import type { ScenarioId } from './scenarios.js';

export type ProfileName = 'quick' | 'full';

/** How long and how often everything runs; `--quick` is a smoke run, the default the real one. */
export interface RunProfile {
  name: ProfileName;
  ns: readonly number[];
  plan(n: number): InterleavePlan;
  /** Rows whose peak RSS is measured in a fresh process, per scenario (undefined: every row). */
  rss: { scenarios: readonly ScenarioId[]; only: readonly string[] | undefined };
  /** `idleMs` in all, split into one idle window before each of the `batches` loaded windows. */
  fairness: { idleMs: number; batches: number; warmupBatches: number; intervalMs: number };
  memory: { warmupBatches: number };
  /** The stage profiles (profile-run.ts): untimed batches first, then the profiled ones. */
  stages: { warmupBatches: number; batches: number };
}

export const NS = [1, 10, 100, 1000] as const;

/** Inner requests of the memory, RSS and fairness probes, and of the targets. */
export const TARGET_N = 1000;

export const SECTIONS: ReadonlyArray<{ framework: Framework; scenario: ScenarioId }> = [
  { framework: 'express', scenario: 'get' },
  { framework: 'koa', scenario: 'get' },
  { framework: 'express', scenario: 'post' },
  { framework: 'koa', scenario: 'post' },
  { framework: 'express', scenario: 'io' },
  { framework: 'koa', scenario: 'io' },
  { framework: 'fastify', scenario: 'get' },
  { framework: 'hono', scenario: 'get' },
  { framework: 'fastify', scenario: 'post' },
  { framework: 'hono', scenario: 'post' },
];

// Seconds of timed rotations per N: most of the time goes to N = 1000, where the targets are.
const FULL_BUDGET_S: Record<number, number> = { 1: 2, 10: 2, 100: 5, 1000: 40 };
const QUICK_BUDGET_S: Record<number, number> = { 1: 0.3, 10: 0.3, 100: 0.5, 1000: 2 };
// A sample of several 1000-part batches (≥ 200 ms) holds dozens of scavenges and, every
// few samples, a full collection: its GC share is the steady state's, not luck.
const FULL_SAMPLE_MS: Record<number, number> = { 1: 10, 10: 10, 100: 50, 1000: 200 };
const QUICK_SAMPLE_MS: Record<number, number> = { 1: 5, 10: 5, 100: 20, 1000: 50 };
// Untimed rotations of all rows before timing, long enough for ≥ 20 batches of N = 1000
// and for the heap to grow to its working size.
const FULL_STEADY_S: Record<number, number> = { 1: 0.2, 10: 0.2, 100: 0.5, 1000: 2 };
const QUICK_STEADY_S: Record<number, number> = { 1: 0.05, 10: 0.05, 100: 0.1, 1000: 0.4 };

export const PROFILES: Readonly<Record<ProfileName, RunProfile>> = {
  full: {
    name: 'full',
    ns: NS,
    plan: (n) => ({
      warmupMs: n >= 1000 ? 400 : 150,
      minWarmupRuns: 2,
      steadyMs: (FULL_STEADY_S[n] ?? 1) * 1000,
      budgetMs: (FULL_BUDGET_S[n] ?? 5) * 1000,
      minRotations: 10,
      maxRotations: 300,
      minSampleMs: FULL_SAMPLE_MS[n] ?? 200,
      maxReps: 200,
      slowFactor: 3,
      strideAboveMs: 200,
      maxStride: 3,
    }),
    rss: { scenarios: ['get', 'post', 'io'], only: undefined },
    fairness: { idleMs: 4000, batches: 10, warmupBatches: 5, intervalMs: 2 },
    memory: { warmupBatches: 3 },
    stages: { warmupBatches: 20, batches: 40 },
  },
  quick: {
    name: 'quick',
    ns: NS,
    plan: (n) => ({
      warmupMs: n >= 1000 ? 100 : 40,
      minWarmupRuns: 1,
      steadyMs: (QUICK_STEADY_S[n] ?? 0.4) * 1000,
      budgetMs: (QUICK_BUDGET_S[n] ?? 1) * 1000,
      minRotations: n >= 1000 ? 2 : 3,
      maxRotations: 60,
      minSampleMs: QUICK_SAMPLE_MS[n] ?? 100,
      maxReps: 50,
      slowFactor: 3,
      strideAboveMs: 200,
      maxStride: 2,
    }),
    rss: { scenarios: ['get'], only: ['inbatch-multipart'] },
    fairness: { idleMs: 800, batches: 3, warmupBatches: 2, intervalMs: 2 },
    memory: { warmupBatches: 1 },
    stages: { warmupBatches: 5, batches: 5 },
  },
};
