import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { send, sendBatch } from '../support/http.js';
import { buildBatch, parseAnswer } from '../support/multipart.js';
import { startAsyncApp, type AsyncApp } from './apps.js';
import { innerHits, seedOperations, sendJson, waitForJob } from './helpers.js';

const ALICE = { authorization: 'Bearer alice-token' };

describe.each(FRAMEWORKS)('Idempotency-Key on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });

  it("answers a retried submit with the first job's id and status code, and runs it once", async () => {
    app = await startAsyncApp(framework);
    const headers = { ...ALICE, 'idempotency-key': 'order-42' };
    const first = await sendJson(app.url, '/batch', seedOperations(), { headers });
    await waitForJob(app.url, first.json().uuid, { headers: ALICE });
    const retry = await sendJson(app.url, '/batch', seedOperations(), { headers });
    expect(retry.status).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(innerHits(app.hits)).toHaveLength(3);
  });

  it('answers a retry that arrives while the first job still runs with that job, not 409', async () => {
    app = await startAsyncApp(framework);
    const headers = { ...ALICE, 'idempotency-key': '"held-1"' };
    const body = { batch: { operations: [{ operationId: 'held', method: 'GET', endpoint: '/gate/idem' }] } };
    const first = await sendJson(app.url, '/batch', body, { headers });
    const retry = await sendJson(app.url, '/batch', body, { headers });
    expect(retry.status).toBe(201);
    expect(retry.json().uuid).toBe(first.json().uuid);
    app.gates.open('idem');
    await waitForJob(app.url, first.json().uuid, { headers: ALICE });
  });

  it('keeps the 202 of a bulk or respond-async submit on replay', async () => {
    app = await startAsyncApp(framework);
    const headers = { ...ALICE, prefer: 'respond-async', 'idempotency-key': 'multi-1' };
    const batch = buildBatch([{ method: 'GET', url: '/items/1' }]);
    const first = await sendBatch(app.url, batch, { headers });
    await waitForJob(app.url, first.json().uuid, { headers: ALICE });
    const retry = await sendBatch(app.url, batch, { headers });
    expect(retry.status).toBe(202);
    expect(retry.json()).toEqual(first.json());
  });

  it("never replays another owner's job for the same key", async () => {
    app = await startAsyncApp(framework);
    const first = await sendJson(app.url, '/batch', seedOperations(), {
      headers: { ...ALICE, 'idempotency-key': 'shared' },
    });
    await waitForJob(app.url, first.json().uuid, { headers: ALICE });
    const bob = await sendJson(app.url, '/batch', seedOperations(), {
      headers: { authorization: 'Bearer bob-token', 'idempotency-key': 'shared' },
    });
    expect(bob.status).toBe(201);
    expect(bob.json().uuid).not.toBe(first.json().uuid);
    expect(bob.headers['idempotent-replayed']).toBeUndefined();
  });

  it('starts a new job for a new key', async () => {
    app = await startAsyncApp(framework);
    const one = await sendJson(app.url, '/batch', seedOperations(), { headers: { ...ALICE, 'idempotency-key': 'k1' } });
    await waitForJob(app.url, one.json().uuid, { headers: ALICE });
    const two = await sendJson(app.url, '/batch', seedOperations(), { headers: { ...ALICE, 'idempotency-key': 'k2' } });
    expect(two.status).toBe(201);
    expect(two.json().uuid).not.toBe(one.json().uuid);
  });

  it('keeps Idempotency-Key and Prefer off the inner requests of a job, and passes other headers on', async () => {
    app = await startAsyncApp(framework);
    const headers = { 'idempotency-key': 'batch-key', prefer: 'respond-async', 'x-tenant': 't-7' };
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/batch-headers' }]), { headers });
    await waitForJob(app.url, reply.json().uuid);
    const result = await send(app.url, `/batch/${reply.json().uuid}/result`);
    expect(parseAnswer(String(result.headers['content-type']), result.body)[0]?.json()).toEqual({
      prefer: null,
      idempotencyKey: null,
      custom: 't-7',
    });
  });

  it('refuses an Idempotency-Key longer than 255 characters with 400 batch.idempotency_key_invalid', async () => {
    app = await startAsyncApp(framework);
    const reply = await sendJson(app.url, '/batch', seedOperations(), {
      headers: { 'idempotency-key': 'k'.repeat(256) },
    });
    expect(reply.status).toBe(400);
    expect(reply.json().error).toEqual({
      code: 'batch.idempotency_key_invalid',
      message: 'Idempotency-Key must be 1 to 255 printable ASCII characters.',
      part: null,
      line: null,
      limit: 255,
    });
    expect(innerHits(app.hits)).toEqual([]);
  });
});
