import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { send, sendBatch, sendJsonBatch } from '../support/http.js';
import { buildBatch, parseAnswer } from '../support/multipart.js';
import { startAsyncApp, type AsyncApp } from './apps.js';
import { UUID_V4, waitForJob } from './helpers.js';

const PREFER = { prefer: 'respond-async' };

describe.each(FRAMEWORKS)('Prefer: respond-async on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });

  it('answers a multipart batch 202 with the Location of its status, and runs it as a job', async () => {
    app = await startAsyncApp(framework);
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/items/1' }]), { headers: PREFER });
    expect(reply.status).toBe(202);
    expect(reply.headers['preference-applied']).toBe('respond-async');
    const { uuid } = reply.json();
    expect(uuid).toMatch(UUID_V4);
    expect(reply.headers.location).toBe(`/batch/${uuid}`);
    const status = await waitForJob(app.url, uuid);
    expect(status.status).toBe(200);
    expect(status.json()).toMatchObject({
      operations: 1,
      progress: { total: 1, done: 1, failed: 0, cancelled: 0 },
      result: `/batch/${uuid}/result`,
      status: 'finished',
      uuid,
    });
  });

  it('serves the finished multipart answer at /result, as the sync batch would have answered', async () => {
    app = await startAsyncApp(framework);
    const batch = buildBatch([
      { method: 'GET', url: '/items/1', contentId: '<one>' },
      { method: 'GET', url: '/nowhere', contentId: 'two' },
    ]);
    const sync = await sendBatch(app.url, batch);
    const { uuid } = (await sendBatch(app.url, batch, { headers: { prefer: 'wait=5, respond-async' } })).json();
    await waitForJob(app.url, uuid);
    const result = await send(app.url, `/batch/${uuid}/result`);
    expect(result.status).toBe(200);
    const contentType = String(result.headers['content-type']);
    expect(contentType).toMatch(/^multipart\/mixed; boundary=batch_/);
    const parts = parseAnswer(contentType, result.body);
    const view = (list: typeof parts) => list.map((part) => [part.contentId, part.status, part.text]);
    expect(view(parts)).toEqual(view(sync.parts));
    expect(parts.map((part) => part.contentId)).toEqual(['<response-one>', 'response-two']);
  });

  it('serves the finished json answer at /result in the json dialect', async () => {
    app = await startAsyncApp(framework);
    const reply = await sendJsonBatch(
      app.url,
      [
        { id: 'a', method: 'GET', url: '/items/a' },
        { id: 'b', method: 'GET', url: '/items/{{a.body.id}}x', dependsOn: ['a'] },
      ],
      { headers: PREFER },
    );
    expect(reply.status).toBe(202);
    const { uuid } = reply.json();
    await waitForJob(app.url, uuid);
    const result = await send(app.url, `/batch/${uuid}/result`);
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(result.json().responses.map((r: any) => [r.id, r.status, r.body])).toEqual([
      ['a', 200, { id: 'a' }],
      ['b', 200, { id: 'ax' }],
    ]);
  });

  it('answers a batch without the preference in the response, as before', async () => {
    app = await startAsyncApp(framework);
    const reply = await sendJsonBatch(app.url, [{ id: 'a', method: 'GET', url: '/items/a' }], {
      headers: { prefer: 'return=minimal' },
    });
    expect(reply.status).toBe(200);
    expect(reply.responses).toEqual([expect.objectContaining({ id: 'a', status: 200, body: { id: 'a' } })]);
  });

  it('has no /result for an operations job: 404 pointing at the JSONL', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (
      await send(app.url, '/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ batch: { operations: [{ operationId: 'a', method: 'GET', endpoint: '/items/1' }] } }),
      })
    ).json();
    await waitForJob(app.url, uuid);
    const result = await send(app.url, `/batch/${uuid}/result`);
    expect(result.status).toBe(404);
    expect(result.json().error).toMatchObject({
      code: 'batch.job_not_found',
      message: `This batch has no result file; its answers are at /batch/${uuid}/jsonl.`,
    });
  });
});
