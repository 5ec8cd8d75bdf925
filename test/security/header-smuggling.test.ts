import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { sendBatch, sendJsonBatch } from '../support/http.js';
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

/** One part: a request line (unique per case, so it can be found) and header lines, CRLF-framed. */
const part = (name: string, ...headerLines: string[]) =>
  ['Content-Type: application/http', '', `POST /echo?case=${name} HTTP/1.1`, ...headerLines, '', '{"a":1}'].join(
    '\r\n',
  );

// THREATS T19: each shape is refused in its own slot; [case, header lines, start of the offending line, code].
const SHAPES: ReadonlyArray<[name: string, lines: string[], marker: string, code: string]> = [
  ['cr', ['Content-Type: application/json', 'X-Note: a\rInjected: 1'], 'X-Note: a\r', 'batch.part.header'],
  ['nul', ['Content-Type: application/json', 'X-Note: a\0b'], 'X-Note: a\0', 'batch.part.header'],
  ['ctl', ['Content-Type: application/json', 'X-Note: a\x1b[31mred'], 'X-Note: a\x1b', 'batch.part.header'],
  ['fold', ['Content-Type: application/json', 'X-Note: a', ' folded'], ' folded', 'batch.part.header'],
  ['space-colon', ['Content-Type: application/json', 'Content-Length : 7'], 'Content-Length :', 'batch.part.header'],
  [
    'dup-cl',
    ['Content-Type: application/json', 'Content-Length: 7', 'Content-Length: 7'],
    'Content-Length: 7\r\n\r\n',
    'batch.part.length',
  ],
  ['te', ['Content-Type: application/json', 'Transfer-Encoding: chunked'], 'Transfer-Encoding', 'batch.part.header'],
  ['cl-te', ['Content-Length: 7', 'Transfer-Encoding: chunked'], 'Transfer-Encoding', 'batch.part.header'],
];

describe.each(FRAMEWORKS)('T19 header injection and smuggling shapes, on %s', (framework) => {
  let app: SecurityApp;
  afterEach(async () => {
    await app.close();
  });

  it('T19: refuses CR, NUL and control characters in header values, obs-fold, a space before the colon, duplicate Content-Length and Transfer-Encoding, each in its slot', async () => {
    app = await startSecurityApp(framework);
    const batch = rawBatch([
      ...SHAPES.map(([name, lines]) => part(name, ...lines)),
      part('ok', 'Content-Type: application/json', 'X-Note: a\tb'),
    ]);
    const [reply] = await Promise.all([
      sendBatch(app.url, batch, { localAddress: ATTACKER }),
      expectBystanderServed(app.url),
    ]);
    expect(reply.status).toBe(200);
    expect(reply.parts).toHaveLength(SHAPES.length + 1);
    SHAPES.forEach(([name, , marker, code], index) => {
      const slot = reply.parts[index];
      expect(slot?.status, name).toBe(400);
      expect(slot?.json(), name).toEqual(refusalBody(code, index + 1, lineOf(batch.body, marker, `case=${name} `)));
    });
    const ok = reply.parts.at(-1);
    expect(ok?.status).toBe(201);
    expect(ok?.json()).toEqual({ body: { a: 1 }, contentType: 'application/json', contentLength: '7' });
    expect(attackHits(app)).toEqual(['POST /echo?case=ok']);
    await expectAppAnswers(app.url);
  });

  it('T19: refuses a bare LF inside a header value of a CRLF part in its slot, instead of letting it start a smuggled header', async () => {
    app = await startSecurityApp(framework);
    const batch = rawBatch([part('lf', 'Content-Type: application/json', 'X-Note: a\nInjected: 1')]);
    const reply = await sendBatch(app.url, batch, { localAddress: ATTACKER });
    expect(reply.parts[0]?.status).toBe(400);
    expect(reply.parts[0]?.json()).toEqual(refusalBody('batch.part.header', 1, lineOf(batch.body, 'X-Note: a\n')));
    expect(attackHits(app)).toEqual([]);
  });

  it('T19: refuses CR, LF and NUL in JSON header names and values, and Transfer-Encoding, each in its slot', async () => {
    app = await startSecurityApp(framework);
    const cases: Array<[id: string, headers: Record<string, string>]> = [
      ['crlf-value', { 'X-Note': 'a\r\nInjected: 1' }],
      ['lf-value', { 'X-Note': 'a\nInjected: 1' }],
      ['nul-value', { 'X-Note': 'a\u0000b' }],
      ['crlf-name', { 'X-Note\r\nInjected': '1' }],
      ['space-name', { 'X-Note ': '1' }],
      ['te', { 'Transfer-Encoding': 'chunked' }],
    ];
    const reply = await sendJsonBatch(
      app.url,
      [
        ...cases.map(([id, headers]) => ({ id, method: 'POST', url: `/echo?case=${id}`, headers, body: { a: 1 } })),
        { id: 'ok', method: 'POST', url: '/echo?case=ok', headers: { 'Content-Length': '999' }, body: { a: 1 } },
      ],
      { localAddress: ATTACKER },
    );
    expect(reply.status).toBe(200);
    cases.forEach(([id], index) => {
      expect(reply.responses[index]?.status, id).toBe(400);
      expect(reply.responses[index]?.body, id).toEqual(
        refusalBody('batch.part.header', index + 1, null, { operationId: id }),
      );
    });
    // A Content-Length the operation declares is ignored: the engine sets the real one.
    expect(reply.responses.at(-1)?.body).toEqual({
      body: { a: 1 },
      contentType: 'application/json',
      contentLength: '7',
    });
    expect(attackHits(app)).toEqual(['POST /echo?case=ok']);
  });

  it('T19: sets the inner Content-Length from the body the part delimits, never from a copied outer one', async () => {
    app = await startSecurityApp(framework);
    const batch = rawBatch([part('length', 'Content-Type: application/json')]);
    const reply = await sendBatch(app.url, batch, { headers: { 'x-batch': '1' } });
    expect(reply.parts[0]?.json()).toEqual({ body: { a: 1 }, contentType: 'application/json', contentLength: '7' });
  });
});
