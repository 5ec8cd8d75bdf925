import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { send } from '../support/http.js';
import { startAsyncApp, type AsyncApp } from './apps.js';
import { innerHits, seedOperations, sendJson, UUID_V4, waitFor, waitForJob } from './helpers.js';

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe.each(FRAMEWORKS)('the operations dialect on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });

  it("answers the seed's example submit 201 with a UUIDv4 and a Location", async () => {
    app = await startAsyncApp(framework);
    const reply = await sendJson(app.url, '/batch', seedOperations());
    expect(reply.status).toBe(201);
    expect(Object.keys(reply.json())).toEqual(['uuid']);
    expect(reply.json().uuid).toMatch(UUID_V4);
    expect(reply.headers.location).toBe(`/batch/${reply.json().uuid}`);
    await waitForJob(app.url, reply.json().uuid);
  });

  it("answers the status document with the seed's field names, in the seed's order", async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (await sendJson(app.url, '/batch', seedOperations())).json();
    const reply = await waitForJob(app.url, uuid);
    expect(reply.status).toBe(200);
    const doc = reply.json();
    expect(Object.keys(doc)).toEqual([
      'completedAt',
      'createdAt',
      'operations',
      'processedAt',
      'progress',
      'responses',
      'status',
      'updatingAt',
      'uuid',
      'webhook',
    ]);
    expect(doc).toMatchObject({
      operations: 3,
      progress: { total: 3, done: 3, failed: 0, cancelled: 0 },
      status: 'finished',
      uuid,
      webhook: null,
    });
    for (const field of ['completedAt', 'createdAt', 'processedAt', 'updatingAt'])
      expect(doc[field]).toMatch(ISO_SECONDS);
    expect(doc.responses.map((response: object) => Object.keys(response))).toEqual(
      Array(3).fill([
        'body',
        'completedAt',
        'endpoint',
        'method',
        'operationId',
        'status',
        'statusCode',
        'statusText',
        'uuid',
      ]),
    );
    expect(doc.responses.map((r: any) => [r.operationId, r.method, r.endpoint, r.status, r.statusCode])).toEqual([
      ['createProductApiBatch1', 'GET', '/v1/products?page=1', 'finished', 200],
      ['createProductApiBatch2', 'GET', '/v1/products?page=2', 'finished', 200],
      ['createProductApiBatch3', 'POST', '/v1/products', 'finished', 201],
    ]);
    expect(JSON.parse(doc.responses[2].body)).toEqual({ created: { name: 'Product 3' } });
    expect(new Set(doc.responses.map((r: any) => r.uuid)).size).toBe(3);
    for (const response of doc.responses) expect(response.uuid).toMatch(UUID_V4);
  });

  it('echoes the webhook block in the status document', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (await sendJson(app.url, '/batch', seedOperations({ email: 'ops@example.com' }))).json();
    const reply = await waitForJob(app.url, uuid);
    expect(reply.json().webhook).toEqual({ callbackUrl: null, email: 'ops@example.com' });
  });

  it('serves the JSONL file: one seed response per line, as an inert download', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (await sendJson(app.url, '/batch', seedOperations())).json();
    const status = (await waitForJob(app.url, uuid)).json();
    const reply = await send(app.url, `/batch/${uuid}/jsonl`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/x-ndjson');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['content-disposition']).toBe(`attachment; filename="${uuid}.jsonl"`);
    const lines = reply.text.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((line) => JSON.parse(line))).toEqual(status.responses);
  });

  it('serves the gzip file: the same JSONL compressed, as application/gzip without Content-Encoding', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (await sendJson(app.url, '/batch', seedOperations())).json();
    await waitForJob(app.url, uuid);
    const jsonl = await send(app.url, `/batch/${uuid}/jsonl`);
    const reply = await send(app.url, `/batch/${uuid}/gz`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/gzip');
    expect(reply.headers['content-encoding']).toBeUndefined();
    expect(reply.headers['content-disposition']).toBe(`attachment; filename="${uuid}.jsonl.gz"`);
    const inflated = gunzipSync(reply.body).toString();
    expect(inflated).toBe(jsonl.text);
    expect(inflated.trimEnd().split('\n')).toHaveLength(3);
  });

  it('refuses the files with 409 batch.job_not_finished while the job runs', async () => {
    app = await startAsyncApp(framework);
    const submit = await sendJson(app.url, '/batch', {
      batch: { operations: [{ operationId: 'held', method: 'GET', endpoint: '/gate/files' }] },
    });
    const { uuid } = submit.json();
    await waitFor(() => app.hits.includes('GET /gate/files'), 'the held operation');
    const reply = await send(app.url, `/batch/${uuid}/jsonl`);
    expect(reply.status).toBe(409);
    expect(reply.json().error).toMatchObject({ code: 'batch.job_not_finished' });
    app.gates.open('files');
    expect((await waitForJob(app.url, uuid)).json().status).toBe('finished');
  });

  it('refuses duplicate operationIds whole with 400 batch.duplicate_id naming the id, and runs nothing', async () => {
    app = await startAsyncApp(framework);
    const reply = await sendJson(app.url, '/batch', {
      batch: {
        operations: [
          { operationId: 'a', method: 'GET', endpoint: '/items/1' },
          { operationId: 'b', method: 'GET', endpoint: '/items/2' },
          { operationId: 'a', method: 'GET', endpoint: '/items/3' },
        ],
      },
    });
    expect(reply.status).toBe(400);
    expect(reply.json()).toEqual({
      error: {
        code: 'batch.duplicate_id',
        message: 'Operations 1 and 3 both have the operationId "a".',
        part: 3,
        line: null,
        operationId: 'a',
      },
    });
    expect(innerHits(app.hits)).toEqual([]);
  });

  it('refuses an operation without an operationId whole with 400 batch.malformed', async () => {
    app = await startAsyncApp(framework);
    const reply = await sendJson(app.url, '/batch', {
      batch: { operations: [{ operationId: 'a', method: 'GET', endpoint: '/items/1' }, { method: 'GET' }] },
    });
    expect(reply.status).toBe(400);
    expect(reply.json().error).toEqual({
      code: 'batch.malformed',
      message: 'Operation 2 has no "operationId" (a non-empty string of at most 256 characters).',
      part: 2,
      line: null,
    });
    expect(innerHits(app.hits)).toEqual([]);
  });

  it('refuses an empty operations list with 400 batch.empty', async () => {
    app = await startAsyncApp(framework);
    const reply = await sendJson(app.url, '/batch', { batch: { operations: [] } });
    expect(reply.status).toBe(400);
    expect(reply.json().error).toMatchObject({ code: 'batch.empty', message: 'The batch has no operations.' });
  });

  it('refuses a body on a GET in its slot, and runs the other operations', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (
      await sendJson(app.url, '/batch', {
        batch: {
          operations: [
            { operationId: 'get-with-body', method: 'GET', endpoint: '/items/1', body: '{"x":1}' },
            { operationId: 'plain', method: 'GET', endpoint: '/items/2' },
          ],
        },
      })
    ).json();
    const doc = (await waitForJob(app.url, uuid)).json();
    expect(doc.responses.map((r: any) => [r.operationId, r.statusCode])).toEqual([
      ['get-with-body', 400],
      ['plain', 200],
    ]);
    expect(JSON.parse(doc.responses[0].body).error).toEqual({
      code: 'batch.part.malformed',
      message: 'A body is sent only with POST, PUT or PATCH, not with GET.',
      part: 1,
      line: null,
      operationId: 'get-with-body',
    });
    expect(innerHits(app.hits)).toEqual(['GET /items/2']);
  });

  it('sends a body given as a JSON object as JSON, like one given as a string', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (
      await sendJson(app.url, '/batch', {
        batch: {
          operations: [
            { operationId: 'object', method: 'POST', endpoint: '/v1/products', body: { name: 'A' } },
            { operationId: 'string', method: 'post', endpoint: '/v1/products', body: '{"name":"B"}' },
          ],
        },
      })
    ).json();
    const doc = (await waitForJob(app.url, uuid)).json();
    expect(doc.responses.map((r: any) => [r.statusCode, JSON.parse(r.body)])).toEqual([
      [201, { created: { name: 'A' } }],
      [201, { created: { name: 'B' } }],
    ]);
  });

  it('never reads as a success when every operation failed: status failed, counts say so', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (
      await sendJson(app.url, '/batch', {
        batch: {
          operations: [
            { operationId: 'missing', method: 'GET', endpoint: '/nowhere' },
            { operationId: 'broken', method: 'GET', endpoint: '/fail' },
          ],
        },
      })
    ).json();
    const doc = (await waitForJob(app.url, uuid)).json();
    expect(doc.status).toBe('failed');
    expect(doc.progress).toEqual({ total: 2, done: 2, failed: 2, cancelled: 0 });
    expect(doc.responses.map((r: any) => r.statusCode)).toEqual([404, 500]);
  });

  it('reads a job with some failures as finished, with the failures counted', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (
      await sendJson(app.url, '/batch', {
        batch: {
          operations: [
            { operationId: 'ok', method: 'GET', endpoint: '/items/1' },
            { operationId: 'missing', method: 'GET', endpoint: '/nowhere' },
          ],
        },
      })
    ).json();
    const doc = (await waitForJob(app.url, uuid)).json();
    expect(doc.status).toBe('finished');
    expect(doc.progress).toEqual({ total: 2, done: 2, failed: 1, cancelled: 0 });
  });

  it('shows progress while running: the answered operations, the rest still to come', async () => {
    app = await startAsyncApp(framework, { concurrency: 1 });
    const { uuid } = (
      await sendJson(app.url, '/batch', {
        batch: {
          operations: [
            { operationId: 'first', method: 'GET', endpoint: '/items/1' },
            { operationId: 'held', method: 'GET', endpoint: '/gate/progress' },
            { operationId: 'last', method: 'GET', endpoint: '/items/3' },
          ],
        },
      })
    ).json();
    await waitFor(() => app.hits.includes('GET /gate/progress'), 'the held operation');
    const running = await send(app.url, `/batch/${uuid}`);
    expect(running.status).toBe(200);
    expect(running.json()).toMatchObject({
      status: 'running',
      completedAt: null,
      progress: { total: 3, done: 1, failed: 0, cancelled: 0 },
    });
    expect(running.json().responses.map((r: any) => r.operationId)).toEqual(['first']);
    app.gates.open('progress');
    expect((await waitForJob(app.url, uuid)).json().progress).toEqual({ total: 3, done: 3, failed: 0, cancelled: 0 });
  });

  it('withholds the answers past maxTotalResponseBytes, as a sync batch does', async () => {
    app = await startAsyncApp(framework, { maxTotalResponseBytes: 700, concurrency: 1 });
    const page = 'x'.repeat(300);
    const { uuid } = (
      await sendJson(app.url, '/batch', {
        batch: {
          operations: [
            { operationId: 'first', method: 'GET', endpoint: `/v1/products?page=${page}` },
            { operationId: 'second', method: 'GET', endpoint: `/v1/products?page=${page}` },
          ],
        },
      })
    ).json();
    const doc = (await waitForJob(app.url, uuid)).json();
    expect(doc.responses.map((r: any) => r.statusCode)).toEqual([200, 502]);
    expect(JSON.parse(doc.responses[1].body).error).toEqual({
      code: 'batch.part.response_too_large',
      message: "The job's answers reached 700 bytes in all; this answer was withheld.",
      part: 2,
      line: null,
      operationId: 'second',
      limit: 700,
    });
  });
});
