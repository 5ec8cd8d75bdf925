import { spawn, type ChildProcess } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { batch } from '@inbatch/koa';
import { send, sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';
import { EXPRESS, KOA, batchOf, gets, koaListener, useServers } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/late-failure-app.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The fixture app in a child process, so a crash it suffers can't take the test runner with it. */
function startFixture(flavor: string): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, ['--conditions=inbatch-source', '--import', 'tsx', FIXTURE, flavor], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening (\S+)\n/.exec(stdout);
      if (match?.[1]) resolve({ url: match[1], child, stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`fixture exited (${code}) before listening: ${stderr}`)));
  });
}

describe.each(EXPRESS)('a route that fails after its answer started, on %s', (name) => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill();
  });

  // Express's final handler calls req.socket.destroy() when an error follows a started
  // answer; the mock socket has no destroy(), and the TypeError is thrown from a setImmediate.
  it('answers 502 batch.part.dispatch_failed in its slot and keeps the process alive', async () => {
    const fixture = await startFixture(name);
    children.push(fixture.child);
    const outcome = await sendBatch(fixture.url, buildBatch([...gets('/fails-late'), ...gets('/ok')])).then(
      (reply) => reply.parts.map((part) => [part.status, part.json().error?.code ?? part.json()]),
      (error: Error) => `the batch failed (${error.message}); server stderr: ${fixture.stderr()}`,
    );
    expect(outcome).toEqual([
      [502, 'batch.part.dispatch_failed'],
      [200, { ok: true }],
    ]);
    const after = await send(fixture.url, '/ok');
    expect(after.status).toBe(200);
    expect(after.json()).toEqual({ ok: true });
  });
});

// Koa 3 destroys the response when a stream body fails; Koa 2 leaves it open (over plain
// HTTP too), so there the slot ends only at the operation timeout.
const KOA_LATE_FAILURE = {
  koa3: [502, 'batch.part.dispatch_failed'],
  koa2: [504, 'batch.part.timeout'],
} as const;

describe.each(KOA)('a stream body that fails after its answer started, on %s', (name, Koa) => {
  const serve = useServers();

  it('ends its slot with an error answer (Koa 3: 502 dispatch_failed, Koa 2: 504 timeout) while the other parts answer', async () => {
    const app = new Koa();
    app.silent = true;
    app.use(batch({ timeoutMs: 300 }));
    app.use((ctx) => {
      if (ctx.path !== '/fails-late') {
        ctx.body = { ok: true };
        return;
      }
      let started = false;
      ctx.type = 'text/plain';
      ctx.body = new Readable({
        read() {
          if (started) return;
          started = true;
          this.push('partial');
          setImmediate(() => this.destroy(new Error('failed after the answer started')));
        },
      });
    });
    const server = await serve(koaListener(app));
    const reply = await batchOf(server, [...gets('/fails-late'), ...gets('/ok')]);
    expect(reply.parts.map((part) => [part.status, part.json().error?.code ?? part.json()])).toEqual([
      KOA_LATE_FAILURE[name],
      [200, { ok: true }],
    ]);
    const after = await send(server.url, '/ok');
    expect(after.status).toBe(200);
    expect(after.json()).toEqual({ ok: true });
  });
});
