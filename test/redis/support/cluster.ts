/**
 * A node:cluster primary running INBATCH_WORKERS copies of child.ts, all on one port (the
 * primary hands connections out round-robin). Prints `{"port":…,"pid":…,"workers":[…]}`
 * once every worker listens; workers' stderr passes through, so the test sees warnings.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';

const count = Number(process.env.INBATCH_WORKERS ?? '2');
cluster.setupPrimary({
  exec: fileURLToPath(new URL('./child.ts', import.meta.url)),
  execArgv: ['--conditions=inbatch-source', '--import', 'tsx'],
  silent: true,
});

const ports = new Map<number, number>();
const workers: Worker[] = [];
for (let i = 0; i < count; i++) {
  const worker = cluster.fork({ INBATCH_PORT: '0' });
  workers.push(worker);
  worker.process.stderr?.pipe(process.stderr);
  let out = '';
  worker.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const line = /^\{"port":(\d+)[^\n]*\}\n/m.exec(out);
    if (line === null || ports.has(worker.id)) return;
    ports.set(worker.id, Number(line[1]));
    if (ports.size < count) return;
    // listen(0) in cluster workers shares one port; say so if it ever did not.
    const distinct = new Set(ports.values());
    if (distinct.size !== 1) throw new Error(`cluster workers listen on different ports: ${[...distinct].join(', ')}`);
    const pids = workers.map((w) => w.process.pid);
    process.stdout.write(`${JSON.stringify({ port: [...distinct][0], pid: process.pid, workers: pids })}\n`);
  });
}

process.once('SIGTERM', () => {
  let left = workers.length;
  for (const worker of workers) {
    worker.once('exit', () => {
      if (--left === 0) process.exit(0);
    });
    worker.process.kill('SIGTERM');
  }
});
