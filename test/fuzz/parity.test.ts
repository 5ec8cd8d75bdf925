import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, sendBatch, sendJsonBatch } from '../support/http.js';
import { guardProcess } from '../security/harness.js';
import { startFuzzApp, type FuzzApp } from './app.js';

// One rule for every dialect (issue 13, item 8): the same operation sent as a multipart part
// and as a JSON request gets the same verdict — the same refusal code, or the same answer
// from the app. Only operations both dialects can carry are drawn (no line breaks, which
// multipart framing can't hold, and a text body with its type, which JSON sends as is).
const RUNS = Number(process.env.INBATCH_FUZZ_RUNS ?? 150);

guardProcess();

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/);
const safeText = (maxLength: number) =>
  fc.string({ unit: 'binary', maxLength }).filter((s) => !/[\r\n\0]/.test(s) && s.trim() === s);

const operation = fc.record({
  method: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS') },
    // Not lower-case ones: the JSON dialect upper-cases methods (a documented leniency).
    { weight: 1, arbitrary: fc.constantFrom('FOO', 'CONNECT', 'TRACE', 'HEAD', 'G@T') },
  ),
  url: fc.oneof(
    fc.constantFrom(
      '/echo/a',
      '/ECHO/a',
      '/echo/a/',
      '/echo/./a',
      '/x/../echo/a',
      '/echo/%2e%2e/admin',
      '/echo%2Fa',
      '\\echo\\a',
      '/echo;x/a',
      '/%c0%ae%c0%ae/admin',
      '/admin/a',
      'http://evil.example/echo/a',
      '//evil.example/echo/a',
      '/batch',
      '/BATCH/',
      '/%62atch',
      '/echo/a?q=1&q=2',
      '/echo/a#frag',
      '/echo/a%00',
      '/echo/a%',
      '/items/1',
      '/echo//a',
      `/echo/${'a'.repeat(8001)}`,
    ),
    // ASCII only: a raw UTF-8 request target is a known divergence (see the README's wire format).
    safeText(20)
      .filter((s) => /^[\x21-\x7e]*$/.test(s))
      .map((s) => `/${s}`),
  ),
  headers: fc.uniqueArray(
    fc.tuple(
      fc.oneof(fc.constantFrom('X-Note', 'Host', 'Transfer-Encoding', 'Cookie', 'X-Forwarded-For', 'Expect'), token),
      safeText(16),
    ),
    // One field per name: a JSON headers object can't repeat one.
    { maxLength: 3, selector: ([name]) => name.toLowerCase() },
  ),
  body: fc.option(safeText(40), { nil: undefined }),
});

type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

function headersOf(op: Operation): Array<[string, string]> {
  // A body travels as text/plain in both dialects; its own Content-Type decides otherwise.
  // Content-Length frames a multipart part's body and is ignored in JSON (the README says so).
  const headers = op.headers.filter(([name]) => !['content-type', 'content-length'].includes(name.toLowerCase()));
  return op.body === undefined ? headers : [...headers, ['Content-Type', 'text/plain']];
}

/** The verdict: a refusal code, or the app's status and body. */
type Verdict = { whole: string } | { status: number; code: string | undefined; body: string };

function verdictOf(status: number, body: string): Verdict {
  let code: string | undefined;
  try {
    code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status, code, body: code === undefined ? body : '' };
}

/** One part, written as UTF-8 the way a client holding these strings sends them. */
function multipartOf(op: Operation) {
  let text = `--b\r\nContent-Type: application/http\r\n\r\n${op.method} ${op.url} HTTP/1.1\r\n`;
  for (const [name, value] of headersOf(op)) text += `${name}: ${value}\r\n`;
  text += `\r\n${op.body ?? ''}\r\n--b--\r\n`;
  return { contentType: 'multipart/mixed; boundary=b', body: Buffer.from(text) };
}

async function viaMultipart(app: FuzzApp, op: Operation): Promise<Verdict> {
  const reply = await sendBatch(app.url, multipartOf(op));
  if (reply.status !== 200) return { whole: String(reply.json().error.code) };
  const [part] = reply.parts;
  return verdictOf(part?.status ?? 0, part?.text ?? '');
}

async function viaJson(app: FuzzApp, op: Operation): Promise<Verdict> {
  const reply = await sendJsonBatch(app.url, [
    {
      id: '1',
      method: op.method,
      url: op.url,
      headers: Object.fromEntries(headersOf(op)),
      ...(op.body === undefined ? {} : { body: op.body }),
    },
  ]);
  if (reply.status !== 200) return { whole: String(reply.json().error.code) };
  const [answer] = reply.responses;
  const body = answer?.body;
  return verdictOf(
    answer?.status ?? 0,
    typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body),
  );
}

describe('the same operation in every sync dialect', () => {
  let app: FuzzApp;
  beforeAll(async () => {
    app = await startFuzzApp('express');
  });
  afterAll(async () => {
    await app.close();
  });

  it('gets the same verdict as a multipart part and as a JSON request', async () => {
    await fc.assert(
      fc.asyncProperty(operation, async (op) => {
        const [multipart, json] = [await viaMultipart(app, op), await viaJson(app, op)];
        expect(json).toEqual(multipart);
      }),
      { numRuns: RUNS },
    );
    expect((await send(app.url, '/items/alive')).status).toBe(200);
  }, 60_000);
});
