import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Framework } from './apps.js';
import { NS, TARGET_N, type RunProfile } from './config.js';
import { markdownTable, num, percent, ratio } from './format.js';
import type { MachineFacts } from './machine.js';
import { STAGES } from './profile-analysis.js';
import type { StageProfileResult } from './profile-run.js';
import type { FairnessResult, RssResult, SectionResult, StoresResult } from './results.js';
import { SCENARIOS } from './scenarios.js';
import type { Summary } from './stats.js';
import { cellAt, type RowStats, type SectionStats } from './summary.js';
import type { TargetResult } from './targets.js';

const FRAMEWORK_NAMES: Record<Framework, string> = {
  express: 'Express 5',
  koa: 'Koa 3',
  fastify: 'Fastify 5',
  hono: 'Hono 4',
};

function medianRange(summary: Summary | undefined, scale = 1): string {
  if (summary === undefined || summary.count === 0) return '–';
  return `${num(summary.median * scale)} (${num(summary.min * scale)}–${num(summary.max * scale)})`;
}

export function header(machine: MachineFacts, profile: RunProfile, startedAt: Date): string {
  const versions = Object.entries(machine.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `# inbatch benchmark — ${profile.name} run, ${startedAt.toISOString()}`,
    '',
    `- machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB (${machine.freeMemoryGb} GB free), load ${machine.loadAverage.join(' / ')}, ${machine.platform}`,
    `- Node ${machine.node} (V8 ${machine.v8})`,
    `- ${versions}`,
  ].join('\n');
}

function rowCells(row: RowStats): string[] {
  const at = cellAt(row, TARGET_N);
  const perN = NS.map((n) => {
    const cell = cellAt(row, n);
    if (cell === undefined) return '–';
    if (cell.samples === 0) return 'FAILED';
    return num(cell.wallMs.median);
  });
  const failed = row.cells.find((c) => c.error !== undefined);
  const rss = row.rss === undefined ? '–' : row.rss.error === undefined ? num(row.rss.growthMb) : 'error';
  const note = failed?.error === undefined ? row.note : `${row.note}; FAILED at N=${failed.n}: ${failed.error}`;
  return [
    row.label,
    row.kind,
    ...perN.slice(0, -1),
    medianRange(at?.wallMs),
    medianRange(at?.perInnerUs),
    num(at?.cpuPerInnerUs.median),
    num(at?.allocPerInner.median),
    num(at?.gcPerInnerUs.median),
    rss,
    ratio(at?.vsRoute?.median),
    ratio(at?.vsFake?.median),
    ratio(at?.vsInject?.median),
    ratio(at?.cpuLessThanDirect?.median),
    note,
  ];
}

/** The main table of one section: a row per contender, N = 1000 in detail. */
export function sectionTable(section: SectionStats): string {
  const scenario = SCENARIOS[section.scenario];
  const calibration = section.calibrationMs.map((ms) => num(ms)).join(' → ');
  const head = [
    'row',
    'kind',
    ...NS.slice(0, -1).map((n) => `N=${n} ms`),
    `N=${TARGET_N} ms (min–max)`,
    `µs/inner @${TARGET_N} (min–max)`,
    'CPU µs/inner',
    'alloc B/inner',
    'GC µs/inner',
    'peak RSS Δ MB',
    '× route',
    '× fake',
    '× LMR',
    'direct CPU ÷ row CPU',
    'note',
  ];
  const body = section.rows.map(rowCells);
  for (const row of section.unsupported) {
    body.push([
      row.label,
      row.kind,
      ...NS.slice(0, -1).map(() => 'n/a'),
      'n/a',
      'n/a',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      row.note,
    ]);
  }
  const rotations = NS.map((n) => `N=${n}: ${cellAt(section.rows[0], n)?.rotations ?? '–'}`).join(', ');
  const strided = section.rows.flatMap((row) =>
    row.cells.filter((c) => c.stride > 1).map((c) => `${row.id} every ${c.stride} at N=${c.n}`),
  );
  return [
    `### ${FRAMEWORK_NAMES[section.framework]} — ${scenario.label}`,
    '',
    `rotations ${rotations}${strided.length > 0 ? ` (slow rows: ${strided.join(', ')})` : ''}; calibration probe ${calibration} ms; section took ${num(section.durationMs / 1000)} s`,
    '',
    markdownTable(head, body),
  ].join('\n');
}

/** Ours, the diagnostic and the peers against the floors at every N (paired medians). */
export function ratiosByN(section: SectionStats): string {
  const rows = section.rows.filter((row) => row.kind !== 'floor');
  const head = [
    'row',
    ...NS.map((n) => `× fake @${n}`),
    ...NS.map((n) => `× LMR @${n}`),
    ...NS.map((n) => `CPU direct÷row @${n}`),
  ];
  const body = rows.map((row) => [
    row.label,
    ...NS.map((n) => ratio(cellAt(row, n)?.vsFake?.median)),
    ...NS.map((n) => ratio(cellAt(row, n)?.vsInject?.median)),
    ...NS.map((n) => ratio(cellAt(row, n)?.cpuLessThanDirect?.median)),
  ]);
  return markdownTable(head, body);
}

function withQuartiles(summary: Summary | undefined): string {
  if (summary === undefined || summary.count === 0) return '–';
  return `${num(summary.median)} (${num(summary.p25)}–${num(summary.p75)})`;
}

/**
 * What one inner request costs our endpoint at N = 1000, per section and dialect: the
 * batch() row, the dispatcher-only row it contains, the difference (the engine's own
 * cost: parse, policy, scheduling, serializing, outer HTTP), and the keep-alive rows it
 * replaces. Every difference and ratio is a median of per-rotation pairs.
 */
