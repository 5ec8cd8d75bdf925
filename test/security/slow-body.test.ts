import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { startSecurityApp, type SecurityApp } from './apps.js';
import {
  attackHits,
  expectAppAnswers,
  expectBystanderServed,
  guardProcess,
  rawExchange,
  refusalBody,
} from './harness.js';

guardProcess();

const body = Buffer.from('--b\r\nContent-Type: application/http\r\n\r\nGET /items/attack HTTP/1.1\r\n\r\n--b--\r\n');

describe.each(FRAMEWORKS)('T5 slow outer bodies, on %s', (framework) => {
  let app: SecurityApp;
  afterEach(async () => {
    await app.close();
  });

  it('T5: answers a body that stops arriving with 408 batch.body_timeout after bodyTimeoutMs, closes, and runs nothing', async () => {
    app = await startSecurityApp(framework, { batch: { bodyTimeoutMs: 300 } });
    const [reply] = await Promise.all([
      // The head declares the whole body; only its first 10 bytes ever come.
      rawExchange(
        app.url,
        `POST /batch HTTP/1.1\r\nHost: inbatch.test\r\nContent-Type: multipart/mixed; boundary=b\r\nContent-Length: ${body.length}\r\n\r\n`,
        [body.subarray(0, 10)],
      ),
      expectBystanderServed(app.url),
    ]);
    expect(reply.status).toBe(408);
    expect(reply.headers.connection).toBe('close');
    expect(JSON.parse(reply.body.toString())).toEqual(refusalBody('batch.body_timeout', null, null, { limit: 300 }));
    expect(attackHits(app)).toEqual([]);
    await expectAppAnswers(app.url);
  });
});
