import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobSummary } from '@inbatch/core';
import { FRAMEWORKS } from '../support/apps.js';
import { send } from '../support/http.js';
import { SECRET_COOKIE, SECRET_TOKEN, startAsyncApp, type AsyncApp } from './apps.js';
import { innerHits, sendJson, waitFor, waitForJob } from './helpers.js';

const ALICE = { authorization: 'Bearer alice-token' };
const BOB = { authorization: 'Bearer bob-token' };
const NOT_FOUND = {
  error: { code: 'batch.job_not_found', message: 'No batch job has this id.', part: null, line: null },
};

function held(gate: string) {
  return { batch: { operations: [{ operationId: 'held', method: 'GET', endpoint: `/gate/${gate}` }] } };
}

function quick() {
  return { batch: { operations: [{ operationId: 'quick', method: 'GET', endpoint: '/items/1' }] } };
}

describe.each(FRAMEWORKS)('job owners on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });

  it('refuses a second batch from the same owner with 409 batch.owner_busy naming the running batch', async () => {
    app = await startAsyncApp(framework);
    const first = (await sendJson(app.url, '/batch', held('busy'), { headers: ALICE })).json().uuid;
    const second = await sendJson(app.url, '/batch', quick(), { headers: ALICE });
    expect(second.status).toBe(409);
    expect(second.json()).toEqual({
      error: {
        code: 'batch.owner_busy',
        message: `Batch ${first} is still pending or running; send the next one when it has ended.`,
        part: null,
        line: null,
        jobId: first,
      },
    });
    expect(innerHits(app.hits)).not.toContain('GET /items/1');
    app.gates.open('busy');
    await waitForJob(app.url, first, { headers: ALICE });
  });

  it('accepts the next batch once the running one has ended', async () => {
    app = await startAsyncApp(framework);
    const first = (await sendJson(app.url, '/batch', held('next'), { headers: ALICE })).json().uuid;
    app.gates.open('next');
    await waitForJob(app.url, first, { headers: ALICE });
    const next = await sendJson(app.url, '/batch', quick(), { headers: ALICE });
    expect(next.status).toBe(201);
    expect((await waitForJob(app.url, next.json().uuid, { headers: ALICE })).json().status).toBe('finished');
  });

  it('lets another owner submit while one owner has a batch running', async () => {
    app = await startAsyncApp(framework);
    const first = (await sendJson(app.url, '/batch', held('other'), { headers: ALICE })).json().uuid;
    const bob = await sendJson(app.url, '/batch', quick(), { headers: BOB });
    expect(bob.status).toBe(201);
    expect((await waitForJob(app.url, bob.json().uuid, { headers: BOB })).json().status).toBe('finished');
    app.gates.open('other');
    await waitForJob(app.url, first, { headers: ALICE });
  });

  it('runs two batches of one owner side by side when oneJobPerOwner is off', async () => {
    app = await startAsyncApp(framework, { oneJobPerOwner: false });
    const first = (await sendJson(app.url, '/batch', held('both'), { headers: ALICE })).json().uuid;
    const second = await sendJson(app.url, '/batch', quick(), { headers: ALICE });
    expect(second.status).toBe(201);
    app.gates.open('both');
    await waitForJob(app.url, first, { headers: ALICE });
    await waitForJob(app.url, second.json().uuid, { headers: ALICE });
  });

  it("answers someone else's job exactly like an unknown one: 404 on status, files, result and cancel", async () => {
    app = await startAsyncApp(framework);
    const id = (await sendJson(app.url, '/batch', quick(), { headers: ALICE })).json().uuid;
    await waitForJob(app.url, id, { headers: ALICE });
    const unknown = '0b5ef7c2-36a4-4f4e-9d7e-6f1e2a3b4c5d';
    for (const [method, suffix] of [
      ['GET', ''],
      ['GET', '/jsonl'],
      ['GET', '/gz'],
      ['GET', '/result'],
      ['DELETE', ''],
    ] as const) {
      const theirs = await send(app.url, `/batch/${id}${suffix}`, { method, headers: BOB });
      const nobodys = await send(app.url, `/batch/${unknown}${suffix}`, { method, headers: BOB });
      expect(theirs.status, `${method} ${suffix}`).toBe(404);
      expect(theirs.json(), `${method} ${suffix}`).toEqual(NOT_FOUND);
      expect(theirs.text).toBe(nobodys.text);
    }
    expect((await send(app.url, `/batch/${id}`, { headers: ALICE })).status).toBe(200);
  });

  it('tells the owner of a job from the client address when the request carries no credentials', async () => {
    app = await startAsyncApp(framework);
    const id = (await sendJson(app.url, '/batch', quick(), { localAddress: '127.0.0.2' })).json().uuid;
    await waitForJob(app.url, id, { localAddress: '127.0.0.2' });
    const other = await send(app.url, `/batch/${id}`, { localAddress: '127.0.0.3' });
    expect(other.status).toBe(404);
    expect(other.json()).toEqual(NOT_FOUND);
  });

  it('treats a rotated token as another owner (the documented pitfall of the default owner)', async () => {
    app = await startAsyncApp(framework);
    const id = (await sendJson(app.url, '/batch', quick(), { headers: ALICE })).json().uuid;
    await waitForJob(app.url, id, { headers: ALICE });
    const rotated = await send(app.url, `/batch/${id}`, { headers: { authorization: 'Bearer alice-token-2' } });
    expect(rotated.status).toBe(404);
    expect(rotated.json()).toEqual(NOT_FOUND);
  });

  it('uses the owner option: one principal across rotated tokens', async () => {
    app = await startAsyncApp(framework, {
      owner: ({ headers }) => /^Bearer (alice)/.exec(String(headers.authorization))?.[1],
    });
    const id = (await sendJson(app.url, '/batch', quick(), { headers: ALICE })).json().uuid;
    await waitForJob(app.url, id, { headers: ALICE });
    const rotated = await send(app.url, `/batch/${id}`, { headers: { authorization: 'Bearer alice-token-2' } });
    expect(rotated.status).toBe(200);
    expect(rotated.json().uuid).toBe(id);
  });

  it('passes through to the app a job path whose id is not a UUID, without touching the store', async () => {
    app = await startAsyncApp(framework);
    for (const id of ['*', 'batch:*', '..%2Fx', 'a'.repeat(200), '0B5EF7C2-36A4-1F4E-9D7E-6F1E2A3B4C5D']) {
      const reply = await send(app.url, `/batch/${id}`, { headers: ALICE });
      expect(reply.status, id).toBe(404);
      expect(reply.text, id).not.toContain('batch.job_not_found');
    }
  });

  it('keeps the outer credentials out of the status, the files, the summary — while the operations used them', async () => {
    const completed: JobSummary[] = [];
    app = await startAsyncApp(framework, { onComplete: (job) => void completed.push(job) });
    const headers = { authorization: `Bearer ${SECRET_TOKEN}`, cookie: SECRET_COOKIE };
    const id = (
      await sendJson(
        app.url,
        '/batch',
        { batch: { operations: [{ operationId: 'private', method: 'GET', endpoint: '/private' }] } },
        { headers },
      )
    ).json().uuid;
    const status = await waitForJob(app.url, id, { headers });
    expect(status.json().responses[0]).toMatchObject({ statusCode: 200, body: '{"ok":true}' });
    await waitFor(() => completed.length === 1, 'onComplete');
    const jsonl = await send(app.url, `/batch/${id}/jsonl`, { headers });
    const gz = await send(app.url, `/batch/${id}/gz`, { headers });
    const texts = [status.text, jsonl.text, gunzipSync(gz.body).toString(), JSON.stringify(completed)];
    for (const text of texts) {
      expect(text).not.toContain(SECRET_TOKEN);
      expect(text).not.toContain(SECRET_COOKIE.split('=')[1]);
    }
  });
});
