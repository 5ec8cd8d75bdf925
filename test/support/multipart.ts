/**
 * The test suite's own multipart reader and writer: written independently of
 * @inbatch/core's parser, so the tests check the library against a second opinion.
 */

export interface PartSpec {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The part's Content-ID header value; omitted when undefined. */
  contentId?: string;
}

export interface BuiltBatch {
  contentType: string;
  body: Buffer;
}

/** A well-formed CRLF batch, as a careful client would write it. */
export function buildBatch(parts: readonly PartSpec[], boundary = 'batch_test_boundary'): BuiltBatch {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Type: application/http\r\n`;
    if (part.contentId !== undefined) head += `Content-ID: ${part.contentId}\r\n`;
    head += `\r\n${part.method} ${part.url} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(part.headers ?? {})) head += `${name}: ${value}\r\n`;
    head += '\r\n';
    chunks.push(Buffer.from(head, 'latin1'));
    if (part.body !== undefined) chunks.push(Buffer.isBuffer(part.body) ? part.body : Buffer.from(part.body));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

export interface AnswerPart {
  /** The part's Content-ID, or undefined when it had none. */
  contentId: string | undefined;
  status: number;
  statusText: string;
  /** Header fields as written, in order. */
  rawHeaders: Array<[string, string]>;
  /** Lower-case name → values. */
  headers: Record<string, string[]>;
  body: Buffer;
  text: string;
  json(): any;
}

function boundaryOf(contentType: string): string {
  const match = /^multipart\/mixed;\s*boundary=([^;]+)$/i.exec(contentType);
  if (!match?.[1]) throw new Error(`not a multipart/mixed answer: ${contentType}`);
  return match[1];
}

function splitHead(block: Buffer): { head: string; rest: Buffer } {
  const end = block.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no blank line in ${JSON.stringify(block.toString('latin1'))}`);
  return { head: block.toString('latin1', 0, end), rest: block.subarray(end + 4) };
}

/** Reads inbatch's answer strictly: CRLF everywhere, every part an HTTP response, a close delimiter. */
export function parseAnswer(contentType: string, body: Buffer): AnswerPart[] {
  const boundary = boundaryOf(contentType);
  const delimiter = `--${boundary}`;
  const close = Buffer.from(`\r\n${delimiter}--\r\n`);
  if (!body.subarray(body.length - close.length).equals(close) && !body.equals(Buffer.from(`${delimiter}--\r\n`))) {
    throw new Error('the answer does not end with the close delimiter');
  }
  if (body.equals(Buffer.from(`${delimiter}--\r\n`))) return [];
  if (!body.subarray(0, delimiter.length + 2).equals(Buffer.from(`${delimiter}\r\n`))) {
    throw new Error('the answer does not start with a delimiter');
  }
  const inner = body.subarray(delimiter.length + 2, body.length - close.length);
  const separator = Buffer.from(`\r\n${delimiter}\r\n`);
  const blocks: Buffer[] = [];
  let start = 0;
  for (;;) {
    const at = inner.indexOf(separator, start);
    if (at === -1) {
      blocks.push(inner.subarray(start));
      break;
    }
    blocks.push(inner.subarray(start, at));
    start = at + separator.length;
  }
  return blocks.map((block) => {
    const mime = splitHead(block);
    const mimeHeaders = mime.head.split('\r\n');
    if (mimeHeaders[0] !== 'Content-Type: application/http') throw new Error(`bad part header ${mimeHeaders[0]}`);
    const idLine = mimeHeaders.find((line) => line.startsWith('Content-ID:'));
    const http = splitHead(mime.rest);
    const [statusLine, ...fieldLines] = http.head.split('\r\n');
    const status = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(statusLine ?? '');
    if (!status) throw new Error(`bad status line ${statusLine}`);
    const rawHeaders = fieldLines.map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
    const headers: Record<string, string[]> = {};
    for (const [name, value] of rawHeaders) (headers[name.toLowerCase()] ??= []).push(value);
    const text = http.rest.toString();
    return {
      contentId: idLine === undefined ? undefined : idLine.slice('Content-ID:'.length).trim(),
      status: Number(status[1]),
      statusText: status[2] ?? '',
      rawHeaders,
      headers,
      body: http.rest,
      text,
      json: () => JSON.parse(text),
    };
  });
}
