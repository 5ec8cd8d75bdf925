import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFORMANCE_FRAMEWORKS, startApp, type TestServer } from '../support/apps.js';
import { sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

describe.each(CONFORMANCE_FRAMEWORKS)('streaming the answer on %s', (framework) => {
  let app: TestServer;
  afterEach(async () => {
    await app.close();
  });

  it('sends the parts that are ready before a slow later operation has answered', async () => {
    app = await startApp(framework);
    const batch = buildBatch([
      { method: 'GET', url: '/items/first' },
      { method: 'GET', url: '/slow/600' },
    ]);
    const started = performance.now();
    const arrivals = await new Promise<{ firstPartAt: number; endAt: number }>((resolve, reject) => {
      let text = '';
      let firstPartAt = Number.NaN;
      const req = request(`${app.url}/batch`, {
        method: 'POST',
        headers: { 'content-type': batch.contentType, 'content-length': batch.body.length },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (Number.isNaN(firstPartAt) && text.includes('{"id":"first"}')) firstPartAt = performance.now() - started;
        });
        res.on('end', () => resolve({ firstPartAt, endAt: performance.now() - started }));
      });
      req.end(batch.body);
    });
    expect(arrivals.endAt).toBeGreaterThanOrEqual(600);
    expect(arrivals.firstPartAt).toBeLessThan(arrivals.endAt - 300);
  });

  it('runs more than ten operations at once without a MaxListenersExceededWarning', async () => {
    app = await startApp(framework, { batch: { concurrency: 20 } });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const reply = await sendBatch(
        app.url,
        buildBatch(Array.from({ length: 60 }, () => ({ method: 'GET', url: '/slow/5' }))),
      );
      expect(reply.parts.map((part) => part.status)).toEqual(Array.from({ length: 60 }, () => 200));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
