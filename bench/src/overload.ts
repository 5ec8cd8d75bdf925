/**
 * Many maximum-size batches at once, whose clients wait before reading (issue 13's
 * measurement): the server's peak RSS growth, an ordinary GET's latency meanwhile, and
 * every batch's outcome — accepted ones complete and byte-correct, refused ones refused with
 * `503 batch.busy` before their bodies were sent. Loopback only; the server, the batch
 * clients and the GET probe each run in a process of their own.
 *
 *   pnpm --filter @inbatch/bench overload [--framework express|koa] [--batches 100]
 *     [--parts 1000] [--bytes 16000] [--wait-ms 45000] [--options '{"maxConcurrentBatches":8}']
 */
import { parseArgs } from 'node:util';
import {
  planBody,
  probeOrdinaryInChild,
  sendPlannedBatch,
  startLoadServer,
  type BatchOutcome,
} from '../../test/load/driver.js';

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'express' },
    batches: { type: 'string', default: '100' },
    parts: { type: 'string', default: '1000' },
    bytes: { type: 'string', default: '16000' },
    'wait-ms': { type: 'string', default: '45000' },
    options: { type: 'string', default: '{}' },
  },
});
const MiB = 1024 * 1024;
const framework = values.framework === 'koa' ? 'koa' : 'express';
const plan = {
  parts: Number(values.parts),
  bytes: Number(values.bytes),
  waitMs: Number(values['wait-ms']),
  // Headers first: a refusal must come back before the client sent any of its body.
  headersFirstMs: 1000,
};
const batches = Number(values.batches);

const server = await startLoadServer(framework, JSON.parse(values.options) as object);
try {
  // Warm up (JIT, lazily built state), then measure from a clean baseline.
  for (let i = 0; i < 3; i++) await sendPlannedBatch(server.url, { parts: plan.parts, bytes: plan.bytes });
  await server.reset();
  const built = planBody(plan);
  const started = performance.now();
  const all = Promise.all(Array.from({ length: batches }, () => sendPlannedBatch(server.url, plan, built)));
  const probe = probeOrdinaryInChild(server.url, all);
  const outcomes: BatchOutcome[] = await all;
  const seconds = (performance.now() - started) / 1000;
  const ordinary = await probe;
  const stats = await server.stats();

  const accepted = outcomes.filter((o) => o.status === 200);
  const refused = outcomes.filter((o) => o.status === 503 && o.code === 'batch.busy');
  const other = outcomes.filter((o) => !accepted.includes(o) && !refused.includes(o));
  const growth = (stats.peak - stats.baseline) / MiB;
  const line = (label: string, value: string, target = '') =>
    console.log(`${label.padEnd(48)} ${value.padStart(12)}  ${target}`);
  console.log(
    `# overload: ${framework}, ${batches} concurrent batches of ${plan.parts} × ${plan.bytes} B answers, clients wait ${plan.waitMs} ms before reading`,
  );
  console.log(`# batch() options: ${values.options}; ${seconds.toFixed(1)} s in all\n`);
  line('peak RSS growth of the server (MiB)', growth.toFixed(1), '(target ≤ 256)');
  line('ordinary GET /health: max latency (ms)', ordinary.max.toFixed(1), '(target ≤ 250)');
  line('ordinary GET /health: p99 / p50 (ms)', `${ordinary.p99.toFixed(1)} / ${ordinary.p50.toFixed(1)}`);
  line('ordinary GET /health: requests / failures', `${ordinary.count} / ${ordinary.failures}`);
  line(
    'batches accepted / complete and byte-correct',
    `${accepted.length} / ${accepted.filter((o) => o.correct).length}`,
  );
  line(
    'batches refused 503 batch.busy / before their body',
    `${refused.length} / ${refused.filter((o) => o.beforeBody).length}`,
  );
  line('refusals with Retry-After', String(refused.filter((o) => o.retryAfter !== undefined).length));
  line('other outcomes', String(other.length));
  for (const o of other.slice(0, 5)) console.log('  ', JSON.stringify(o));
  line('server: event-loop stalls ≥ 50 ms', String(stats.stalls.length));
  if (stats.stalls.length > 0) console.log('   [ms since start, ms late]:', JSON.stringify(stats.stalls.slice(0, 20)));
  line('server: onError calls / process errors', `${stats.unexpectedErrors} / ${stats.processErrors}`);
  const pass =
    growth <= 256 &&
    ordinary.max <= 250 &&
    ordinary.failures === 0 &&
    other.length === 0 &&
    accepted.every((o) => o.correct) &&
    refused.every((o) => o.beforeBody) &&
    stats.processErrors === 0;
  console.log(`\n${pass ? 'PASS' : 'FAIL'}`);
  process.exitCode = pass ? 0 : 1;
} finally {
  await server.stop();
}
