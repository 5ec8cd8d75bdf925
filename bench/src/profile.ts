import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Framework } from './apps.js';
import { MULTIPART_ID, buildContenders } from './contenders.js';
import { markdownTable, num, percent } from './format.js';
import { analyzeProfile, type TimeRow } from './profile-analysis.js';
import { captureProfile } from './profile-run.js';
import type { ScenarioId } from './scenarios.js';
import { startEnv } from './server-env.js';

/**
 * Profiles our batch endpoint alone (default: Express, GET, N = 1000): this process is
 * the server, a client process sends the batches; the profile holds only steady-state
 * batches (profile-run.ts). Writes the `.cpuprofile` (open it in Chrome DevTools →
 * Performance, or speedscope) and prints where the time goes, by stage and in detail.
 *
 *   pnpm --filter @inbatch/bench cpu-profile [--framework koa] [--scenario post] [--n 1000] [--batches 40]
 *
 * `--row dispatcher` (or `dispatcher-lmr`, `fake`, `inject`) profiles that in-process row
 * instead of the batch endpoint.
 */

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'express' },
    scenario: { type: 'string', default: 'get' },
    n: { type: 'string', default: '1000' },
    batches: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '15' },
    interval: { type: 'string', default: '100' },
    row: { type: 'string', default: MULTIPART_ID },
  },
});
const framework = values.framework as Framework;
const scenario = values.scenario as ScenarioId;
const n = Number(values.n);
const batches = Number(values.batches);

const env = await startEnv(framework, scenario, false);
const ours = buildContenders(env).contenders.find((c) => c.id === values.row);
if (ours === undefined) throw new Error(`no row "${values.row}"`);

const captured = await captureProfile(ours, n, Number(values.warmup), batches, Number(values.interval));
const { profile, walls, wallMs, cpuMs } = captured;
await env.close();

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const dir = new URL('../results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const base = `profile-${stamp}-${framework}-${scenario}-${n}${values.row === MULTIPART_ID ? '' : `-${values.row}`}`;
writeFileSync(new URL(`${base}.cpuprofile`, dir), JSON.stringify(profile));

const analysis = analyzeProfile(profile, 30);
const inner = batches * n;
const perInner = (ms: number): string => num((ms * 1000) / inner);
const tableOf = (title: string, list: readonly TimeRow[]): string =>
  markdownTable(
    [title, 'self ms', 'µs / inner', '% of busy'],
    list.map((row) => [row.name, num(row.ms), perInner(row.ms), percent(row.share)]),
  );

const medianWall = [...walls].sort((a, b) => a - b)[Math.floor(walls.length / 2)] ?? NaN;
const lines = [
  `# CPU profile: ${values.row} ${framework} ${scenario} N=${n}, ${batches} batches after ${values.warmup} warm-up`,
  '',
  `wall ${num(wallMs)} ms in all; median batch ${num(medianWall)} ms (client-measured for HTTP rows) = ${num((medianWall * 1000) / n)} µs/inner`,
  `server CPU ${num(cpuMs)} ms = ${perInner(cpuMs)} µs/inner (all threads; the profile samples the JS thread only)`,
  `profile: ${num(analysis.totalMs)} ms sampled, ${num(analysis.busyMs)} ms busy = ${perInner(analysis.busyMs)} µs/inner, ${num(analysis.idleMs)} ms idle`,
  `file: bench/results/${base}.cpuprofile`,
  '',
  '## By stage of a batch (the innermost frame that names a stage decides)',
  '',
  tableOf('stage', analysis.stages),
  '',
  '## Where the time goes (self time; builtins charged to their caller)',
  '',
  tableOf('area', analysis.areas),
  '',
  '## By package',
  '',
  tableOf('package', analysis.packages),
  '',
  '## Phases (inclusive, synchronous stacks only: async continuations are counted where they resume)',
  '',
  tableOf('phase', analysis.phases),
  '',
  '## Top self-time functions',
  '',
  markdownTable(
    ['function', 'where', 'self ms', 'µs / inner', '% of busy'],
    analysis.functions.map((row) => [row.name, row.where, num(row.ms), perInner(row.ms), percent(row.share)]),
  ),
];
console.log(lines.join('\n'));
writeFileSync(
  new URL(`${base}.json`, dir),
  JSON.stringify({ framework, scenario, n, batches, wallMs, walls, cpuMs, analysis }, null, 2),
);
process.exit(0);
