import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS, PARSER_LIMITS } from '@inbatch/core';
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

const KiB = 1024;
const MiB = 1024 * KiB;
const CONTENT_TYPE = 'multipart/mixed; boundary=b';

function* repeat(chunk: Buffer, times: number): Generator<Buffer> {
  for (let i = 0; i < times; i++) yield chunk;
}

/** A chunked body: `count` chunks of `size` bytes of one valid (but endless) part, never terminated. */
function* chunked(size: number, count: number): Generator<Buffer> {
  const part = Buffer.from('--b\r\n\r\nPOST /items/attack\r\n\r\n');
  yield Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]);
  const data = Buffer.alloc(size, 'x');
  const chunk = Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
  yield* repeat(chunk, count);
}

const head = (headers: string) =>
  `POST /batch HTTP/1.1\r\nHost: inbatch.test\r\nContent-Type: ${CONTENT_TYPE}\r\n${headers}\r\n`;

describe.each(FRAMEWORKS)('T3 outer body limits, on %s', (framework) => {
  let app: SecurityApp;
  afterEach(async () => {
    await app.close();
  });

  it('T3: refuses a declared Content-Length over maxBodyBytes with 413 batch.too_large before reading the body', async () => {
    app = await startSecurityApp(framework, { batch: { maxBodyBytes: 64 * KiB } });
    const [reply] = await Promise.all([
      rawExchange(app.url, head(`Content-Length: ${100 * MiB}\r\n`), repeat(Buffer.alloc(16 * KiB, 'x'), 6400)),
      expectBystanderServed(app.url),
    ]);
    expect(reply.status).toBe(413);
    expect(reply.headers.connection).toBe('close');
    expect(JSON.parse(reply.body.toString())).toEqual(refusalBody('batch.too_large', null, null, { limit: 64 * KiB }));
    // Answered with almost all of the 100 MiB still unsent.
    expect(reply.sentAll).toBe(false);
    expect(reply.bytesSent).toBeLessThan(10 * MiB);
    expect(attackHits(app)).toEqual([]);
    await expectAppAnswers(app.url);
  });

  it('T3: refuses a declared Content-Length one byte over the default 4 MiB', async () => {
    app = await startSecurityApp(framework);
    const reply = await rawExchange(app.url, head(`Content-Length: ${DEFAULTS.maxBodyBytes + 1}\r\n`), []);
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body.toString())).toEqual(
      refusalBody('batch.too_large', null, null, { limit: DEFAULTS.maxBodyBytes }),
    );
  });

  it('T3: cuts a chunked body without a length off at maxBodyBytes with 413, without waiting for its end', async () => {
    app = await startSecurityApp(framework, { batch: { maxBodyBytes: 64 * KiB } });
    const [reply] = await Promise.all([
      rawExchange(app.url, head('Transfer-Encoding: chunked\r\n'), chunked(4 * KiB, 4096)),
      expectBystanderServed(app.url),
    ]);
    expect(reply.status).toBe(413);
    expect(reply.headers.connection).toBe('close');
    expect(JSON.parse(reply.body.toString())).toEqual(refusalBody('batch.too_large', null, null, { limit: 64 * KiB }));
    // 16 MiB were on offer; the answer came once a little over 64 KiB had arrived.
    expect(reply.sentAll).toBe(false);
    expect(reply.bytesSent).toBeLessThan(4 * MiB);
    expect(attackHits(app)).toEqual([]);
    await expectAppAnswers(app.url);
  });

  it('T3: refuses a million tiny parts under the default limits by the body cap, dispatching nothing', async () => {
    app = await startSecurityApp(framework);
    const parts = Buffer.from('--b\r\n\r\n'.repeat(1_000_000) + '--b--\r\n');
    const reply = await rawExchange(app.url, head(`Content-Length: ${parts.length}\r\n`), [parts]);
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body.toString())).toEqual(
      refusalBody('batch.too_large', null, null, { limit: DEFAULTS.maxBodyBytes }),
    );
    expect(attackHits(app)).toEqual([]);
    await expectAppAnswers(app.url);
  });

  it('T3: stops a million tiny parts at the operation limit when the body cap allows them, dispatching nothing', async () => {
    app = await startSecurityApp(framework, { batch: { maxBodyBytes: 16 * MiB } });
    const parts = Buffer.from('--b\r\n'.repeat(1_000_000) + '--b--\r\n');
    const started = performance.now();
    const [reply] = await Promise.all([
      rawExchange(app.url, head(`Content-Length: ${parts.length}\r\nConnection: close\r\n`), [parts]),
      expectBystanderServed(app.url),
    ]);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body.toString())).toEqual(
      refusalBody('batch.too_many_operations', DEFAULTS.maxOperations + 1, DEFAULTS.maxOperations + 1, {
        limit: DEFAULTS.maxOperations,
      }),
    );
    expect(attackHits(app)).toEqual([]);
    await expectAppAnswers(app.url);
  });

  it('T3: refuses a preamble over 64 KiB as a whole, dispatching nothing', async () => {
    app = await startSecurityApp(framework);
    const body = Buffer.from(
      `${'p'.repeat(PARSER_LIMITS.maxPreambleBytes)}\r\n--b\r\n\r\nGET /items/attack\r\n--b--\r\n`,
    );
    const reply = await rawExchange(app.url, head(`Content-Length: ${body.length}\r\nConnection: close\r\n`), [body]);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body.toString())).toEqual(
      refusalBody('batch.malformed', null, 2, { limit: PARSER_LIMITS.maxPreambleBytes }),
    );
    expect(attackHits(app)).toEqual([]);
  });
});
