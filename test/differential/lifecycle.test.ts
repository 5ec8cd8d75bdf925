import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { batch } from '@inbatch/express';
import type { DispatcherKind } from '@inbatch/core';
import { errorCode } from './cases.js';
import { useDifferential } from './harness.js';
import type { Observer } from './observer.js';

/** Routes where the two dispatchers differ on purpose; each test pins both behaviours. */
function lifecycleApp(kind: DispatcherKind, observer: Observer) {
  const app = express();
  app.set('env', 'test');
  app.use((req, res, next) => {
    observer.track(req, res, {});
    next();
  });
  app.use(batch({ dispatcher: kind, timeoutMs: 200 }));
  app.get('/write-after-end', (req, res) => {
    res.end('done');
    res.write('late', (error) => observer.note(req, `write after end: ${(error as { code?: string }).code}`));
  });
  app.get('/slow-write', async (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('first ');
    await delay(5);
    res.end('last');
  });
  app.get('/timeout-then-answer', async (req, res) => {
    res.setTimeout(10, () => observer.note(req, 'timeout'));
    await delay(40);
    res.send('late answer');
  });
  app.get('/answer-then-timeout', (req, res) => {
    res.setTimeout(10, () => observer.note(req, 'timeout'));
    res.send('quick answer');
  });
  app.get('/hang', () => {});
  return app as unknown as (req: IncomingMessage, res: ServerResponse) => void;
}

describe('where the fast dispatcher differs from light-my-request, on purpose', () => {
  const { run } = useDifferential(lifecycleApp);

  it('keeps an answer the app wrote to after ending it, and gives the write’s callback Node’s error (the reference loses the answer)', async () => {
    const { fast, 'light-my-request': reference } = await run([{ method: 'GET', url: '/write-after-end' }]);
    const note = 'note:write after end: ERR_STREAM_WRITE_AFTER_END';
    expect([fast.reply.parts[0]?.status, fast.reply.parts[0]?.text]).toEqual([200, 'done']);
    expect(fast.observations.c1?.events).toContain(note);
    // light-my-request pushes the late chunk onto its ended capture stream, whose error fails the operation.
    expect([reference.reply.parts[0]?.status, errorCode(reference.reply.parts[0] ?? fast.reply.parts[0]!)]).toEqual([
      502,
      'batch.part.dispatch_failed',
    ]);
    expect(reference.observations.c1?.events).toContain(note);
  });

  it('emits no drain without backpressure (the reference emits one whenever its capture stream is read)', async () => {
    const { fast, 'light-my-request': reference } = await run([{ method: 'GET', url: '/slow-write' }]);
    expect(fast.reply.parts[0]?.text).toBe('first last');
    expect(fast.observations.c1?.events).toEqual(['res:prefinish', 'res:finish', 'req:close', 'res:close']);
    expect(reference.observations.c1?.events).toEqual([
      'res:drain',
      'res:prefinish',
      'res:finish',
      'req:close',
      'res:close',
    ]);
  });

  it('closes the socket of an answer it abandons, as a lost connection would (the reference’s mock socket never closes)', async () => {
    const { fast, 'light-my-request': reference } = await run([{ method: 'GET', url: '/hang' }]);
    expect(fast.reply.parts[0]?.status).toBe(504);
    expect(reference.reply.parts[0]?.status).toBe(504);
    expect(fast.observations.c1?.events).toEqual(['req:close', 'res:close']);
    expect(reference.observations.c1?.events).toEqual(['req:close', 'res:close']);
    expect(fast.observations.c1?.socketEvents).toEqual(['socket:close']);
    expect(reference.observations.c1?.socketEvents).toEqual([]);
  });
});

describe('res.setTimeout() through both dispatchers', () => {
  const { same } = useDifferential(lifecycleApp);

  it('fires while the answer is open, and not after it ended', async () => {
    const outcome = await same([
      { method: 'GET', url: '/timeout-then-answer' },
      { method: 'GET', url: '/answer-then-timeout' },
    ]);
    expect(outcome.observations.c1?.events).toContain('note:timeout');
    expect(outcome.observations.c2?.events).not.toContain('note:timeout');
  });
});
