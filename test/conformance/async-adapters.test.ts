import { afterEach, describe, expect, it } from 'vitest';
import { waitForJob } from '../async/helpers.js';
import { CONFORMANCE_FRAMEWORKS, FRAMEWORKS, startApp, type TestServer } from '../support/apps.js';
import { send } from '../support/http.js';

// test/async proves the async dialects on Express and Koa in depth; this proves the same
// engine serves them through the other adapters, whose routing of /batch/{id} differs
// (Fastify's wildcard route, Hono's middleware, the node:http wrapper).
const ADAPTERS = CONFORMANCE_FRAMEWORKS.filter((framework) => !(FRAMEWORKS as readonly string[]).includes(framework));

describe.each(ADAPTERS)('async batches through the %s adapter', (framework) => {
  let app: TestServer;
  afterEach(async () => {
    await app.close();
  });

  it('takes an operations batch (201, Location) and answers its status document once it ran', async () => {
    app = await startApp(framework);
    const submit = await send(app.url, '/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        batch: {
          operations: [
            { operationId: 'read', method: 'GET', endpoint: '/items/7' },
            { operationId: 'post', method: 'POST', endpoint: '/echo', body: { n: 1 } },
          ],
        },
      }),
    });
    expect(submit.status).toBe(201);
    const { uuid } = submit.json();
    expect(submit.headers.location).toBe(`/batch/${uuid}`);
    const status = await waitForJob(app.url, uuid);
    expect(status.json()).toMatchObject({ status: 'finished', progress: { total: 2, done: 2, failed: 0 } });
    expect(status.json().responses.map((answer: { statusCode: number }) => answer.statusCode)).toEqual([200, 201]);
    expect(JSON.parse(status.json().responses[0].body)).toEqual({ id: '7' });
  });

  it('runs a JSON batch sent with Prefer: respond-async as a job, and serves its result as the sync answer', async () => {
    app = await startApp(framework);
    const submit = await send(app.url, '/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ requests: [{ id: 'a', method: 'GET', url: '/items/3' }] }),
    });
    expect(submit.status).toBe(202);
    const { uuid } = submit.json();
    expect((await waitForJob(app.url, uuid)).status).toBe(200);
    const result = await send(app.url, `/batch/${uuid}/result`);
    expect(result.status).toBe(200);
    expect(result.json().responses).toMatchObject([{ id: 'a', status: 200, body: { id: '3' } }]);
  });

  it('answers GET /batch/limits and passes other paths under /batch to the app', async () => {
    app = await startApp(framework);
    const limits = await send(app.url, '/batch/limits');
    expect(limits.status).toBe(200);
    expect(limits.json().limits).toMatchObject({ maxLoadScore: 100 });
    expect((await send(app.url, '/batch/not-a-job')).status).toBe(404);
    expect(app.hits).toContain('GET /batch/not-a-job');
  });
});