export function budgetTable(sections: readonly SectionStats[]): string {
  const body: string[][] = [];
  for (const section of sections) {
    for (const row of section.rows) {
      const at = cellAt(row, TARGET_N);
      if (row.kind !== 'ours' || at?.engineOwn === undefined) continue;
      const direct = cellAt(
        section.rows.find((candidate) => candidate.id === at.directId),
        TARGET_N,
      );
      body.push([
        `${FRAMEWORK_NAMES[section.framework]} ${section.scenario}`,
        row.label.replace('inbatch batch() ', ''),
        num(at.perInnerUs.median),
        `${num(at.cpuPerInnerUs.median)} / ${num(at.cpuPerInnerUs.mean)}`,
        num(at.allocPerInner.median),
        num(at.gcPerInnerUs.median),
        withQuartiles(at.engineOwn.wallUs),
        num(at.engineOwn.cpuUs.median),
        num(at.engineOwn.allocBytes.median),
        at.engineOwn.minusId,
        `${num(direct?.cpuPerInnerUs.median)} (${at.directId ?? '–'})`,
        withQuartiles(at.cpuLessThanDirect),
      ]);
    }
  }
  return markdownTable(
    [
      'section',
      'dialect',
      'µs/inner',
      'CPU µs/inner median / mean',
      'alloc B/inner',
      'GC µs/inner',
      "engine's own µs/inner (p25–p75)",
      "engine's own CPU µs/inner",
      "engine's own alloc B/inner",
      'minus row',
      'keep-alive CPU µs/inner',
      'keep-alive CPU ÷ ours (p25–p75)',
    ],
    body,
  );
}

/** The stage profiles side by side: µs per inner request (share of the sampled busy time). */
export function stagesTable(profiles: readonly StageProfileResult[]): string {
  if (profiles.length === 0) return 'not measured';
  const head = ['stage', ...profiles.map((p) => `${FRAMEWORK_NAMES[p.framework]} ${p.scenario} ${p.rowId}`)];
  const body = STAGES.map((stage) => [
    stage,
    ...profiles.map((p) => {
      const row = p.stages.find((s) => s.name === stage);
      return row === undefined ? '–' : `${num(row.perInnerUs)} (${percent(row.share)})`;
    }),
  ]);
  body.push(
    ['sampled busy (sum of the above)', ...profiles.map((p) => num(p.busyPerInnerUs))],
    ['server CPU, all threads', ...profiles.map((p) => num(p.cpuPerInnerUs))],
    ['wall (median batch ÷ N)', ...profiles.map((p) => num(p.wallPerInnerUs))],
    ['profiled batches', ...profiles.map((p) => (p.error === undefined ? String(p.batches) : `error: ${p.error}`))],
  );
  return markdownTable(head, body);
}

export function memoryTable(memory: readonly RssResult[]): string {
  return markdownTable(
    ['framework', 'row', 'N', 'answer MB', 'baseline MB', 'peak MB', 'growth MB', 'growth ÷ answer bytes', 'method'],
    memory.map((m) => [
      FRAMEWORK_NAMES[m.framework],
      m.contenderId,
      String(m.n),
      num(m.answerBytes / 2 ** 20),
      num(m.baselineMb),
      num(m.peakMb),
      num(m.growthMb),
      m.error === undefined ? ratio(m.growthMb / (m.answerBytes / 2 ** 20)) : `error: ${m.error}`,
      m.method,
    ]),
  );
}

export function fairnessTable(fairness: readonly FairnessResult[]): string {
  return markdownTable(
    [
      'framework',
      'batches',
      'batch ms (median)',
      'idle p50 / p99 ms',
      'during batch p50 / p99 / max ms',
      'p99 ÷ idle p99',
      'loop delay idle p99 / max ms',
      'loop delay during batch p99 (median of batches) / worst p99 / max ms',
    ],
    fairness.map((f) => {
      const sorted = [...f.batchWallMs].sort((a, b) => a - b);
      return [
        FRAMEWORK_NAMES[f.framework],
        String(f.batches),
        num(sorted[Math.floor(sorted.length / 2)]),
        `${num(f.idle.p50)} / ${num(f.idle.p99)} (${f.idle.count})`,
        `${num(f.loaded.p50)} / ${num(f.loaded.p99)} / ${num(f.loaded.max)} (${f.loaded.count})`,
        f.error === undefined ? ratio(f.loaded.p99 / f.idle.p99) : `error: ${f.error}`,
        `${num(f.loopIdle.p99)} / ${num(f.loopIdle.max)}`,
        `${num(f.loopLoaded.p99)} / ${num(f.loopLoaded.worstP99)} / ${num(f.loopLoaded.max)}`,
      ];
    }),
  );
}

export function targetsTable(targets: readonly TargetResult[]): string {
  return markdownTable(
    ['target', 'measured', 'limit', 'result', 'detail'],
    targets.map((t) => [
      t.target,
      num(t.measured),
      `${t.comparison} ${t.limit}`,
      t.pass === undefined ? 'not measured' : t.pass ? 'PASS' : 'FAIL',
      t.detail,
    ]),
  );
}

export interface RunRecord {
  meta: {
    profile: string;
    startedAt: string;
    durationMs: number;
    machine: MachineFacts;
    argv: string[];
  };
  sections: SectionResult[];
  stats: SectionStats[];
  rss: RssResult[];
  memory: RssResult[];
  fairness: FairnessResult[];
  stores: StoresResult | undefined;
  stages: StageProfileResult[];
  targets: TargetResult[];
}

/** Writes the whole run (raw samples included) to bench/results/<timestamp>.json; returns the path. */
export function writeRecord(record: RunRecord): string {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${record.meta.startedAt.replace(/[:.]/g, '-')}.json`, dir);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return fileURLToPath(file);
}
