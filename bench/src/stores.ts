import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { JobSummary } from '@inbatch/core';
import { batch } from '@inbatch/express';
import { redisJobStore, type RedisJobStore } from '@inbatch/redis';
import express from 'express';
import { Redis } from 'ioredis';
import { listen } from './apps.js';
import { TARGET_N, type RunProfile } from './config.js';
import { markdownTable, num, ratio } from './format.js';
import { interleave, type Contender, type InterleavePlan } from './interleave.js';
import type { NRun, StoresResult } from './results.js';
import { itemAnswer } from './scenarios.js';
import { pairedRatio, summarize } from './stats.js';
import type { TargetResult } from './targets.js';

/**
 * The async-job row: one 1000-operation job (small `GET /items/:id` answers) run on the
 * Redis store and on the memory store, interleaved in one process and one Express app (two
 * batch endpoints, one per store). Wall time is submit → the job's `onComplete`, so no
 * status polling adds Redis round trips; those are read from the store's own counter.
 */

/** Whether `--only` selects the stores row (it runs by default, and with `--only stores`). */
export function storesSelected(only: readonly string[] | undefined): boolean {
  return only === undefined || only.includes('stores');
}

export const STORE_IDS = { memory: 'memory-store', redis: 'redis-store' } as const;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const PLANS: Record<RunProfile['name'], Partial<InterleavePlan>> = {
  full: { budgetMs: 20_000, minRotations: 10 },
  quick: { budgetMs: 3_000, minRotations: 3 },
};

/** Resolves when `onComplete` has seen the job, whether that happened before or after the submit answered. */
class Completions {
  private readonly done = new Map<string, JobSummary>();
  private readonly waiting = new Map<string, (job: JobSummary) => void>();

  complete = (job: JobSummary): void => {
    const waiter = this.waiting.get(job.id);
    if (waiter === undefined) this.done.set(job.id, job);
    else {
      this.waiting.delete(job.id);
      waiter(job);
    }
  };

  wait(id: string): Promise<JobSummary> {
    const job = this.done.get(id);
    if (job !== undefined) {
      this.done.delete(id);
      return Promise.resolve(job);
    }
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }
}

function post(port: number, path: string, body: Buffer, agent: Agent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Deletes the store's keys: all under the hash tag `{prefix}`. */
async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

/** Runs the two rows at N = 1000 in this process; answers raw samples and round trips per operation. */
export async function runStores(profile: RunProfile, log: (line: string) => void): Promise<StoresResult> {
  const n = TARGET_N;
  const prefix = `inbatch-bench:${randomBytes(4).toString('hex')}`;
  const completions = new Completions();
  const cleanup = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await cleanup.connect();
  } catch (error) {
    cleanup.disconnect();
    const message = `no Redis at ${REDIS_URL} (${error instanceof Error ? error.message : String(error)})`;
    log(`  stores: ${message}; the Redis store row is not measured`);
    return { n, run: undefined, roundTripsPerOp: [], startWaitMs: {}, error: message };
  }
  const store: RedisJobStore = redisJobStore({ connection: REDIS_URL, prefix, key: randomBytes(32) });
  const app = express();
  // One owner submits every job; jobs of a row run one after the other anyway.
  const common = { oneJobPerOwner: false, onComplete: completions.complete } as const;
  app.use(batch({ ...common, path: '/batch-memory' }));
  app.use(batch({ ...common, path: '/batch-redis', store }));
  app.get('/items/:id', (req, res) => {
    res.json(itemAnswer(req.params.id));
  });
  const { server, port } = await listen(app);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = Buffer.from(
    JSON.stringify({
      batch: {
        operations: Array.from({ length: n }, (_, i) => ({
          operationId: `op-${i}`,
          method: 'GET',
          endpoint: `/items/${i}`,
        })),
      },
    }),
  );
  const roundTripsPerOp: number[] = [];
  const startWaitMs: Record<string, number[]> = { [STORE_IDS.memory]: [], [STORE_IDS.redis]: [] };

  const runJob = async (path: string, ops: number): Promise<JobSummary> => {
    const submitted = await post(port, path, body, agent);
    if (submitted.status !== 201)
      throw new Error(`${path} answered ${submitted.status}: ${submitted.text.slice(0, 200)}`);
    const job = await completions.wait((JSON.parse(submitted.text) as { uuid: string }).uuid);
    if (job.state !== 'succeeded' || job.progress.done !== ops) {
      throw new Error(`job ${job.id} ended ${job.state} with ${JSON.stringify(job.progress)}`);
    }
    return job;
  };
  const row = (id: string, label: string, path: string, counted: boolean): Contender => ({
    id,
    label,
    kind: id === STORE_IDS.memory ? 'floor' : 'ours',
    note: `async operations job of ${n} GETs, submit → onComplete`,
    run: async (size, reps) => {
      const before = store.stats().roundTrips;
      for (let i = 0; i < reps; i++) {
        const job = await runJob(path, size);
        if (job.startedAt !== null) startWaitMs[id]?.push(job.startedAt - job.createdAt);
      }
      if (counted) roundTripsPerOp.push((store.stats().roundTrips - before) / (size * reps));
      return undefined;
    },
  });

  try {
    const plan = { ...profile.plan(n), ...PLANS[profile.name] };
    const run = await interleave(
      [
        row(STORE_IDS.memory, 'memory store', '/batch-memory', false),
        row(STORE_IDS.redis, 'Redis store', '/batch-redis', true),
      ],
      n,
      plan,
      log,
    );
    return { n, run, roundTripsPerOp, startWaitMs };
  } finally {
    agent.destroy();
    server.close();
    await store.close();
    await deleteKeys(cleanup, prefix);
    cleanup.disconnect();
  }
}

