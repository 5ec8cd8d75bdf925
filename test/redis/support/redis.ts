import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** The shared Redis (.ci/run starts it). Never stopped by a test: restarts use their own server. */
export const SHARED_REDIS_PORT = 6379;

/** Whether a Redis answers PING on 127.0.0.1:port within a second. */
async function answersPing(port: number): Promise<boolean> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Whether the shared Redis is up. Without it the suite skips loudly on a laptop; under
 * `CI=true` a missing Redis is a failure, never a silent skip.
 */
export async function sharedRedisUp(suite: string): Promise<boolean> {
  if (await answersPing(SHARED_REDIS_PORT)) return true;
  const message = `${suite}: no Redis at 127.0.0.1:${SHARED_REDIS_PORT}`;
  if (process.env.CI === 'true') throw new Error(`${message}, and CI=true: these tests must run in CI.`);
  console.warn(`\n!!! ${message}: SKIPPING these tests. Start redis-server to run them. !!!\n`);
  return false;
}

/**
 * Whether a `redis-server` binary can be started here (a Redis in a container answers on
 * 6379 without one). Skips loudly without it, except under `CI=true`, where it fails.
 */
export function redisServerInstalled(suite: string): boolean {
  if (spawnSync('redis-server', ['--version']).status === 0) return true;
  const message = `${suite}: no redis-server binary to start and restart`;
  if (process.env.CI === 'true') throw new Error(`${message}, and CI=true: these tests must run in CI.`);
  console.warn(`\n!!! ${message}: SKIPPING these tests. Install redis-server to run them. !!!\n`);
  return false;
}

/** A key prefix no other run uses, so parallel runs and leftovers never meet. */
export function freshPrefix(label: string): string {
  return `inbatch-test:${label}:${randomBytes(6).toString('hex')}`;
}

/** A credential-encryption key as `redisJobStore` takes it: 64 hex characters. */
export function freshKey(): string {
  return randomBytes(32).toString('hex');
}

/** A client of the test's own, for counters, gates and the final cleanup. */
export function testClient(port = SHARED_REDIS_PORT): Redis {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  return client;
}

/**
 * Every key of a run: the app's own (`prefix…`) and the store's, which sit under the hash
 * tag `{prefix}` (SCAN, never KEYS: the Redis is shared).
 */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (const pattern of [`${prefix}*`, `{${prefix}}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}

/** Deletes every key under `prefix` (SCAN + DEL, never FLUSHALL: the Redis is shared). */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  const keys = await keysUnder(client, prefix);
  let deleted = 0;
  for (let i = 0; i < keys.length; i += 500) deleted += await client.del(...keys.slice(i, i + 500));
  return deleted;
}

/** The keys the test app uses for its counters and gates, under the run's prefix. */
export const appKeys = {
  /** INCRed by every execution of `POST /v1/products` for a product named `name`. */
  count: (prefix: string, name: string) => `${prefix}:app:count:${name}`,
  /** `GET /hold/:name` (and a POST with `hold`) answers once this key exists. */
  gate: (prefix: string, name: string) => `${prefix}:app:gate:${name}`,
  /** The pid of the instance that started holding `name` (LPUSHed, so a second start shows). */
  holders: (prefix: string, name: string) => `${prefix}:app:holders:${name}`,
};

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A redis-server of the test's own on a free port, so a test may stop and restart it.
 * Its data survives a restart (append-only file, fsync on every write), as a production
 * Redis's would: the test is about the store riding out an outage, not about data loss.
 */
export class OwnRedis {
  readonly port: number;
  private readonly dir: string;
  private process: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'inbatch-redis-'));
  }

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.up();
    return redis;
  }

  /** Starts the server (again) on its port and waits until it answers. */
  async up(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
      ],
      { stdio: 'ignore' },
    );
    this.process = child;
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(this.port))) {
      if (child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited (${child.exitCode})`);
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not answer within 10 s`);
      await delay(50);
    }
  }

  /** Stops the server (SIGTERM: a clean shutdown) and waits until it has exited. */
  async down(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }

  async stop(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
