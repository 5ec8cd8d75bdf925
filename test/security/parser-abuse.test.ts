import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { send, sendBatch } from '../support/http.js';
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

const GOOD = '--b\r\nContent-Type: application/http\r\n\r\nGET /items/attack HTTP/1.1\r\n\r\n';

describe.each(FRAMEWORKS)('T1/T2 parser abuse, on %s', (framework) => {
  let app: SecurityApp;
  afterEach(async () => {
    await app.close();
  });

  const malformed: Array<[name: string, contentType: string, body: string, status: number, error: object]> = [
    ['no boundary parameter', 'multipart/mixed', GOOD, 400, refusalBody('batch.malformed', null, null)],
    ['an empty boundary', 'multipart/mixed; boundary=', GOOD, 400, refusalBody('batch.malformed', null, null)],
    [
      'an unterminated quoted boundary',
      'multipart/mixed; boundary="b',
      GOOD,
      400,
      refusalBody('batch.malformed', null, null),
    ],
    [
      'a 71-character boundary',
      `multipart/mixed; boundary=${'b'.repeat(71)}`,
      GOOD,
      400,
      refusalBody('batch.malformed', null, null),
    ],
    ['an empty Content-Type', '', GOOD, 415, refusalBody('batch.unsupported_media_type', null, null)],
    [
      'a media type without subtype',
      'multipart; boundary=b',
      GOOD,
      415,
      refusalBody('batch.unsupported_media_type', null, null),
    ],
    ['an empty body', 'multipart/mixed; boundary=b', '', 400, refusalBody('batch.malformed', null, 1)],
    [
      'no delimiter line',
      'multipart/mixed; boundary=b',
      'GET /items/attack\r\n',
      400,
      refusalBody('batch.malformed', null, 1),
    ],
    ['no close delimiter', 'multipart/mixed; boundary=b', GOOD, 400, refusalBody('batch.malformed', 1, 2)],
    ['only a close delimiter', 'multipart/mixed; boundary=b', '--b--\r\n', 400, refusalBody('batch.empty', null, null)],
  ];

  it.each(malformed)(
    'T1: refuses a batch with %s as a whole, with a JSON error, and keeps serving',
    async (_name, contentType, body, status, error) => {
      app = await startSecurityApp(framework);
      const [reply] = await Promise.all([
        send(app.url, '/batch', {
          method: 'POST',
          headers: { 'content-type': contentType },
          body,
          localAddress: ATTACKER,
        }),
        expectBystanderServed(app.url),
      ]);
      expect(reply.status).toBe(status);
      expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(reply.json()).toEqual(error);
      expect(attackHits(app)).toEqual([]);
      await expectAppAnswers(app.url);
    },
  );

  it('T1: refuses in its slot a part whose header block starts with a space (dicer) or whose Content-Type is empty (busboy)', async () => {
    app = await startSecurityApp(framework);
    const batch = rawBatch([
      ' Content-Type: application/http\r\n\r\nGET /items/dicer',
      'Content-Type:\r\n\r\nGET /items/busboy',
      'Content-Type: application/http\r\n\r\nGET /items/ok',
    ]);
    const reply = await sendBatch(app.url, batch, { localAddress: ATTACKER });
    expect(reply.status).toBe(200);
    expect(reply.parts.map((part) => part.status)).toEqual([400, 400, 200]);
    expect(reply.parts[0]?.json()).toEqual(refusalBody('batch.part.malformed', 1, lineOf(batch.body, ' Content-Type')));
    expect(reply.parts[1]?.json()).toEqual(
      refusalBody('batch.part.malformed', 2, lineOf(batch.body, 'Content-Type:\r')),
    );
    expect(reply.parts[2]?.json()).toEqual({ id: 'ok' });
    expect(attackHits(app)).toEqual(['GET /items/ok']);
  });

  it('T1: answers every one of a stream of randomly damaged batches with 200 or a 4xx, never a crash or a 5xx', async () => {
    app = await startSecurityApp(framework);
    const base = buildBatch([
      { method: 'GET', url: '/items/1', contentId: '<a>' },
      { method: 'POST', url: '/echo', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' },
    ]);
    const damage = fc.array(
      fc.record({
        at: fc.nat(),
        bytes: fc.constantFrom('\r', '\n', '\0', ' ', '\t', '"', ':', '--', 'x'),
        drop: fc.nat(8),
      }),
      { minLength: 1, maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(damage, async (edits) => {
        let text = base.body.toString('latin1');
        for (const { at, bytes, drop } of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + bytes + text.slice(i + drop);
        }
        const reply = await sendBatch(app.url, { contentType: base.contentType, body: Buffer.from(text, 'latin1') });
        if (reply.status === 200) {
          expect(reply.parts.length).toBeLessThanOrEqual(2);
          for (const part of reply.parts) expect(part.status).toBeLessThan(500);
        } else {
          expect([400, 413]).toContain(reply.status);
          expect(reply.json().error.code).toMatch(/^batch\./);
        }
      }),
      { numRuns: 60 },
    );
    await expectAppAnswers(app.url);
  });

  it('T2: refuses a 15 000-backslash boundary within a second', async () => {
    app = await startSecurityApp(framework);
    const started = performance.now();
    const reply = await send(app.url, '/batch', {
      method: 'POST',
      headers: { 'content-type': `multipart/mixed; boundary="${'\\'.repeat(15_000)}` },
      body: GOOD,
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(reply.status).toBe(400);
    expect(reply.json()).toEqual(refusalBody('batch.malformed', null, null));
    expect(attackHits(app)).toEqual([]);
  });

  it('T2: refuses 80 KB header lines without a colon in their slots within a second, and runs the rest', async () => {
    app = await startSecurityApp(framework);
    const line = 'x'.repeat(80_000);
    const batch = rawBatch([line, `Content-Type: application/http\r\n\r\n${line}`, 'GET /items/ok', line]);
    const started = performance.now();
    const reply = await sendBatch(app.url, batch, { localAddress: ATTACKER });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(reply.status).toBe(200);
    expect(reply.parts.map((part) => part.status)).toEqual([400, 400, 200, 400]);
    expect(reply.parts[0]?.json()).toEqual(refusalBody('batch.part.target', 1, 2, { limit: expect.any(Number) }));
    expect(reply.parts[1]?.json()).toEqual(refusalBody('batch.part.target', 2, 6, { limit: expect.any(Number) }));
    expect(attackHits(app)).toEqual(['GET /items/ok']);
  });

  it('T2: uses a regex-shaped boundary such as (a+)+b literally', async () => {
    app = await startSecurityApp(framework);
    const reply = await sendBatch(app.url, {
      ...buildBatch([{ method: 'GET', url: '/items/regex' }], '(a+)+b'),
      contentType: 'multipart/mixed; boundary="(a+)+b"',
    });
    expect(reply.status).toBe(200);
    expect(reply.parts.map((part) => part.json())).toEqual([{ id: 'regex' }]);
  });
});
