import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type TestServer } from '../support/apps.js';
import { send, sendBatch } from '../support/http.js';
import { buildBatch, parseAnswer } from '../support/multipart.js';

/** An outer request whose headers are sent now and whose body is up to the test. */
function openBatch(url: string, contentType: string, length: number) {
  const req = request(`${url}/batch`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': contentType, 'content-length': length },
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.on('error', reject);
  });
  // Tests that end with the request still open destroy it; that rejection is expected.
  response.catch(() => undefined);
  req.flushHeaders();
  return { req, response };
}

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.once('end', () => resolve(Buffer.concat(chunks)));
    res.once('error', reject);
  });
}

/** Waits until `count()` has not changed for `quietMs`, and returns it. */
async function settledCount(count: () => number, quietMs = 400): Promise<number> {
  let last = -1;
  for (;;) {
    const now = count();
    if (now === last) return now;
    last = now;
    await delay(quietMs);
  }
}

const small = buildBatch([
  { method: 'GET', url: '/items/1' },
  { method: 'GET', url: '/items/2' },
]);

for (const framework of ['express5', 'koa3'] as const) {
  describe(`the process-wide budget on ${framework}`, () => {
    let app: TestServer;
    const open: ClientRequest[] = [];
    afterEach(async () => {
      for (const req of open.splice(0)) req.destroy();
      await app.close();
    });

    it('refuses a batch past maxConcurrentBatches with 503 batch.busy before its body is sent, and answers the one accepted', async () => {
      app = await startApp(framework, { batch: { maxConcurrentBatches: 1 } });
      const first = openBatch(app.url, small.contentType, small.body.length);
      open.push(first.req);
      first.req.write(small.body.subarray(0, 10)); // admitted: its body is being read
      await delay(100);

      const second = openBatch(app.url, small.contentType, small.body.length);
      open.push(second.req);
      const refused = await second.response; // no byte of its body was ever sent
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.headers.connection).toBe('close');
      expect(JSON.parse((await readAll(refused)).toString())).toMatchObject({ error: { code: 'batch.busy' } });

      first.req.end(small.body.subarray(10));
      const accepted = await first.response;
      expect(accepted.statusCode).toBe(200);
      const parts = parseAnswer(String(accepted.headers['content-type']), await readAll(accepted));
      expect(parts.map((part) => part.json())).toEqual([{ id: '1' }, { id: '2' }]);

      // Its share was given back: the next batch is served.
      const next = await sendBatch(app.url, small);
      expect(next.status).toBe(200);
      expect(next.parts).toHaveLength(2);
    });

    it('reserves the declared Content-Length against maxBufferedBytes', async () => {
      // Each batch reserves its body plus 1 MiB of answers: 1.5 MiB + 100 KiB + 1 MiB fits in
      // 3 MiB; 1.5 MiB + 600 KiB + 1 MiB does not.
      app = await startApp(framework, { batch: { maxBufferedBytes: 3 * 1024 * 1024 } });
      const large = openBatch(app.url, small.contentType, 512 * 1024);
      open.push(large.req);
      large.req.write('--');
      await delay(100);

      const tooMuch = openBatch(app.url, small.contentType, 600 * 1024);
      open.push(tooMuch.req);
      const refused = await tooMuch.response;
      expect(refused.statusCode).toBe(503);
      expect(JSON.parse((await readAll(refused)).toString())).toMatchObject({ error: { code: 'batch.busy' } });

      const fits = await sendBatch(app.url, small);
      expect(fits.status).toBe(200);
      expect(fits.parts.map((part) => part.json())).toEqual([{ id: '1' }, { id: '2' }]);
    });

    it('gives the share of a client that went away mid-body back', async () => {
      app = await startApp(framework, { batch: { maxConcurrentBatches: 1 } });
      const gone = openBatch(app.url, small.contentType, small.body.length);
      gone.response.catch(() => undefined);
      gone.req.write(small.body.subarray(0, 10));
      await delay(100);
      gone.req.destroy();
      await delay(100);
      const next = await sendBatch(app.url, small);
      expect(next.status).toBe(200);
    });
  });

  describe(`backpressure and the write deadline on ${framework}`, () => {
    let app: TestServer;
    const open: ClientRequest[] = [];
    afterEach(async () => {
      for (const req of open.splice(0)) req.destroy();
      await app.close();
    });

    // 1000 answers of 64 KiB: 64 MiB, far more than the socket buffers and the 1 MiB mark hold.
    const PARTS = 1000;
    const BYTES = 64 * 1024;
    const big = buildBatch(Array.from({ length: PARTS }, () => ({ method: 'GET', url: `/big/${BYTES}` })));
    const bigHits = () => app.hits.filter((hit) => hit.startsWith('GET /big/')).length;

    it('starts no more operations while the client does not read, and answers every one once it does', async () => {
      app = await startApp(framework, { batch: { maxTotalResponseBytes: 128 * 1024 * 1024 } });
      const batch = openBatch(app.url, big.contentType, big.body.length);
      open.push(batch.req);
      batch.req.end(big.body);
      const res = await batch.response;
      res.pause();
      const stalled = await settledCount(bigHits);
      // What ran fills the socket buffers, the 1 MiB mark and the operations in flight: a
      // fraction of the batch (without backpressure all 1000 run at once).
      expect(stalled).toBeLessThan(PARTS / 2);

      res.resume();
      const parts = parseAnswer(String(res.headers['content-type']), await readAll(res));
      expect(parts).toHaveLength(PARTS);
      expect(parts.every((part) => part.status === 200 && part.body.length === BYTES)).toBe(true);
    });

    it('closes the connection of a client that stops reading for writeTimeoutMs, and stops its batch', async () => {
      app = await startApp(framework, {
        batch: { maxTotalResponseBytes: 128 * 1024 * 1024, writeTimeoutMs: 300, maxConcurrentBatches: 1 },
      });
      // A client that reads nothing can't see its connection close: watch the server's side.
      const serverSide = new Promise<void>((resolve) => {
        app.server.once('connection', (socket) => socket.once('close', () => resolve()));
      });
      const batch = openBatch(app.url, big.contentType, big.body.length);
      open.push(batch.req);
      batch.req.end(big.body);
      const res = await batch.response;
      res.pause();
      res.on('error', () => undefined);
      await serverSide;
      expect(await settledCount(bigHits)).toBeLessThan(PARTS / 2);

      // Its share is back and the app serves as before.
      const next = await sendBatch(app.url, small);
      expect(next.status).toBe(200);
      expect((await send(app.url, '/items/7')).text).toBe('{"id":"7"}');
    });
  });
}
