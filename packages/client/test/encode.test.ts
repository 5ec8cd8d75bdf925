import { describe, expect, it } from 'vitest';
import { parseContentType, parseMultipartBatch } from '@inbatch/core';
import { encodeBatch } from '@inbatch/client';

const ORIGIN = 'http://api.test';
const ALL_BYTES = new Uint8Array(Array.from({ length: 256 }, (_, i) => i));

async function multipart(requests: Request[]) {
  const batch = await encodeBatch(requests, { dialect: 'multipart' });
  const boundary = parseContentType(batch.contentType)?.params.get('boundary');
  return { batch, entries: parseMultipartBatch(Buffer.from(batch.body), boundary, 1000) };
}

async function json(requests: Request[]) {
  const batch = await encodeBatch(requests, { dialect: 'json' });
  return { batch, value: JSON.parse(new TextDecoder().decode(batch.body)) };
}

describe('the multipart writer', () => {
  it('writes requests the server’s parser reads back exactly: method, path and query, headers, body bytes', async () => {
    const { batch, entries } = await multipart([
      new Request(`${ORIGIN}/items/a%20b?x=1&y=%C3%BC#fragment`, { headers: { 'X-Trace': 'abc' } }),
      new Request(`${ORIGIN}/upload`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: ALL_BYTES,
      }),
      new Request(`${ORIGIN}/text`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: '\r\nends\r\n\r\n',
      }),
    ]);
    expect(batch.contentType).toMatch(/^multipart\/mixed; boundary=inbatch_[\w-]{32}$/);
    expect(entries.map((entry) => [entry.meta.contentId, entry.refusal])).toEqual([
      ['<inbatch-1>', undefined],
      ['<inbatch-2>', undefined],
      ['<inbatch-3>', undefined],
    ]);
    expect(entries[0]?.operation).toEqual({
      method: 'GET',
      target: '/items/a%20b?x=1&y=%C3%BC',
      headers: [['x-trace', 'abc']],
      body: undefined,
    });
    expect(entries[1]?.operation).toMatchObject({
      method: 'PUT',
      target: '/upload',
      headers: [['content-type', 'application/octet-stream']],
    });
    expect(Buffer.from(ALL_BYTES).equals(entries[1]?.operation?.body ?? Buffer.alloc(0))).toBe(true);
    expect(entries[2]?.operation?.body?.toString('latin1')).toBe('\r\nends\r\n\r\n');
  });

  it('writes CRLF lines, a Content-Length per body, and the close delimiter', async () => {
    const { batch } = await multipart([new Request(`${ORIGIN}/a`, { method: 'POST', body: 'hi' })]);
    const boundary = batch.contentType.split('boundary=')[1];
    expect(new TextDecoder().decode(batch.body)).toBe(
      `--${boundary}\r\nContent-Type: application/http\r\nContent-ID: <inbatch-1>\r\n\r\n` +
        'POST /a HTTP/1.1\r\ncontent-type: text/plain;charset=UTF-8\r\nContent-Length: 2\r\n\r\nhi\r\n' +
        `--${boundary}--\r\n`,
    );
  });

  it('draws a fresh 192-bit boundary for every batch', async () => {
    const boundaries = new Set<string>();
    for (let i = 0; i < 20; i++) boundaries.add((await multipart([new Request(`${ORIGIN}/a`)])).batch.contentType);
    expect(boundaries.size).toBe(20);
  });

  it('leaves out the headers the batch frames itself', async () => {
    const { entries } = await multipart([
      new Request(`${ORIGIN}/a`, {
        method: 'POST',
        headers: { 'Content-Length': '99', Connection: 'close', 'X-Kept': '1' },
        body: 'abc',
      }),
    ]);
    expect(entries[0]?.operation?.headers).toEqual([
      ['content-type', 'text/plain;charset=UTF-8'],
      ['x-kept', '1'],
    ]);
    expect(entries[0]?.operation?.body?.toString()).toBe('abc');
  });
});

