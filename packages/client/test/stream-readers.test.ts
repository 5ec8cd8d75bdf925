import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readEventStream, type ServerSentEvent } from '../src/jobs/event-stream.js';
import { readJsonLines } from '../src/jobs/lines.js';

/** A body delivered in the given chunks, as a network would split it. */
function chunked(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

/** Every byte in a chunk of its own: the worst split there is. */
function byteByByte(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return chunked(Array.from(bytes, (byte) => Uint8Array.of(byte)));
}

async function events(body: ReadableStream<Uint8Array>): Promise<ServerSentEvent[]> {
  const read: ServerSentEvent[] = [];
  for await (const event of readEventStream(body)) read.push(event);
  return read;
}

async function lines(body: ReadableStream<Uint8Array>, gzip = false): Promise<unknown[]> {
  const read: unknown[] = [];
  for await (const line of readJsonLines(body, gzip)) read.push(line);
  return read;
}

// The lead's wire format: retry, then id/event/data events, comments as keep-alives.
const STREAM = [
  'retry: 2000',
  '',
  'id: 3',
  'event: progress',
  'data: {"id":"j","status":"running","progress":{"total":10,"done":3,"failed":0,"cancelled":0}}',
  '',
  ': keep-alive',
  '',
  'id: 10',
  'event: end',
  'data: {"status":"finished"}',
  '',
  '',
].join('\n');

describe('readEventStream', () => {
  it('reads named events with their data, last id and retry, skipping comments', async () => {
    expect(await events(chunked([new TextEncoder().encode(STREAM)]))).toEqual([
      {
        event: 'progress',
        data: '{"id":"j","status":"running","progress":{"total":10,"done":3,"failed":0,"cancelled":0}}',
        lastEventId: '3',
        retry: 2000,
      },
      { event: 'end', data: '{"status":"finished"}', lastEventId: '10', retry: 2000 },
    ]);
  });

  it('reads the same events however the bytes are split, and with CRLF or CR line ends', async () => {
    const expected = await events(chunked([new TextEncoder().encode(STREAM)]));
    for (const ending of ['\n', '\r\n', '\r']) {
      const bytes = new TextEncoder().encode(STREAM.replaceAll('\n', ending));
      expect(await events(byteByByte(bytes))).toEqual(expected);
    }
  });

  it('joins data lines with a newline, names an unnamed event "message", and drops an event cut off by the end', async () => {
    const text = 'data: a\ndata:b\n\nevent: progress\ndata: cut';
    expect(await events(chunked([new TextEncoder().encode(text)]))).toEqual([
      { event: 'message', data: 'a\nb', lastEventId: '', retry: undefined },
    ]);
  });

  it('decodes a multi-byte character split between chunks', async () => {
    const bytes = new TextEncoder().encode('data: {"message":"café ✓"}\n\n');
    const [event] = await events(byteByByte(bytes));
    expect(JSON.parse(event?.data ?? '')).toEqual({ message: 'café ✓' });
  });
});

describe('readJsonLines', () => {
  const LINES = [
    { id: 'a', status: 200 },
    { id: 'b', body: 'x\ny' },
    { id: 'c', message: 'ünïcode' },
  ];
  const TEXT = LINES.map((line) => `${JSON.stringify(line)}\n`).join('');

  it('parses one object per line, whatever the chunks', async () => {
    expect(await lines(byteByByte(new TextEncoder().encode(TEXT)))).toEqual(LINES);
  });

  it('inflates a gzip file on the way', async () => {
    const gz = gzipSync(Buffer.from(TEXT));
    expect(await lines(chunked([gz.subarray(0, 7), gz.subarray(7)]), true)).toEqual(LINES);
  });

  it('reads a last line without a newline, and names a line that is not JSON', async () => {
    expect(await lines(chunked([new TextEncoder().encode('{"a":1}\n{"b":2}')]))).toEqual([{ a: 1 }, { b: 2 }]);
    await expect(lines(chunked([new TextEncoder().encode('{"a":1}\nnot json\n')]))).rejects.toThrow(
      "inbatch: line 2 of the job's results is not JSON.",
    );
  });
});
