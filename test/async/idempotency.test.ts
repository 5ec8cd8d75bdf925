import { afterEach, describe, expect, it } from 'vitest';
import type { BatchOptions } from '@inbatch/core';
import { FRAMEWORKS } from '../support/apps.js';
import { send, sendBatch, sendJsonBatch, type Reply } from '../support/http.js';
import { buildBatch, parseAnswer } from '../support/multipart.js';
import { startAsyncApp, type AsyncApp } from './apps.js';
import { innerHits, seedOperations, sendJson, waitForJob } from './helpers.js';

const ALICE = { authorization: 'Bearer alice-token' };

/** The body of the 422 for a key already used for `jobId`'s batch. */
function keyReused(jobId: string) {
  return {
    code: 'batch.idempotency_key_reused',
    message: `This Idempotency-Key was already used for a different batch, ${jobId}; send this batch under a new key.`,
    part: null,
    line: null,
    jobId,
  };
}

/** A one-operation batch of each dialect that runs as a job, creating a product named `name`. */
interface AsyncDialect {
  options: BatchOptions;
  submit(app: AsyncApp, headers: Record<string, string>, name: string): Promise<Reply>;
  status: 201 | 202;
  /** The submit answer's id field. */
  id: 'uuid' | 'batchId';
}

const JSON_TYPE = { 'content-type': 'application/json' };
const PREFER = { prefer: 'respond-async' };

const ASYNC_DIALECTS: ReadonlyArray<[name: string, dialect: AsyncDialect]> = [
  [
    'operations',
    {
      options: {},
      status: 201,
      id: 'uuid',
      submit: (app, headers, name) =>
        sendJson(
          app.url,
          '/batch',
          {
            batch: {
              operations: [{ operationId: 'p', method: 'POST', endpoint: '/v1/products', body: `{"name":"${name}"}` }],
            },
          },
          { headers },
        ),
    },
  ],
  [
    'json with Prefer: respond-async',
    {
      options: {},
      status: 202,
      id: 'uuid',
      submit: (app, headers, name) =>
        sendJsonBatch(app.url, [{ id: 'p', method: 'POST', url: '/v1/products', headers: JSON_TYPE, body: { name } }], {
          headers: { ...headers, ...PREFER },
        }),
    },
  ],
  [
    'multipart with Prefer: respond-async',
    {
      options: {},
      status: 202,
      id: 'uuid',
      submit: (app, headers, name) =>
        sendBatch(
          app.url,
          buildBatch([{ method: 'POST', url: '/v1/products', headers: JSON_TYPE, body: `{"name":"${name}"}` }]),
          { headers: { ...headers, ...PREFER } },
        ),
    },
  ],
  [
    'bulk',
    {
      options: { bulk: { masterlist: { method: 'PUT', url: '/v2/masterlist/{asin}' } } },
      status: 202,
      id: 'batchId',
      submit: (app, headers, name) =>
        sendJson(app.url, '/process/masterlist', [{ asin: 'ASIN1', name }], { method: 'PATCH', headers }),
    },
  ],
];

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

  it('refuses the same key with a different batch with 422 batch.idempotency_key_reused, and runs nothing more', async () => {
    app = await startAsyncApp(framework);
    const headers = { ...ALICE, 'idempotency-key': 'order-43' };
    const first = await sendJson(app.url, '/batch', seedOperations(), { headers });
    await waitForJob(app.url, first.json().uuid, { headers: ALICE });
    const changed = seedOperations();
    changed.batch.operations[1]!.endpoint = '/v1/products?page=3';
    const reused = await sendJson(app.url, '/batch', changed, { headers });
    expect(reused.status).toBe(422);
    expect(reused.json().error).toEqual(keyReused(first.json().uuid));
    expect(reused.headers.location).toBeUndefined();
    expect(innerHits(app.hits)).toHaveLength(3);
  });

  it('refuses the key while the first batch still runs, too', async () => {
    app = await startAsyncApp(framework);
    const headers = { ...ALICE, 'idempotency-key': 'held-2' };
    const held = { batch: { operations: [{ operationId: 'held', method: 'GET', endpoint: '/gate/idem2' }] } };
    const first = await sendJson(app.url, '/batch', held, { headers });
    const reused = await sendJson(app.url, '/batch', seedOperations(), { headers });
    expect(reused.status).toBe(422);
    expect(reused.json().error).toEqual(keyReused(first.json().uuid));
    app.gates.open('idem2');
    await waitForJob(app.url, first.json().uuid, { headers: ALICE });
  });

  it("refuses the key when only one operation's own header changed", async () => {
    app = await startAsyncApp(framework);
    const headers = { ...ALICE, prefer: 'respond-async', 'idempotency-key': 'multi-2' };
    const first = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/items/1', headers: { 'x-v': '1' } }]), {
      headers,
    });
    await waitForJob(app.url, first.json().uuid, { headers: ALICE });
    const reused = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/items/1', headers: { 'x-v': '2' } }]), {
      headers,
    });
    expect(reused.status).toBe(422);
    expect(reused.json().error).toEqual(keyReused(first.json().uuid));
  });

  it('refuses the key for the same operations sent in another dialect', async () => {
    app = await startAsyncApp(framework);
    const headers = { ...ALICE, 'idempotency-key': 'dialect-1' };
    const first = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/items/1' }]), {
      headers: { ...headers, ...PREFER },
    });
    await waitForJob(app.url, first.json().uuid, { headers: ALICE });
    const reused = await sendJsonBatch(app.url, [{ id: '1', method: 'GET', url: '/items/1' }], {
      headers: { ...headers, ...PREFER },
    });
    expect(reused.status).toBe(422);
    expect(reused.json().error).toEqual(keyReused(first.json().uuid));
  });

  it('replays a retry whose outer request differs only in per-send headers (request id, trace context)', async () => {
    app = await startAsyncApp(framework);
    const headers = { ...ALICE, 'idempotency-key': 'order-44' };
    const first = await sendJson(app.url, '/batch', seedOperations(), {
      headers: {
        ...headers,
        'x-request-id': 'r-1',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    });
    await waitForJob(app.url, first.json().uuid, { headers: ALICE });
    const retry = await sendJson(app.url, '/batch', seedOperations(), {
      headers: {
        ...headers,
        'x-request-id': 'r-2',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    });
    expect(retry.status).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
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

describe.each(FRAMEWORKS)('Idempotency-Key in every async dialect on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });

  it.each(ASYNC_DIALECTS)(
    'replays the same %s batch under a key, and refuses a different one with 422',
    async (_name, dialect) => {
      app = await startAsyncApp(framework, dialect.options);
      const headers = { ...ALICE, 'idempotency-key': 'dialect-key' };
      const first = await dialect.submit(app, headers, 'NEW-1');
      expect(first.status).toBe(dialect.status);
      const id = first.json()[dialect.id] as string;
      await waitForJob(app.url, id, { headers: ALICE });
      const retry = await dialect.submit(app, headers, 'NEW-1');
      expect(retry.status).toBe(dialect.status);
      expect(retry.json()).toEqual(first.json());
      expect(retry.headers['idempotent-replayed']).toBe('true');
      const reused = await dialect.submit(app, headers, 'NEW-2');
      expect(reused.status).toBe(422);
      expect(reused.json().error).toEqual(keyReused(id));
      expect(innerHits(app.hits)).toHaveLength(1);
    },
  );
});
