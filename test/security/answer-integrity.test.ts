import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { sendBatch, sendJsonBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';
import { startSecurityApp, type SecurityApp } from './apps.js';
import {
  ATTACKER,
  attackHits,
  expectAppAnswers,
  expectBystanderServed,
  guardProcess,
  lineOf,
  rawBatch,
  refusalBody,
} from './harness.js';

guardProcess();

// An answer body that would pass for a second part if the answer's boundary were guessable.
const FORGERY = [
  '',
  '--batch_0000000000000000000000000000000',
  'Content-Type: application/http',
  'Content-ID: <response-forged>',
  '',
  'HTTP/1.1 200 OK',
  'Set-Cookie: session=attacker',
  '',
  '{"forged":true}',
  '--batch_0000000000000000000000000000000--',
  '--batch_',
  '',
].join('\r\n');

describe.each(FRAMEWORKS)('T23 answer integrity, on %s', (framework) => {
  let app: SecurityApp;
  afterEach(async () => {
    await app.close();
  });

  it('T23: carries an inner body full of --batch_ delimiters intact, and the answer still has one part per operation', async () => {
    app = await startSecurityApp(framework);
    const [reply] = await Promise.all([
      sendBatch(
        app.url,
        buildBatch([
          { method: 'POST', url: '/reflect', headers: { 'Content-Type': 'text/plain' }, body: FORGERY },
          { method: 'GET', url: '/items/after' },
        ]),
        { localAddress: ATTACKER },
      ),
      expectBystanderServed(app.url),
    ]);
    expect(reply.status).toBe(200);
    expect(reply.parts).toHaveLength(2);
    expect(reply.parts[0]?.status).toBe(200);
    expect(reply.parts[0]?.body.equals(Buffer.from(FORGERY, 'latin1'))).toBe(true);
    expect(reply.parts[0]?.headers['content-length']).toEqual([String(Buffer.byteLength(FORGERY))]);
    expect(reply.parts[1]?.json()).toEqual({ id: 'after' });
    expect(reply.parts.map((part) => part.contentId)).toEqual([undefined, undefined]);
    expect(reply.headers['set-cookie']).toBeUndefined();
  });

  it('T23: never hoists an inner answer’s headers or status to the outer answer', async () => {
    app = await startSecurityApp(framework);
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/headers-out' }]));
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^multipart\/mixed; boundary=batch_/);
    expect(reply.headers['cache-control']).toBe('no-store');
    for (const name of [
      'set-cookie',
      'access-control-allow-origin',
      'access-control-allow-credentials',
      'x-frame-options',
      'www-authenticate',
      'location',
    ]) {
      expect(reply.headers[name], name).toBeUndefined();
    }
    const [part] = reply.parts;
    expect(part?.status).toBe(201);
    expect(part?.headers).toMatchObject({
      'set-cookie': ['session=inner; Path=/; HttpOnly'],
      'access-control-allow-origin': ['*'],
      location: ['https://evil.example/'],
      'cache-control': ['public, max-age=3600'],
    });
  });

  it('T23: refuses a Content-ID carrying CR, NUL or an en-route header instead of echoing it', async () => {
    app = await startSecurityApp(framework);
    const batch = rawBatch([
      'Content-Type: application/http\r\nContent-ID: <a\rSet-Cookie: session=attacker>\r\n\r\nGET /items/cr',
      'Content-Type: application/http\r\nContent-ID: <b\0>\r\n\r\nGET /items/nul',
      'Content-Type: application/http\r\nContent-ID: <ok>\r\n\r\nGET /items/ok',
    ]);
    const reply = await sendBatch(app.url, batch, { localAddress: ATTACKER });
    expect(reply.status).toBe(200);
    expect(reply.parts.map((part) => [part.status, part.contentId])).toEqual([
      [400, undefined],
      [400, undefined],
      [200, '<response-ok>'],
    ]);
    expect(reply.parts[0]?.json()).toEqual(
      refusalBody('batch.part.malformed', 1, lineOf(batch.body, 'Content-ID: <a')),
    );
    expect(reply.parts[1]?.json()).toEqual(
      refusalBody('batch.part.malformed', 2, lineOf(batch.body, 'Content-ID: <b')),
    );
    expect(reply.body.includes('Set-Cookie: session=attacker')).toBe(false);
    expect(reply.body.includes('\0')).toBe(false);
    expect(attackHits(app)).toEqual(['GET /items/ok']);
    await expectAppAnswers(app.url);
  });

  it('T23: echoes a JSON id carrying CR, LF and quotes only JSON-escaped, inside one well-formed answer', async () => {
    app = await startSecurityApp(framework);
    const id = 'a\r\nSet-Cookie: session=attacker\r\n"},{"id":"forged","status":200}';
    const reply = await sendJsonBatch(app.url, [
      { id, method: 'GET', url: '/items/1' },
      { id: 'second', method: 'GET', url: '/headers-out' },
    ]);
    expect(reply.status).toBe(200);
    expect(reply.headers['set-cookie']).toBeUndefined();
    expect(reply.responses.map((response) => [response.id, response.status])).toEqual([
      [id, 200],
      ['second', 201],
    ]);
    expect(reply.body.includes('\r')).toBe(false);
  });

  it('T23: keeps one client’s answers out of another’s when both batch at the same time', async () => {
    app = await startSecurityApp(framework);
    const batchFor = (client: string) =>
      buildBatch(
        Array.from({ length: 16 }, (_, index) => ({
          method: 'POST',
          url: `/reflect?n=${index}`,
          headers: { 'Content-Type': 'text/plain' },
          body: `${client}-${index}`,
          contentId: `<${client}-${index}>`,
        })),
      );
    const [a, b] = await Promise.all([
      sendBatch(app.url, batchFor('alice'), { localAddress: ATTACKER }),
      sendBatch(app.url, batchFor('bob'), { localAddress: '127.0.0.4' }),
    ]);
    expect(a.parts.map((part) => [part.contentId, part.text])).toEqual(
      Array.from({ length: 16 }, (_, index) => [`<response-alice-${index}>`, `alice-${index}`]),
    );
    expect(b.parts.map((part) => [part.contentId, part.text])).toEqual(
      Array.from({ length: 16 }, (_, index) => [`<response-bob-${index}>`, `bob-${index}`]),
    );
  });
});
