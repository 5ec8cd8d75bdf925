import { afterEach, describe, expect, it } from 'vitest';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import { FRAMEWORKS } from '../support/apps.js';
import { sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';
import { startSecurityApp, type SecurityApp } from './apps.js';
import {
  ATTACKER,
  attackHits,
  expectAppAnswers,
  expectBystanderServed,
  guardProcess,
  lineOf,
  refusalBody,
} from './harness.js';

guardProcess();

describe.each(FRAMEWORKS)('T11 inner methods, on %s', (framework) => {
  let app: SecurityApp;
  afterEach(async () => {
    await app.close();
  });

  it('T11: answers inner FOO, CONNECT and TRACE with 400 batch.part.method in their slots, and the process survives', async () => {
    app = await startSecurityApp(framework);
    const batch = buildBatch([
      { method: 'FOO', url: '/items/foo' },
      { method: 'CONNECT', url: '/items/connect' },
      { method: 'TRACE', url: '/items/trace' },
      { method: 'GET', url: '/items/control' },
    ]);
    const [reply] = await Promise.all([
      sendBatch(app.url, batch, { localAddress: ATTACKER }),
      expectBystanderServed(app.url),
    ]);
    expect(reply.status).toBe(200);
    expect(reply.parts.map((part) => part.status)).toEqual([400, 400, 400, 200]);
    ['FOO /items/foo', 'CONNECT /items/connect', 'TRACE /items/trace'].forEach((requestLine, index) => {
      expect(reply.parts[index]?.json(), requestLine).toEqual(
        refusalBody('batch.part.method', index + 1, lineOf(batch.body, requestLine)),
      );
    });
    expect(reply.parts[3]?.json()).toEqual({ id: 'control' });
    expect(attackHits(app)).toEqual(['GET /items/control']);
    await expectAppAnswers(app.url);
  });

  it('T11: refuses a lower-case method and a method that is not a token in their slots', async () => {
    app = await startSecurityApp(framework);
    const batch = buildBatch([
      { method: 'get', url: '/items/lower' },
      { method: 'G(T', url: '/items/paren' },
    ]);
    const reply = await sendBatch(app.url, batch);
    expect(reply.parts.map((part) => part.json())).toEqual([
      refusalBody('batch.part.method', 1, lineOf(batch.body, 'get /items/lower')),
      refusalBody('batch.part.method', 2, lineOf(batch.body, 'G(T /items/paren')),
    ]);
    expect(attackHits(app)).toEqual([]);
  });

  it('T11: dispatches a custom method only when configured, and the app’s answer comes back without a crash', async () => {
    app = await startSecurityApp(framework, { batch: { methods: ['GET', 'FOO'] } });
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'FOO', url: '/items/foo' },
        { method: 'POST', url: '/echo' },
      ]),
    );
    expect(reply.status).toBe(200);
    // The app has no FOO route: Express answers 404, Koa's allowedMethods 501.
    expect([404, 501]).toContain(reply.parts[0]?.status);
    expect(reply.parts[1]?.json()).toEqual(refusalBody('batch.part.method', 2, expect.any(Number)));
    expect(attackHits(app)).toEqual(['FOO /items/foo']);
    await expectAppAnswers(app.url);
  });
});

describe('T11 mounting', () => {
  it('T11: refuses to mount batch() with CONNECT or TRACE among the inner methods', () => {
    for (const factory of [expressBatch, koaBatch]) {
      expect(() => factory({ methods: ['GET', 'CONNECT'] })).toThrow(TypeError);
      expect(() => factory({ methods: ['TRACE'] })).toThrow(/option "methods" may not include TRACE/);
    }
  });
});
