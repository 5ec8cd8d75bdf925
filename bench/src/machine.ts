import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  freeMemoryGb: number;
  loadAverage: number[];
  node: string;
  v8: string;
  platform: string;
  versions: Record<string, string>;
}

function packageVersion(name: string): string {
  try {
    const url = import.meta.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(new URL(url), 'utf8')) as { version: string }).version;
  } catch {
    // Some packages don't export package.json; find it next to their entry point.
    try {
      let dir = new URL('.', import.meta.resolve(name));
      for (let depth = 0; depth < 4; depth++) {
        try {
          const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
            name?: string;
            version: string;
          };
          if (pkg.name === name) return pkg.version;
        } catch {
          // not here: one level up
        }
        dir = new URL('..', dir);
      }
    } catch {
      // unresolvable
    }
    return '?';
  }
}

const VERSIONED = [
  'express',
  'koa',
  '@koa/router',
  'koa-bodyparser',
  'light-my-request',
  '@hapi/hapi',
  'bassmaster',
  'express-batch',
  'multifetch',
  'batch-request',
] as const;

export function machineFacts(): MachineFacts {
  const cpuList = cpus();
  const versions: Record<string, string> = {};
  for (const name of VERSIONED) versions[name] = packageVersion(name);
  return {
    cpuModel: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGb: Math.round((freemem() / 2 ** 30) * 10) / 10,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    versions,
  };
}

/**
 * A fixed piece of CPU work (ms). Run at the start and end of every section: the same
 * work taking much longer than the run's median means the shared box was busy then.
 */
export function calibrate(): number {
  const start = performance.now();
  for (let i = 0; i < 20_000; i++) {
    const text = JSON.stringify({ i, name: `item ${i}`, tags: ['a', 'b'] });
    if (JSON.parse(text).i !== i) throw new Error('unreachable');
  }
  return performance.now() - start;
}
