import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SHARED_REDIS_PORT } from './redis.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const CLUSTER = fileURLToPath(new URL('./cluster.ts', import.meta.url));

/** What an instance is started with; each field becomes one INBATCH_* variable of child.ts. */
export interface InstanceOptions {
  framework: 'express' | 'koa';
  prefix: string;
  key: string;
  store?: 'redis' | 'memory';
  redisPort?: number;
  lockDurationMs?: number;
  commandTimeoutMs?: number;
  /** Operations of one batch at once (the batch option `concurrency`). */
  concurrency?: number;
}

/** An app instance running in a child process. */
export interface Instance {
  url: string;
  pid: number;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** SIGKILL: the process dies at once, in the middle of whatever it does. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful stop (closes the store), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

function childEnv(options: InstanceOptions, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    INBATCH_FRAMEWORK: options.framework,
    INBATCH_STORE: options.store ?? 'redis',
    INBATCH_REDIS_PORT: String(options.redisPort ?? SHARED_REDIS_PORT),
    INBATCH_PREFIX: options.prefix,
    INBATCH_KEY: options.key,
    INBATCH_LOCK_MS: String(options.lockDurationMs ?? 2000),
    INBATCH_COMMAND_TIMEOUT_MS: String(options.commandTimeoutMs ?? 2000),
    INBATCH_CONCURRENCY: String(options.concurrency ?? 4),
    ...extra,
  };
}

/** Spawns `script` under tsx with the source condition, and waits for its `{"port"}` line. */
async function spawnListening(script: string, env: NodeJS.ProcessEnv): Promise<Instance> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--conditions=inbatch-source', '--import', 'tsx', script],
    { env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const signal = async (name: NodeJS.Signals) => {
    if (alive()) child.kill(name);
    await exited;
  };
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${script} did not listen within 30 s; stderr: ${stderr}`)),
        30_000,
      );
      child.stdout.on('data', () => {
        const line = /^\{"port":(\d+)[^\n]*\}\n/m.exec(stdout);
        if (line === null) return;
        clearTimeout(timer);
        resolve(Number(line[1]));
      });
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (${code ?? sig}) before listening; stderr: ${stderr}`));
      });
    });
  } catch (error) {
    await signal('SIGKILL');
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    stderr: () => stderr,
    alive,
    kill: () => signal('SIGKILL'),
    stop: async () => {
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await signal('SIGTERM');
      clearTimeout(force);
    },
  };
}

/** One app instance (child.ts) in its own process. */
export function startInstance(options: InstanceOptions): Promise<Instance> {
  return spawnListening(CHILD, childEnv(options));
}

/** A node:cluster primary (cluster.ts) with `workers` workers running child.ts on one port. */
export function startCluster(options: InstanceOptions, workers: number): Promise<Instance> {
  return spawnListening(CLUSTER, childEnv(options, { INBATCH_WORKERS: String(workers) }));
}
