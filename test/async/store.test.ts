import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryJobStore, type JobStore } from '@inbatch/core';
import { FRAMEWORKS } from '../support/apps.js';
import { send, sendJsonBatch } from '../support/http.js';
import { SECRET_COOKIE, SECRET_TOKEN, startAsyncApp, type AsyncApp } from './apps.js';
import { sendJson, UUID_V4, waitFor, waitForJob } from './helpers.js';

/** A memory store that records every call made to it, arguments serialized. */
function spyingStore(inner: JobStore = createMemoryJobStore()): { store: JobStore; calls: string[] } {
  const calls: string[] = [];
  const store = Object.fromEntries(
    Object.entries(inner).map(([name, method]) => [
      name,
      (...args: unknown[]) => {
        calls.push(
          `${name} ${JSON.stringify(args, (_key, value) => (Buffer.isBuffer(value) ? value.toString() : value))}`,
        );
        return (method as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as JobStore;
  return { store, calls };
}

describe.each(FRAMEWORKS)('the job store boundary on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });

  it('hands the store no credentials, while the operations ran with them', async () => {
    const spy = spyingStore();
    app = await startAsyncApp(framework, { store: spy.store });
    const headers = { authorization: `Bearer ${SECRET_TOKEN}`, cookie: SECRET_COOKIE, 'idempotency-key': 'k-1' };
    const submit = await sendJson(
      app.url,
      '/batch?access_token=outer-query-secret',
      { batch: { operations: [{ operationId: 'p', method: 'GET', endpoint: '/private' }] } },
      { headers },
    );
    const doc = (await waitForJob(app.url, submit.json().uuid, { headers })).json();
    expect(doc.responses[0].statusCode).toBe(200);
    expect(spy.calls.some((call) => call.startsWith('record'))).toBe(true);
    for (const call of spy.calls) {
      expect(call).not.toContain(SECRET_TOKEN);
      expect(call).not.toContain(SECRET_COOKIE.split('=')[1]);
      expect(call).not.toContain('outer-query-secret');
      expect(call).not.toContain('k-1');
    }
  });

  it('lets only UUIDv4 ids reach the store (THREATS T31)', async () => {
    const spy = spyingStore();
    app = await startAsyncApp(framework, { store: spy.store });
    for (const id of ['*', 'batch:*', '%2A', `${'f'.repeat(36)}`, '00000000-0000-0000-0000-000000000000']) {
      await send(app.url, `/batch/${id}`);
      await send(app.url, `/batch/${id}`, { method: 'DELETE' });
      await send(app.url, `/batch/${id}/jsonl`);
    }
    expect(spy.calls).toEqual([]);
    await send(app.url, '/batch/0b5ef7c2-36a4-4f4e-9d7e-6f1e2a3b4c5d');
    expect(spy.calls).toHaveLength(1);
    expect(JSON.parse(spy.calls[0]!.slice('read '.length))[0]).toMatch(UUID_V4);
  });

  it('answers 429 batch.overloaded with Retry-After when the store is full of running jobs', async () => {
    app = await startAsyncApp(framework, { store: createMemoryJobStore({ maxJobs: 1 }), oneJobPerOwner: false });
    const held = await sendJson(app.url, '/batch', {
      batch: { operations: [{ operationId: 'held', method: 'GET', endpoint: '/gate/full' }] },
    });
    await waitFor(() => app.hits.includes('GET /gate/full'), 'the held operation');
    const refused = await sendJsonBatch(app.url, [{ id: 'a', method: 'GET', url: '/items/1' }], {
      headers: { prefer: 'respond-async' },
    });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('30');
    expect(refused.json().error).toEqual({
      code: 'batch.overloaded',
      message: 'Too many batch jobs are kept right now; try again later.',
      part: null,
      line: null,
    });
    app.gates.open('full');
    await waitForJob(app.url, held.json().uuid);
    const next = await sendJsonBatch(app.url, [{ id: 'a', method: 'GET', url: '/items/1' }], {
      headers: { prefer: 'respond-async' },
    });
    expect(next.status).toBe(202);
    await waitForJob(app.url, next.json().uuid);
  });

  it('answers 500 batch.internal, and tells onError, when the store fails', async () => {
    const errors: unknown[] = [];
    const broken = { ...createMemoryJobStore(), create: () => Promise.reject(new Error('store down')) };
    app = await startAsyncApp(framework, { store: broken, onError: (error) => void errors.push(error) });
    const reply = await sendJson(app.url, '/batch', {
      batch: { operations: [{ operationId: 'a', method: 'GET', endpoint: '/items/1' }] },
    });
    expect(reply.status).toBe(500);
    expect(reply.json().error).toEqual({
      code: 'batch.internal',
      message: 'The batch could not be processed.',
      part: null,
      line: null,
    });
    expect(errors).toEqual([new Error('store down')]);
  });
});
