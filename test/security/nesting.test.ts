import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { sendBatch, sendJsonBatch } from '../support/http.js';
import { buildBatch, type PartSpec } from '../support/multipart.js';
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

/** An inner POST that carries a whole batch of its own, aimed at `url`. */
function nestedBatch(url: string, index: number): PartSpec {
  return {
    method: 'POST',
    url,
    headers: { 'X-Case': String(index), 'Content-Type': 'multipart/mixed; boundary=inner' },
    body: '--inner\r\nContent-Type: application/http\r\n\r\nGET /items/nested\r\n--inner--',
  };
}

// THREATS V7: in Express 4 and 5 each of these reaches the /batch route.
const REACHING: ReadonlyArray<[spelling: string, code: string]> = [
  ['/BATCH', 'batch.part.nested'],
  ['/Batch', 'batch.part.nested'],
  ['/batch/', 'batch.part.nested'],
  ['/batch?x=1', 'batch.part.nested'],
  ['/batch/x', 'batch.part.nested'],
  ['/./batch', 'batch.part.target'],
  ['/x/../batch', 'batch.part.target'],
  ['/x/%2e%2e/batch', 'batch.part.target'],
  ['\\batch', 'batch.part.target'],
  ['/batch#f', 'batch.part.target'],
  ['//batch', 'batch.part.target'],
];

describe.each(FRAMEWORKS)('T7 nested batches, on %s', (framework) => {
  let app: SecurityApp;
  afterEach(async () => {
    await app.close();
  });

  it('T7: refuses a nested batch in its slot for every spelling of the path that reaches the batch route', async () => {
    app = await startSecurityApp(framework);
    const batch = buildBatch([
      ...REACHING.map(([spelling], index) => nestedBatch(spelling, index + 1)),
      { method: 'GET', url: '/items/control' },
    ]);
    const [reply] = await Promise.all([
      sendBatch(app.url, batch, { localAddress: ATTACKER }),
      expectBystanderServed(app.url),
    ]);
    expect(reply.status).toBe(200);
    expect(reply.parts).toHaveLength(REACHING.length + 1);
    REACHING.forEach(([spelling, code], index) => {
      const part = reply.parts[index];
      expect(part?.status, spelling).toBe(400);
      expect(part?.json(), spelling).toEqual(
        refusalBody(code, index + 1, lineOf(batch.body, `X-Case: ${index + 1}\r`) - 1),
      );
    });
    expect(reply.parts.at(-1)?.json()).toEqual({ id: 'control' });
    expect(attackHits(app)).toEqual(['GET /items/control']);
    await expectAppAnswers(app.url);
  });

  it('T7: dispatches the spellings that do not reach the batch route as ordinary requests, which run no batch', async () => {
    app = await startSecurityApp(framework);
    const spellings = ['/%62atch', '/batch;x', '/batch%20'];
    const reply = await sendBatch(app.url, buildBatch(spellings.map((url, index) => nestedBatch(url, index))));
    expect(reply.parts.map((part) => part.status)).toEqual([404, 404, 404]);
    expect(attackHits(app)).toEqual(spellings.map((url) => `POST ${url}`));
  });

  it('T7: refuses, by the inner-request mark, a nested batch that reaches a second batch endpoint', async () => {
    app = await startSecurityApp(framework, { secondBatch: { path: '/other' } });
    const [reply] = await Promise.all([
      sendBatch(app.url, buildBatch([nestedBatch('/other', 1), { method: 'GET', url: '/items/control' }]), {
        localAddress: ATTACKER,
      }),
      expectBystanderServed(app.url),
    ]);
    expect(reply.parts.map((part) => part.status)).toEqual([400, 200]);
    expect(reply.parts[0]?.json()).toEqual(refusalBody('batch.part.nested', null, null));
    expect(attackHits(app)).toEqual(['POST /other', 'GET /items/control']);
    await expectAppAnswers(app.url);
  });

  it('T7: refuses, by the inner-request mark, a nested batch that an app rewrite routes to /batch', async () => {
    app = await startSecurityApp(framework, { aliasToBatch: true });
    const reply = await sendBatch(app.url, buildBatch([nestedBatch('/alias', 1)]), { localAddress: ATTACKER });
    expect(reply.status).toBe(200);
    expect(reply.parts[0]?.status).toBe(400);
    expect(reply.parts[0]?.json()).toEqual(refusalBody('batch.part.nested', null, null));
    expect(attackHits(app)).toEqual(['POST /alias']);
  });

  it('T7: refuses a nested batch sent through the JSON dialect, including a path written without its slash', async () => {
    app = await startSecurityApp(framework);
    const nested = { requests: [{ id: 'n', method: 'GET', url: '/items/nested' }] };
    const reply = await sendJsonBatch(
      app.url,
      [
        { id: 'slashless', method: 'POST', url: 'BATCH', body: nested },
        { id: 'trailing', method: 'POST', url: '/batch/', body: nested },
        { id: 'dotted', method: 'POST', url: '/x/../batch', body: nested },
        { id: 'control', method: 'GET', url: '/items/control' },
      ],
      { localAddress: ATTACKER },
    );
    expect(reply.status).toBe(200);
    expect(reply.responses.map((response) => [response.id, response.status])).toEqual([
      ['slashless', 400],
      ['trailing', 400],
      ['dotted', 400],
      ['control', 200],
    ]);
    expect(reply.responses.slice(0, 3).map((response) => response.body)).toEqual([
      refusalBody('batch.part.nested', 1, null, { operationId: 'slashless' }),
      refusalBody('batch.part.nested', 2, null, { operationId: 'trailing' }),
      refusalBody('batch.part.target', 3, null, { operationId: 'dotted' }),
    ]);
    expect(attackHits(app)).toEqual(['GET /items/control']);
  });

  it('T7: still serves that second endpoint and the rewrite to outer clients', async () => {
    app = await startSecurityApp(framework, { secondBatch: { path: '/other' }, aliasToBatch: true });
    const batch = buildBatch([{ method: 'GET', url: '/items/direct' }]);
    const other = await sendBatch(app.url, batch, { path: '/other' });
    const alias = await sendBatch(app.url, batch, { path: '/alias' });
    expect(other.parts.map((part) => part.json())).toEqual([{ id: 'direct' }]);
    expect(alias.parts.map((part) => part.json())).toEqual([{ id: 'direct' }]);
  });
});
