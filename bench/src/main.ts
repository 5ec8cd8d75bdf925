import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PROFILES, SECTIONS, TARGET_N } from './config.js';
import { JSON_ID, MULTIPART_ID } from './contenders.js';
import { runJob, type Job } from './jobs.js';
import { machineFacts } from './machine.js';
import type { StageProfileResult } from './profile-run.js';
import {
  budgetTable,
  fairnessTable,
  header,
  memoryTable,
  ratiosByN,
  sectionTable,
  stagesTable,
  targetsTable,
  writeRecord,
  type RunRecord,
} from './report.js';
import type { FairnessResult, JobResult, RssResult, SectionResult, StoresResult } from './results.js';
import { storesSelected, storesTable, storesTargets } from './stores.js';
import { sectionStats } from './summary.js';
import { evaluateTargets } from './targets.js';

/**
 * `pnpm bench [--quick] [--only express-get,koa-io,stores] [--skip-rss] [--skip-probes]`
 *
 * The orchestrator: measures nothing itself. Every section, RSS probe and fairness probe
 * runs in a fresh server process (worker.ts), one after the other, so measurements never
 * share this 2-core box with each other. Progress goes to stderr, the report to stdout.
 */

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'skip-rss': { type: 'boolean', default: false },
    'skip-probes': { type: 'boolean', default: false },
  },
});
const profile = values.quick ? PROFILES.quick : PROFILES.full;
const only = values.only?.split(',').map((s) => s.trim());
const startedAt = new Date();
const clock = performance.now();
const machine = machineFacts();

function log(line: string): void {
  process.stderr.write(`[${((performance.now() - clock) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
}

interface ResultOf {
  section: SectionResult;
  rss: RssResult;
  fairness: FairnessResult;
  stores: StoresResult;
  stages: StageProfileResult;
}

/** Runs one job; a job that fails is logged and left out of the report (its rows then show "–"). */
async function job<K extends JobResult['kind']>(
  spec: Job & { kind: K },
  timeoutMs: number,
): Promise<ResultOf[K] | undefined> {
  try {
    const result = await runJob(spec, log, timeoutMs);
    return result.result as ResultOf[K];
  } catch (error) {
    log(`  ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

console.log(header(machine, profile, startedAt));
console.log('');

const sections: SectionResult[] = [];
for (const { framework, scenario } of SECTIONS) {
  if (only !== undefined && !only.includes(`${framework}-${scenario}`)) continue;
  log(`section ${framework} ${scenario}`);
  const result = await job({ kind: 'section', framework, scenario, profile: profile.name }, 15 * 60_000);
  if (result !== undefined) sections.push(result);
}

// Where an inner request's time goes, by stage: a CPU profile of our endpoint per dialect.
const stages: StageProfileResult[] = [];
for (const framework of ['express', 'koa'] as const) {
  if (only !== undefined && !only.includes(`${framework}-get`)) continue;
  for (const rowId of [MULTIPART_ID, JSON_ID]) {
    log(`stage profile ${framework} get ${rowId}`);
    const spec = { kind: 'stages', framework, scenario: 'get', rowId, n: TARGET_N, profile: profile.name } as const;
    const result = await job(spec, 3 * 60_000);
    if (result !== undefined) stages.push(result);
  }
}

const rss: RssResult[] = [];
if (!values['skip-rss']) {
  for (const section of sections) {
    if (!profile.rss.scenarios.includes(section.scenario)) continue;
    for (const contender of section.contenders) {
      if (profile.rss.only !== undefined && !profile.rss.only.includes(contender.id)) continue;
      log(`peak RSS ${section.framework} ${section.scenario} ${contender.id}`);
      const spec = {
        kind: 'rss',
        framework: section.framework,
        scenario: section.scenario,
        contenderId: contender.id,
        n: TARGET_N,
        warmupRuns: profile.memory.warmupBatches * 5,
      } as const;
      const result = await job(spec, 3 * 60_000);
      if (result !== undefined) rss.push(result);
    }
  }
}

const memory: RssResult[] = [];
const fairness: FairnessResult[] = [];
if (!values['skip-probes']) {
  for (const framework of ['express', 'koa'] as const) {
    if (only !== undefined && !only.some((name) => name.startsWith(framework))) continue;
    log(`memory ${framework}: ${TARGET_N} × 10 KB answers`);
    const spec = {
      kind: 'rss',
      framework,
      scenario: 'blob',
      contenderId: MULTIPART_ID,
      n: TARGET_N,
      warmupRuns: profile.memory.warmupBatches * 5,
    } as const;
    const result = await job(spec, 3 * 60_000);
    if (result !== undefined) memory.push(result);
    log(`fairness ${framework}`);
    const probe = await job({ kind: 'fairness', framework, n: TARGET_N, profile: profile.name }, 5 * 60_000);
    if (probe !== undefined) fairness.push(probe);
  }
}

let stores: StoresResult | undefined;
if (storesSelected(only)) {
  log(`stores: async ${TARGET_N}-operation job, Redis store vs memory store`);
  stores = await job({ kind: 'stores', profile: profile.name }, 5 * 60_000);
}

const stats = sections.map((section) => sectionStats(section, rss));
const targets = [...evaluateTargets(stats, memory, fairness), ...(stores === undefined ? [] : storesTargets(stores))];

const out: string[] = [];
out.push(
  '## Sections (steady state, no forced GC; medians over interleaved rotations; ratios are medians of per-rotation pairs)',
  '',
);
for (const section of stats) out.push(sectionTable(section), '', 'Ratios by N:', '', ratiosByN(section), '');
out.push(
  `## Per-inner budget at N=${TARGET_N}: our endpoint, the dispatcher-only row it contains, and the keep-alive requests it replaces`,
  '',
);
out.push(budgetTable(stats), '');
out.push(
  `## Where an inner request's time goes: stage profile at N=${TARGET_N} (µs per inner, share of sampled busy time)`,
  '',
);
out.push(stagesTable(stages), '');
out.push(`## Memory: ${TARGET_N}-part batch of 10 KB answers (target: growth ≤ 2 × answer bytes)`, '');
out.push(memoryTable(memory), '');
out.push(`## Fairness: ordinary requests while a ${TARGET_N}-part batch runs`, '');
out.push(fairnessTable(fairness), '');
out.push(`## Stores: an async ${TARGET_N}-operation job (small GET answers), Redis vs memory, interleaved`, '');
out.push(storesTable(stores), '');
out.push('## Targets', '');
out.push(targetsTable(targets), '');

const record: RunRecord = {
  meta: {
    profile: profile.name,
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - clock,
    machine,
    argv: process.argv.slice(2),
  },
  sections,
  stats,
  rss,
  memory,
  fairness,
  stores,
  stages,
  targets,
};
const file = writeRecord(record);
out.push(`Run took ${((performance.now() - clock) / 60_000).toFixed(1)} min. JSON: ${file}`);
console.log(out.join('\n'));
