import type { InnerSpec } from './scenarios.js';

/**
 * The bench's own multipart writer and answer reader, written apart from @inbatch/core so
 * a parser bug can't make a broken answer look valid (same idea as test/support/multipart.ts).
 */

const BOUNDARY = 'bench_batch_boundary_7f3a9c';

/** A CRLF `multipart/mixed` batch with a Content-ID per part, as Google-style clients send it. */
export function buildMultipartBatch(ops: readonly InnerSpec[]): { contentType: string; body: Buffer } {
  const chunks: Buffer[] = [];
  ops.forEach((op, index) => {
    let head = `--${BOUNDARY}\r\nContent-Type: application/http\r\nContent-ID: <${index}>\r\n\r\n`;
    head += `${op.method} ${op.url} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(op.headers)) head += `${name}: ${value}\r\n`;
    head += '\r\n';
    chunks.push(Buffer.from(head, 'latin1'));
    if (op.body !== undefined) chunks.push(op.body);
    chunks.push(Buffer.from('\r\n'));
  });
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return { contentType: `multipart/mixed; boundary=${BOUNDARY}`, body: Buffer.concat(chunks) };
}

/**
 * The status of every part of a multipart answer, in order. Reads only what a check needs
 * (delimiters and status lines), so verifying 1000 parts stays well under a millisecond.
 */
export function multipartStatuses(contentType: string | undefined, body: Buffer): number[] {
  const match = /boundary=("?)([^";]+)\1/i.exec(contentType ?? '');
  if (!match?.[2]) throw new Error(`answer is not multipart: ${String(contentType)}`);
  const delimiter = Buffer.from(`--${match[2]}`);
  const statuses: number[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const after = at + delimiter.length;
    if (body[after] === 0x2d && body[after + 1] === 0x2d) return statuses; // close delimiter
    const line = body.indexOf('HTTP/1.1 ', after, 'latin1');
    if (line === -1) throw new Error('a part has no status line');
    statuses.push(Number(body.toString('latin1', line + 9, line + 12)));
    at = body.indexOf(delimiter, line);
  }
  throw new Error('the answer has no close delimiter');
}