/** Wall time of the Redis row ÷ the memory row, rotation by rotation. */
function storeRatio(result: StoresResult) {
  const memory = result.run?.series.find((s) => s.id === STORE_IDS.memory);
  const redis = result.run?.series.find((s) => s.id === STORE_IDS.redis);
  if (memory === undefined || redis === undefined || redis.samples.length === 0) return undefined;
  return pairedRatio(redis.samples, memory.samples, (s) => s.wallMs);
}

export function storesTable(result: StoresResult | undefined): string {
  if (result?.run === undefined) return `Not measured${result?.error === undefined ? '' : `: ${result.error}`}.`;
  const run: NRun = result.run;
  const paired = storeRatio(result);
  const trips = summarize(result.roundTripsPerOp);
  return markdownTable(
    [
      'row',
      `N=${result.n} job ms (min–max)`,
      'of which before the first operation, ms',
      'CPU µs/operation',
      '× memory store',
      'Redis round trips/operation',
    ],
    run.series.map((series) => {
      const wall = summarize(series.samples.map((s) => s.wallMs));
      const cpu = summarize(series.samples.map((s) => (s.cpuMs * 1000) / result.n));
      const isRedis = series.id === STORE_IDS.redis;
      return [
        series.id === STORE_IDS.memory ? 'memory store' : 'Redis store',
        series.error === undefined
          ? `${num(wall.median)} (${num(wall.min)}–${num(wall.max)})`
          : `FAILED: ${series.error}`,
        num(summarize(result.startWaitMs[series.id] ?? []).median),
        num(cpu.median),
        isRedis ? ratio(paired?.median) : '1×',
        isRedis ? `${num(trips.median)} (${num(trips.min)}–${num(trips.max)})` : '–',
      ];
    }),
  );
}

/** The issue's two targets for the Redis store: wall time ≤ 1.3 × memory, round trips per operation < 0.1. */
export function storesTargets(result: StoresResult | undefined): TargetResult[] {
  const paired = result === undefined ? undefined : storeRatio(result);
  const trips = summarize(result?.roundTripsPerOp ?? []);
  const measured = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? value : NaN);
  const pass = (value: number, ok: (v: number) => boolean) => (Number.isFinite(value) ? ok(value) : undefined);
  const wall = measured(paired?.median);
  const perOp = measured(trips.count > 0 ? trips.median : undefined);
  return [
    {
      target: `Async ${TARGET_N}-operation job on the Redis store: wall ÷ memory store`,
      measured: wall,
      comparison: '≤',
      limit: 1.3,
      pass: pass(wall, (v) => v <= 1.3),
      detail:
        paired === undefined
          ? (result?.error ?? 'not measured')
          : `paired rotations p25–p75 ${num(paired.p25)}–${num(paired.p75)}, ${paired.count} pairs`,
    },
    {
      target: `Async ${TARGET_N}-operation job on the Redis store: Redis round trips per operation (< 0.1)`,
      measured: perOp,
      comparison: '≤',
      limit: 0.1,
      pass: pass(perOp, (v) => v < 0.1),
      detail:
        trips.count === 0 ? 'not measured' : `min ${num(trips.min)}, max ${num(trips.max)} over ${trips.count} samples`,
    },
  ];
}
