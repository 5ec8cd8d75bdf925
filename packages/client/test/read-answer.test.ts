import { describe, expect, it } from 'vitest';
import { BatchRequestError, encodeBatch, readBatchAnswer, type EncodedBatch } from '@inbatch/client';

const ORIGIN = 'http://api.test';

function multipartAnswer(boundary: string, parts: string[], close = `--${boundary}--\r\n`): Response {
  const body = parts.map((part) => `--${boundary}\r\nContent-Type: application/http\r\n${part}\r\n`).join('') + close;
  return new Response(body, { headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}` } });
}

async function multipartBatch(...paths: [string, string?][]): Promise<EncodedBatch> {
  return encodeBatch(
    paths.map(([path, method]) => new Request(`${ORIGIN}${path}`, { method: method ?? 'GET' })),
    { dialect: 'multipart' },
  );
}

describe('reading a multipart answer', () => {
  it('reads each part into a Response with the app’s status line, headers and exact body', async () => {
    const batch = await multipartBatch(['/a'], ['/b']);
    const answer = multipartAnswer('b1', [
      'Content-ID: <response-inbatch-1>\r\n\r\nHTTP/1.1 299 Fine Thanks\r\nX-One: 1\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\n\r\n\r\nx\r\n',
      'Content-ID: <response-inbatch-2>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n',
    ]);
    const [first, second] = await readBatchAnswer(answer, batch);
    expect([first?.status, first?.statusText, first?.url]).toEqual([299, 'Fine Thanks', `${ORIGIN}/a`]);
    expect(first?.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(first?.headers.get('x-one')).toBe('1');
    expect(await first?.text()).toBe('\r\nx\r\n');
    expect([second?.status, second?.body]).toEqual([204, null]);
  });

  it('gives a HEAD and a 304 answer a null body, keeping their Content-Length', async () => {
    const batch = await multipartBatch(['/a', 'HEAD'], ['/b']);
    const answer = multipartAnswer('b1', [
      'Content-ID: <response-inbatch-1>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n',
      'Content-ID: <response-inbatch-2>\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n',
    ]);
    const [head, notModified] = await readBatchAnswer(answer, batch);
    expect([head?.status, head?.body, head?.headers.get('content-length')]).toEqual([200, null, '10']);
    expect([notModified?.status, notModified?.body, notModified?.headers.get('etag')]).toEqual([304, null, '"x"']);
  });

  it.each([
    [
      'a part for another request',
      ['Content-ID: <response-inbatch-2>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'],
      undefined,
      'has Content-ID "<response-inbatch-2>"; expected <response-inbatch-1>',
    ],
    [
      'no close delimiter',
      ['Content-ID: <response-inbatch-1>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'],
      '',
      'the multipart batch answer is not closed',
    ],
    ['a missing part', [], undefined, 'the multipart batch answer has 0 parts for 1 requests'],
    [
      'a Content-Length that disagrees',
      ['Content-ID: <response-inbatch-1>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc'],
      undefined,
      'says Content-Length 9 but has 3 bytes',
    ],
    [
      'a part that is not application/http',
      [],
      '--b1\r\nContent-Type: text/plain\r\nContent-ID: <response-inbatch-1>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n\r\n--b1--\r\n',
      'is not application/http',
    ],
    [
      'no status line',
      ['Content-ID: <response-inbatch-1>\r\n\r\nGET / HTTP/1.1\r\n\r\n'],
      undefined,
      'does not start with an HTTP/1.1 status line',
    ],
  ])('refuses an answer with %s as malformed, rejecting the whole batch', async (_name, parts, close, message) => {
    const batch = await multipartBatch(['/a']);
    const answer = multipartAnswer('b1', parts, close ?? '--b1--\r\n');
    const reading = readBatchAnswer(answer, batch);
    await expect(reading).rejects.toBeInstanceOf(BatchRequestError);
    await expect(reading).rejects.toMatchObject({ failure: 'malformed', status: 200 });
    await expect(reading).rejects.toThrow(message);
  });

  it('refuses a 200 answer that is not multipart', async () => {
    const batch = await multipartBatch(['/a']);
    const reading = readBatchAnswer(new Response('<html>', { headers: { 'Content-Type': 'text/html' } }), batch);
    await expect(reading).rejects.toThrow('inbatch: a multipart batch was answered with Content-Type "text/html".');
  });
});

describe('reading a json answer', () => {
  const jsonAnswer = (value: unknown) =>
    new Response(JSON.stringify(value), { headers: { 'Content-Type': 'application/json; charset=utf-8' } });

  it('writes a JSON body back as JSON text, text as UTF-8, base64 as its bytes, with standard reason phrases', async () => {
    const batch = await encodeBatch(
      [new Request(`${ORIGIN}/j`), new Request(`${ORIGIN}/t`), new Request(`${ORIGIN}/b`)],
      {
        dialect: 'json',
      },
    );
    const [j, t, b] = await readBatchAnswer(
      jsonAnswer({
        responses: [
          { id: '1', status: 201, headers: { 'Content-Type': 'application/json' }, body: { a: [1, 'ü'] } },
          { id: '2', status: 404, headers: { 'Content-Type': 'text/plain', 'Set-Cookie': ['a=1', 'b=2'] }, body: 'nö' },
          { id: '3', status: 200, headers: { 'Content-Type': 'image/png' }, body: 'AAH/', bodyEncoding: 'base64' },
        ],
      }),
      batch,
    );
    expect([j?.status, j?.statusText, await j?.text()]).toEqual([201, 'Created', '{"a":[1,"ü"]}']);
    expect([t?.status, t?.statusText, t?.headers.getSetCookie(), await t?.text()]).toEqual([
      404,
      'Not Found',
      ['a=1', 'b=2'],
      'nö',
    ]);
    expect([...new Uint8Array((await b?.arrayBuffer()) ?? new ArrayBuffer(0))]).toEqual([0, 1, 255]);
  });

  it.each([
    [
      'answers out of order',
      {
        responses: [
          { id: '2', status: 200 },
          { id: '1', status: 200 },
        ],
      },
      'answer 1 of the json batch has id "2"; expected "1"',
    ],
    [
      'a missing answer',
      { responses: [{ id: '1', status: 200 }] },
      'the json batch answer has 1 answers for 2 requests',
    ],
    [
      'invalid base64',
      {
        responses: [
          { id: '1', status: 200, body: 'a*', bodyEncoding: 'base64' },
          { id: '2', status: 200 },
        ],
      },
      'the body of answer 1 of the json batch is not valid base64',
    ],
    ['no responses array', { value: [] }, 'the json batch answer has no "responses" array'],
  ])('refuses an answer with %s as malformed', async (_name, value, message) => {
    const batch = await encodeBatch([new Request(`${ORIGIN}/a`), new Request(`${ORIGIN}/b`)], { dialect: 'json' });
    const reading = readBatchAnswer(jsonAnswer(value), batch);
    await expect(reading).rejects.toMatchObject({ failure: 'malformed', status: 200 });
    await expect(reading).rejects.toThrow(message);
  });

  it('refuses a non-200 answer with its status, code and message', async () => {
    const batch = await encodeBatch([new Request(`${ORIGIN}/a`)], { dialect: 'json' });
    const body = { error: { code: 'batch.malformed', message: 'Nope.', part: null, line: 3 } };
    const reading = readBatchAnswer(new Response(JSON.stringify(body), { status: 400 }), batch);
    await expect(reading).rejects.toMatchObject({ failure: 'refused', status: 400, code: 'batch.malformed', body });
    await expect(reading).rejects.toThrow('inbatch: the batch was refused with 400: batch.malformed: Nope.');
  });

  it('carries the text of a non-JSON refusal (a proxy’s page)', async () => {
    const batch = await encodeBatch([new Request(`${ORIGIN}/a`)], { dialect: 'json' });
    const reading = readBatchAnswer(new Response('Bad Gateway', { status: 502 }), batch);
    await expect(reading).rejects.toMatchObject({
      failure: 'refused',
      status: 502,
      code: undefined,
      body: 'Bad Gateway',
    });
  });
});
