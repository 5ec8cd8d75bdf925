import type { Framework } from './apps.js';
import type { StageProfileResult } from './profile-run.js';
import type { ScenarioId } from './scenarios.js';

/**
 * The data that workers send to the orchestrator and that ends up in the JSON file.
 * Raw samples travel; statistics are computed once, in the orchestrator (stats.ts).
 */

/**
 * - floor: a baseline the targets are measured against (route logic, fake req/res, light-my-request)
 * - direct: N separate keep-alive HTTP requests (what a batch replaces)
 * - ours: inbatch's batch endpoint over HTTP
 * - peer: a public batch library over HTTP
 * - diagnostic: a piece of ours alone (the core dispatcher), to locate overhead
 */
export type ContenderKind = 'floor' | 'direct' | 'ours' | 'peer' | 'diagnostic';

/** Stable ids of the rows ratios are taken against. */
export const FLOOR_IDS = { route: 'route', fake: 'fake', inject: 'inject' } as const;

export interface ContenderInfo {
  id: string;
  label: string;
  kind: ContenderKind;
  /** What the row cannot do, or how it was set up. */
  note: string;
}

/** One timed sample: `reps` back-to-back batches of N, divided by `reps`. */
export interface Sample {
  /** The rotation it ran in: ratios pair samples of the same rotation. */
  rotation: number;
  /** Wall time of one batch (ms). */
  wallMs: number;
  /** CPU time of the server process (user + system, all threads) during one batch (ms). */
  cpuMs: number;
  /** Bytes the server process allocated on its V8 heap during one batch (heap-meter.ts). */
  allocBytes: number;
  /** Main-thread GC time of the server process during one batch (ms). */
  gcPauseMs: number;
  /** Full collections per batch (a fraction when they are rarer than batches). */
  majorGcs: number;
}

export interface Series {
  id: string;
  /** Batches per sample (small N: several, so a sample lasts long enough to time). */
  reps: number;
  /** Runs in every `stride`-th rotation only (the slowest peers), so the rows the targets compare get more rotations. */
  stride: number;
  /** One sample per rotation it ran in, in order; stops early if the contender failed. */
  samples: Sample[];
  error?: string;
}

export interface NRun {
  n: number;
  rotations: number;
  series: Series[];
}

export interface SectionResult {
  framework: Framework;
  scenario: ScenarioId;
  contenders: ContenderInfo[];
  /** Contenders that can't run this scenario at all, with the reason. */
  unsupported: ContenderInfo[];
  runs: NRun[];
  /** A fixed CPU probe (ms) at the start and end of the section: a busy box shows up here. */
  calibrationMs: number[];
  durationMs: number;
}

export interface RssResult {
  framework: Framework;
  scenario: ScenarioId;
  contenderId: string;
  n: number;
  baselineMb: number;
  peakMb: number;
  growthMb: number;
  /** Bytes of inner answer bodies in the measured batch. */
  answerBytes: number;
  /** `clear_refs`: peak reset just before the batch (exact); `maxrss`: peak since process start. */
  method: 'clear_refs' | 'maxrss';
  error?: string;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Event-loop delay over several windows (one histogram per window), ms. */
export interface LoopDelaySummary {
  windows: number;
  samples: number;
  /** Median over windows of each window's p99. */
  p99: number;
  /** The worst window's p99. */
  worstP99: number;
  max: number;
}

export interface FairnessResult {
  framework: Framework;
  n: number;
  batches: number;
  batchWallMs: number[];
  /** Latency of ordinary `GET /items/:id` requests from another process, ms. */
  idle: LatencySummary;
  loaded: LatencySummary;
  /** Event-loop delay of the server process (monitorEventLoopDelay, 1 ms resolution), ms. */
  loopIdle: LoopDelaySummary;
  loopLoaded: LoopDelaySummary;
  error?: string;
}

/** The async-job row: a 1000-operation job on the Redis store vs the memory store (stores.ts). */
export interface StoresResult {
  n: number;
  /** Undefined when the Redis store could not be measured (`error` says why). */
  run: NRun | undefined;
  /** Redis round trips per operation (store.stats()), one value per Redis sample. */
  roundTripsPerOp: number[];
  /** Per row id: ms from the job's creation to its first operation (queue pick-up), one value per job. */
  startWaitMs: Record<string, number[]>;
  error?: string;
}

export type JobResult =
  | { kind: 'section'; result: SectionResult }
  | { kind: 'stores'; result: StoresResult }
  | { kind: 'rss'; result: RssResult }
  | { kind: 'fairness'; result: FairnessResult }
  | { kind: 'stages'; result: StageProfileResult };
