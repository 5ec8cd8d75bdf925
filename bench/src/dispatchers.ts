import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createExpressApp, createKoaApp, nodeHandler, type Framework } from './apps.js';
import { createFastifyApp } from './apps-more.js';
import type { NodeListener } from './fake-http.js';
import { fastifyInjectFloor } from './floors-more.js';
import { DISPATCHER_ROW_IDS, dispatcherDiagnostic, fakeFloor, injectFloor, type DiagnosticSignal } from './floors.js';
import { markdownTable, num } from './format.js';
import { interleave, type Contender } from './interleave.js';
import { FLOOR_IDS, type Series } from './results.js';
import { SCENARIOS, type ScenarioId } from './scenarios.js';
import { pairedRatio, summarize } from './stats.js';

/**
 * The dispatchers alone, A/B: for each framework and scenario, the fake req/res floor,
 * the light-my-request floor and both core dispatchers run interleaved in this one
 * process (rotation by rotation), and each row is reported as µs per inner request and
 * as paired ratios to the fake floor and to the light-my-request dispatcher. Minutes,
 * not the full run's quarter hour: the tool for tuning a dispatcher.
 *
 *   pnpm --filter @inbatch/bench dispatchers [--n 1000] [--seconds 20] [--only express-get,koa-post]
 *                                            [--signal dispatch-abort|abort-controller]
 *
 * `--signal abort-controller` gives each operation an AbortController, as the engine did
 * before it used the lightweight DispatchAbort: the difference is what an AbortSignal costs.
 */

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    only: { type: 'string' },
    signal: { type: 'string', default: 'dispatch-abort' },
  },
});
const n = Number(values.n);
const budgetMs = Number(values.seconds) * 1000;
const SECTIONS: ReadonlyArray<[Framework, ScenarioId]> = [
  ['express', 'get'],
  ['koa', 'get'],
  ['fastify', 'get'],
  ['express', 'post'],
  ['koa', 'post'],
  ['fastify', 'post'],
];
const only = values.only?.split(',');
const signal = values.signal as DiagnosticSignal;

const lines = [
  `# Dispatchers alone, interleaved (N = ${n}, ~${values.seconds} s per section, signal: ${signal})`,
  '',
  `load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}, node ${process.version}`,
];
for (const [framework, scenarioId] of SECTIONS) {
  if (only !== undefined && !only.includes(`${framework}-${scenarioId}`)) continue;
  const scenario = SCENARIOS[scenarioId];
  let contenders: Contender[];
  if (framework === 'fastify') {
    // Which dispatcher @inbatch/fastify should use: ours (fast, or light-my-request) into
    // fastify.routing, against Fastify's own inject, interleaved in one process.
    const app = await createFastifyApp(scenario.batchOptions);
    const handler: NodeListener = (req, res) => app.routing(req, res);
    contenders = [
      fakeFloor('koa', handler, scenario, 'fastify'),
      fastifyInjectFloor(app, scenario),
      dispatcherDiagnostic('koa', handler, scenario, 'fast', signal),
      dispatcherDiagnostic('koa', handler, scenario, 'light-my-request', signal),
    ];
  } else if (framework === 'express' || framework === 'koa') {
    const app = framework === 'express' ? createExpressApp(scenario.batchOptions) : createKoaApp(scenario.batchOptions);
    const handler = nodeHandler(framework, app);
    contenders = [
      fakeFloor(framework, handler, scenario),
      injectFloor(framework, handler, scenario),
      dispatcherDiagnostic(framework, handler, scenario, 'fast', signal),
      dispatcherDiagnostic(framework, handler, scenario, 'light-my-request', signal),
    ];
  } else {
    continue;
  }
  const run = await interleave(
    contenders,
    n,
    {
      warmupMs: 1000,
      minWarmupRuns: 3,
      steadyMs: 2000,
      budgetMs,
      minRotations: 10,
      maxRotations: 500,
      minSampleMs: 200,
      maxReps: 50,
      slowFactor: 100,
      strideAboveMs: 1e9,
      maxStride: 1,
    },
    (line) => process.stderr.write(`${framework} ${scenarioId}${line}\n`),
  );
  const byId = new Map(run.series.map((series) => [series.id, series]));
  const samples = (id: string): Series['samples'] => byId.get(id)?.samples ?? [];
  const rows = contenders.map((contender) => {
    const series = byId.get(contender.id);
    if (series?.error !== undefined) return [contender.label, 'FAILED', series.error, '', '', ''];
    const wall = summarize(samples(contender.id).map((sample) => (sample.wallMs * 1000) / n));
    const cpu = summarize(samples(contender.id).map((sample) => (sample.cpuMs * 1000) / n));
    const vsFake = pairedRatio(samples(contender.id), samples(FLOOR_IDS.fake), (sample) => sample.wallMs);
    const vsLmr = pairedRatio(
      samples(contender.id),
      samples(DISPATCHER_ROW_IDS['light-my-request']),
      (sample) => sample.wallMs,
    );
    return [
      contender.label,
      `${num(wall.median)} (${num(wall.min)}–${num(wall.max)})`,
      num(cpu.median),
      `${num(vsFake.median)} (${num(vsFake.p25)}–${num(vsFake.p75)})`,
      num(vsLmr.median),
      String(wall.count),
    ];
  });
  lines.push(
    '',
    `## ${framework} ${scenario.label}`,
    '',
    markdownTable(
      ['row', 'µs/inner median (min–max)', 'CPU µs/inner', '× fake (p25–p75)', '× LMR dispatcher', 'rotations'],
      rows,
    ),
  );
}
console.log(lines.join('\n'));
process.exit(0);
