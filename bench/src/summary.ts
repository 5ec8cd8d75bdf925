import {
  FLOOR_IDS,
  type ContenderInfo,
  type NRun,
  type RssResult,
  type Sample,
  type SectionResult,
  type Series,
} from './results.js';
import { OUR_DIALECTS } from './contenders.js';
import { DISPATCHER_ROW_IDS } from './floors.js';
import { EXPRESS_BATCH_ID } from './peers.js';
import { pairedDifference, pairedRatio, summarize, type Summary } from './stats.js';

/** Statistics of one row at one N, every ratio taken rotation by rotation against a row of the same run. */
export interface CellStats {
  n: number;
  rotations: number;
  reps: number;
  /** Ran in every `stride`-th rotation only. */
  stride: number;
  samples: number;
  /** ms per batch. */
  wallMs: Summary;
  /** µs per inner request (wall). */
  perInnerUs: Summary;
  /** µs of server CPU per inner request. */
  cpuPerInnerUs: Summary;
  /** Bytes allocated on the server's V8 heap per inner request. */
  allocPerInner: Summary;
  /** µs of main-thread GC per inner request (server process). */
  gcPerInnerUs: Summary;
  /** Full collections per 1000 inner requests. */
  majorGcsPer1000: Summary;
  /** Paired wall-time ratios row ÷ floor. */
  vsRoute: Summary | undefined;
  vsFake: Summary | undefined;
  vsInject: Summary | undefined;
  /** Paired wall-time ratio row ÷ express-batch (Express sections). */
  vsExpressBatch: Summary | undefined;
  /**
   * Our endpoint's own cost: this row minus the dispatcher-only row of the same dispatcher,
   * per inner request, paired by rotation (µs of wall, µs of CPU, bytes allocated).
   */
  engineOwn: { minusId: string; wallUs: Summary; cpuUs: Summary; allocBytes: Summary } | undefined;
  /** Paired CPU ratio direct ÷ row: how many times less server CPU than N separate requests. */
  cpuLessThanDirect: Summary | undefined;
  /** The direct row that ratio is taken against (the one with the least CPU at this N). */
  directId: string | undefined;
  error: string | undefined;
}

export interface RowStats extends ContenderInfo {
  cells: CellStats[];
  rss: RssResult | undefined;
}

export interface SectionStats {
  framework: SectionResult['framework'];
  scenario: SectionResult['scenario'];
  rows: RowStats[];
  unsupported: ContenderInfo[];
  calibrationMs: number[];
  durationMs: number;
}

/** The direct-HTTP row that spent the least server CPU at this N: the stricter comparison. */
function cheapestDirect(run: NRun, contenders: readonly ContenderInfo[]): Series | undefined {
  const directIds = new Set(contenders.filter((c) => c.kind === 'direct').map((c) => c.id));
  let best: Series | undefined;
  let bestCpu = Infinity;
  for (const series of run.series) {
    if (!directIds.has(series.id) || series.samples.length === 0) continue;
    const cpu = summarize(series.samples.map((s) => s.cpuMs)).median;
    if (cpu < bestCpu) {
      bestCpu = cpu;
      best = series;
    }
  }
  return best;
}

function cell(run: NRun, series: Series, contenders: readonly ContenderInfo[]): CellStats {
  const find = (id: string): Series | undefined => run.series.find((s) => s.id === id && s.samples.length > 0);
  const versus = (id: string): Summary | undefined => {
    const floor = find(id);
    return floor === undefined || series.samples.length === 0
      ? undefined
      : pairedRatio(series.samples, floor.samples, (s) => s.wallMs);
  };
  const direct = cheapestDirect(run, contenders);
  const perInner = (pick: (s: Sample) => number) => (s: Sample) => pick(s) / run.n;
  const dialect = OUR_DIALECTS.find((d) => d.id === series.id);
  const dispatcherOnly = dialect === undefined ? undefined : find(DISPATCHER_ROW_IDS[dialect.dispatcher]);
  return {
    n: run.n,
    rotations: run.rotations,
    reps: series.reps,
    stride: series.stride,
    samples: series.samples.length,
    wallMs: summarize(series.samples.map((s) => s.wallMs)),
    perInnerUs: summarize(series.samples.map((s) => (s.wallMs * 1000) / run.n)),
    cpuPerInnerUs: summarize(series.samples.map((s) => (s.cpuMs * 1000) / run.n)),
    allocPerInner: summarize(series.samples.map((s) => s.allocBytes / run.n)),
    gcPerInnerUs: summarize(series.samples.map((s) => (s.gcPauseMs * 1000) / run.n)),
    majorGcsPer1000: summarize(series.samples.map((s) => (s.majorGcs * 1000) / run.n)),
    vsRoute: versus(FLOOR_IDS.route),
    vsFake: versus(FLOOR_IDS.fake),
    vsInject: versus(FLOOR_IDS.inject),
    vsExpressBatch: series.id === EXPRESS_BATCH_ID ? undefined : versus(EXPRESS_BATCH_ID),
    engineOwn:
      dispatcherOnly === undefined || series.samples.length === 0
        ? undefined
        : {
            minusId: dispatcherOnly.id,
            wallUs: pairedDifference(
              series.samples,
              dispatcherOnly.samples,
              perInner((s) => s.wallMs * 1000),
            ),
            cpuUs: pairedDifference(
              series.samples,
              dispatcherOnly.samples,
              perInner((s) => s.cpuMs * 1000),
            ),
            allocBytes: pairedDifference(
              series.samples,
              dispatcherOnly.samples,
              perInner((s) => s.allocBytes),
            ),
          },
    cpuLessThanDirect:
      direct === undefined || series.samples.length === 0
        ? undefined
        : pairedRatio(direct.samples, series.samples, (s) => s.cpuMs),
    directId: direct?.id,
    error: series.error,
  };
}

/** Turns a section's raw samples (and the RSS probes) into per-row statistics. */
export function sectionStats(section: SectionResult, rss: readonly RssResult[]): SectionStats {
  const rows = section.contenders.map((contender): RowStats => {
    const cells: CellStats[] = [];
    for (const run of section.runs) {
      const series = run.series.find((s) => s.id === contender.id);
      if (series !== undefined) cells.push(cell(run, series, section.contenders));
    }
    return {
      ...contender,
      cells,
      rss: rss.find(
        (r) => r.framework === section.framework && r.scenario === section.scenario && r.contenderId === contender.id,
      ),
    };
  });
  return {
    framework: section.framework,
    scenario: section.scenario,
    rows,
    unsupported: section.unsupported,
    calibrationMs: section.calibrationMs,
    durationMs: section.durationMs,
  };
}

export function cellAt(row: RowStats | undefined, n: number): CellStats | undefined {
  return row?.cells.find((c) => c.n === n);
}
