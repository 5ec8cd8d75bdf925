import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { keysUnder, sharedRedisUp, testClient } from './support/redis.js';

const redisUp = await sharedRedisUp('test/redis/example-cluster');
const EXAMPLE = fileURLToPath(new URL('../../examples/cluster/', import.meta.url));

/** Runs the example's demo script as its package script does; answers its exit code and output. */
function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--conditions=inbatch-source', '--import', 'tsx', 'src/demo.ts'], {
    cwd: EXAMPLE,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe.skipIf(!redisUp)('the cluster example’s demo', () => {
  const redis = testClient();
  afterAll(() => {
    redis.disconnect();
  });

  it('submits on A, follows and downloads the job on B, counts the batch against the shared rate limit, and cleans up', async () => {
    const { code, stdout, stderr } = await runDemo();
    expect(code, stderr).toBe(0);
    const [, a, b] = /A on (http:\/\/\S+), B on (http:\/\/\S+)\./.exec(stdout) ?? [];
    expect(a).toBeDefined();
    expect(b).not.toBe(a);
    expect(stdout).toMatch(new RegExp(`POST ${a}/batch \\(5 operations\\) → 201, job [0-9a-f-]{36}`));
    expect(stdout).toMatch(new RegExp(`GET {2}${b}/batch/[0-9a-f-]{36} → 200 finished \\(5/5 done\\)`));
    for (let i = 1; i <= 5; i++)
      expect(stdout).toMatch(new RegExp(`product-${i}: 200 Product ${i} \\(run by instance [AB]\\)`));
    expect(stdout).toMatch(/\/jsonl → 200, 5 lines/);
    expect(stdout).toContain('the same JSONL gzipped: yes');
    expect(stdout).toContain('RateLimit-Remaining 94 of 100');

    const prefix = /\(prefix (\S+)\)/.exec(stdout)?.[1];
    expect(prefix).toMatch(/^inbatch-example-cluster:/);
    expect(await keysUnder(redis, prefix ?? 'none')).toEqual([]);
  });
});
