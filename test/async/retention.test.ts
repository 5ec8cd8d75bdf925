import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { send } from '../support/http.js';
import { startAsyncApp, type AsyncApp } from './apps.js';
import { seedOperations, sendJson, waitFor, waitForJob } from './helpers.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 60 * 60 * 1000;

/** Moves the clock the engine reads (only Date is faked: sockets and timers stay real). */
function advanceTo(ms: number): void {
  vi.setSystemTime(ms);
}

describe.each(FRAMEWORKS)('retention (statusTtlMs, resultTtlMs) on %s', (framework) => {
  let app: AsyncApp;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START);
  });
  afterEach(async () => {
    vi.useRealTimers();
    await app.close();
  });

  async function finishedJob(): Promise<{ uuid: string; completedAt: number }> {
    const { uuid } = (await sendJson(app.url, '/batch', seedOperations())).json();
    const doc = (await waitForJob(app.url, uuid)).json();
    return { uuid, completedAt: Date.parse(doc.completedAt) };
  }

  it('stamps the documents with the engine clock', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = await finishedJob();
    const doc = (await send(app.url, `/batch/${uuid}`)).json();
    expect(doc).toMatchObject({
      createdAt: '2026-01-01T00:00:00Z',
      processedAt: '2026-01-01T00:00:00Z',
      completedAt: '2026-01-01T00:00:00Z',
    });
  });

  it('keeps the status for the default hour after completion', async () => {
    app = await startAsyncApp(framework);
    const { uuid, completedAt } = await finishedJob();
    advanceTo(completedAt + HOUR - 1);
    const reply = await send(app.url, `/batch/${uuid}`);
    expect(reply.status).toBe(200);
    expect(reply.json().status).toBe('finished');
  });

  it('answers the status 410 batch.job_expired after an hour, pointing at the files', async () => {
    app = await startAsyncApp(framework);
    const { uuid, completedAt } = await finishedJob();
    advanceTo(completedAt + HOUR);
    const reply = await send(app.url, `/batch/${uuid}`);
    expect(reply.status).toBe(410);
    expect(reply.json()).toEqual({
      error: {
        code: 'batch.job_expired',
        message: `The status of batch ${uuid} is no longer kept; its answers can be downloaded from /batch/${uuid}/jsonl and /batch/${uuid}/gz until 2026-01-02T00:00:00Z.`,
        part: null,
        line: null,
      },
    });
    expect(reply.headers.link).toBe(
      `</batch/${uuid}/jsonl>; rel="alternate"; type="application/x-ndjson", </batch/${uuid}/gz>; rel="alternate"; type="application/gzip"`,
    );
  });

  it('keeps serving the files after the status expired, until the default 24 hours', async () => {
    app = await startAsyncApp(framework);
    const { uuid, completedAt } = await finishedJob();
    advanceTo(completedAt + 24 * HOUR - 1);
    const jsonl = await send(app.url, `/batch/${uuid}/jsonl`);
    expect(jsonl.status).toBe(200);
    expect(jsonl.text.trimEnd().split('\n')).toHaveLength(3);
    expect((await send(app.url, `/batch/${uuid}/gz`)).status).toBe(200);
  });

  it('forgets the job after 24 hours: status and files answer 404 batch.job_not_found', async () => {
    app = await startAsyncApp(framework);
    const { uuid, completedAt } = await finishedJob();
    advanceTo(completedAt + 24 * HOUR);
    for (const suffix of ['', '/jsonl', '/gz']) {
      const reply = await send(app.url, `/batch/${uuid}${suffix}`);
      expect(reply.status, suffix).toBe(404);
      expect(reply.json().error.code, suffix).toBe('batch.job_not_found');
    }
  });

  it('honours configured TTLs', async () => {
    app = await startAsyncApp(framework, { statusTtlMs: 1000, resultTtlMs: 5000 });
    const { uuid, completedAt } = await finishedJob();
    advanceTo(completedAt + 1000);
    expect((await send(app.url, `/batch/${uuid}`)).status).toBe(410);
    expect((await send(app.url, `/batch/${uuid}/jsonl`)).status).toBe(200);
    advanceTo(completedAt + 5000);
    expect((await send(app.url, `/batch/${uuid}/jsonl`)).status).toBe(404);
  });

  it('never expires a running job, however long it runs', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (
      await sendJson(app.url, '/batch', {
        batch: { operations: [{ operationId: 'held', method: 'GET', endpoint: '/gate/long' }] },
      })
    ).json();
    await waitFor(() => app.hits.includes('GET /gate/long'), 'the held operation');
    advanceTo(START + 48 * HOUR);
    const reply = await send(app.url, `/batch/${uuid}`);
    expect(reply.status).toBe(200);
    expect(reply.json().status).toBe('running');
    app.gates.open('long');
    await waitForJob(app.url, uuid);
  });

  it('honours an Idempotency-Key only while the first job’s status is kept', async () => {
    app = await startAsyncApp(framework);
    const headers = { 'idempotency-key': 'nightly-1' };
    const first = await sendJson(app.url, '/batch', seedOperations(), { headers });
    const doc = (await waitForJob(app.url, first.json().uuid)).json();
    advanceTo(Date.parse(doc.completedAt) + HOUR - 1);
    expect((await sendJson(app.url, '/batch', seedOperations(), { headers })).json().uuid).toBe(first.json().uuid);
    advanceTo(Date.parse(doc.completedAt) + HOUR);
    const later = await sendJson(app.url, '/batch', seedOperations(), { headers });
    expect(later.status).toBe(201);
    expect(later.json().uuid).not.toBe(first.json().uuid);
    await waitForJob(app.url, later.json().uuid);
  });
});