describe('the json writer', () => {
  it('numbers the requests and sends a JSON body as a JSON value', async () => {
    const { batch, value } = await json([
      new Request(`${ORIGIN}/items/1`),
      new Request(`${ORIGIN}/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: '{ "a" : [1, "ü"] }',
      }),
    ]);
    expect(batch.contentType).toBe('application/json');
    expect(value).toEqual({
      requests: [
        { id: '1', method: 'GET', url: '/items/1' },
        {
          id: '2',
          method: 'POST',
          url: '/echo',
          headers: { 'content-type': 'application/merge-patch+json' },
          body: { a: [1, 'ü'] },
        },
      ],
    });
  });

  it('sends text as a string, and bytes, or text that is not UTF-8, as base64', async () => {
    const { value } = await json([
      new Request(`${ORIGIN}/t`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: 'a,b\n1,2' }),
      new Request(`${ORIGIN}/b`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: ALL_BYTES,
      }),
      new Request(`${ORIGIN}/l`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain; charset=iso-8859-1' },
        body: new Uint8Array([0x63, 0x61, 0x66, 0xe9]),
      }),
    ]);
    expect(
      value.requests.map((request: { body: unknown; bodyEncoding?: string }) => [request.body, request.bodyEncoding]),
    ).toEqual([
      ['a,b\n1,2', undefined],
      [Buffer.from(ALL_BYTES).toString('base64'), 'base64'],
      ['Y2Fm6Q==', 'base64'],
    ]);
  });

  it('marks a body without Content-Type as octet-stream, as the server would read it as JSON', async () => {
    const { value } = await json([new Request(`${ORIGIN}/b`, { method: 'POST', body: new Uint8Array([1, 2, 3]) })]);
    expect(value.requests[0]).toEqual({
      id: '1',
      method: 'POST',
      url: '/b',
      headers: { 'content-type': 'application/octet-stream' },
      body: 'AQID',
      bodyEncoding: 'base64',
    });
  });

  it('sends braces that name no operation as they are, and percent-encodes reference-shaped ones in a query', async () => {
    const { value } = await json([
      new Request(`${ORIGIN}/search?q={{1.body}}`),
      new Request(`${ORIGIN}/t`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: 'Hi {{name.body}} and {{2.status}}',
      }),
      new Request(`${ORIGIN}/j`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Template': '{{user.name}}' },
        body: JSON.stringify({ text: 'Hello {{user.body.name}}' }),
      }),
    ]);
    expect(value.requests[0].url).toBe('/search?q=%7B%7B1.body%7D%7D');
    expect(value.requests[1]).toMatchObject({
      body: Buffer.from('Hi {{name.body}} and {{2.status}}').toString('base64'),
      bodyEncoding: 'base64',
    });
    expect(value.requests[2]).toMatchObject({
      headers: { 'x-template': '{{user.name}}' },
      body: { text: 'Hello {{user.body.name}}' },
    });
  });

  it('refuses, with a TypeError pointing to multipart, what the json dialect would change: invalid JSON, a {{<id>.…}} reference in a JSON body or a header', async () => {
    const invalid = new Request(`${ORIGIN}/e`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{',
    });
    await expect(encodeBatch([invalid], { dialect: 'json' })).rejects.toThrow(
      new TypeError(
        "inbatch: POST /e can't be sent in the json dialect: its body is not valid JSON, yet its Content-Type is application/json; use dialect 'multipart'.",
      ),
    );
    const template = new Request(`${ORIGIN}/e`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'Hello {{1.body.name}}' }),
    });
    await expect(encodeBatch([template], { dialect: 'json' })).rejects.toThrow(
      "inbatch: POST /e can't be sent in the json dialect: its JSON body contains {{…}}, read as a reference; use dialect 'multipart'.",
    );
    const header = new Request(`${ORIGIN}/e`, { headers: { 'X-Template': '{{1.status}}' } });
    await expect(encodeBatch([header], { dialect: 'json' })).rejects.toThrow(
      "inbatch: GET /e can't be sent in the json dialect: its x-template header contains {{…}}, read as a reference; use dialect 'multipart'.",
    );
  });
});
