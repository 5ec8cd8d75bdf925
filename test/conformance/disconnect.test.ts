import { request } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFORMANCE_FRAMEWORKS, startApp, type TestServer } from '../support/apps.js';
import { buildBatch } from '../support/multipart.js';

describe.each(CONFORMANCE_FRAMEWORKS)('client disconnect on %s', (framework) => {
  let app: TestServer;
  afterEach(async () => {
    await app.close();
  });

  it('does not start the operations that had not started when the client went away', async () => {
    app = await startApp(framework, { batch: { concurrency: 1 } });
    const batch = buildBatch(Array.from({ length: 20 }, () => ({ method: 'GET', url: '/slow/50' })));
    const req = request(`${app.url}/batch`, {
      method: 'POST',
      headers: { 'content-type': batch.contentType, 'content-length': batch.body.length },
    });
    req.on('error', () => undefined);
    req.end(batch.body);
    await delay(130);
    req.destroy();
    await delay(300);
    const started = app.hits.filter((hit) => hit === 'GET /slow/50').length;
    expect(started).toBeGreaterThanOrEqual(1);
    expect(started).toBeLessThanOrEqual(4);
    await delay(200);
    expect(app.hits.filter((hit) => hit === 'GET /slow/50').length).toBe(started);
  });
});
