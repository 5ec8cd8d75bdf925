import { randomBytes } from 'node:crypto';
import { BatchError } from '../errors.js';
import type { BatchEntry, OperationResult } from '../operation.js';
import type { AnswerSink } from '../engine/answer-buffer.js';
import { errorResult } from '../results.js';
import type { AnswerWriter, BytesDialect } from './dialect.js';
import { parseMultipartBatch, type MultipartMeta } from './multipart-parse.js';

const EMPTY = Buffer.alloc(0);

/**
 * Writes the answer's Content-ID: `response-` before the request's own id, inside the
 * angle brackets when the request used them (`<x>` → `<response-x>`). An empty Content-ID
 * stays empty, as in the Manufacturer Center seed's answer.
 */
function writeResponseContentId(out: AnswerSink, contentId: string): void {
  if (contentId.length >= 2 && contentId.startsWith('<') && contentId.endsWith('>')) {
    out.latin1('<response-');
    out.latin1(contentId.slice(1, -1));
    out.latin1('>');
  } else {
    if (contentId !== '') out.latin1('response-');
    out.latin1(contentId);
  }
}

class MultipartWriter implements AnswerWriter<MultipartMeta> {
  // 192 random bits: inner answers can't predict it, so none can forge a part (THREATS T23).
  private readonly boundary = `batch_${randomBytes(24).toString('base64url')}`;
  private readonly delimiter = Buffer.from(`--${this.boundary}`);
  readonly contentType = `multipart/mixed; boundary=${this.boundary}`;
  private readonly partHead = Buffer.from(`--${this.boundary}\r\nContent-Type: application/http\r\n`, 'latin1');

  head(): Buffer {
    return EMPTY;
  }

  slot(entry: BatchEntry<MultipartMeta>, result: OperationResult, _index: number, out: AnswerSink): void {
    let answer = result;
    if (answer.body.includes(this.delimiter)) {
      answer = errorResult(
        new BatchError('batch.part.dispatch_failed', 'The answer contained the batch boundary and was withheld.', {
          where: entry.where,
        }),
      );
    }
    // Piece by piece into the answer's buffer: no string is built for the part's head.
    out.bytes(this.partHead);
    const { contentId } = entry.meta;
    if (contentId !== undefined) {
      out.latin1('Content-ID: ');
      writeResponseContentId(out, contentId);
      out.latin1('\r\n');
    }
    out.latin1('\r\nHTTP/1.1 ');
    out.latin1(String(answer.status));
    out.latin1(' ');
    out.latin1(answer.statusText);
    out.latin1('\r\n');
    for (const [name, value] of answer.headers) {
      out.latin1(name);
      out.latin1(': ');
      out.latin1(value);
      out.latin1('\r\n');
    }
    out.latin1('\r\n');
    out.bytes(answer.body);
    out.latin1('\r\n');
  }

  tail(): Buffer {
    return Buffer.from(`--${this.boundary}--\r\n`);
  }
}

/** Google-style `multipart/mixed` batches (the seeds `multipart-batch-*.txt`). */
export const multipartDialect: BytesDialect<MultipartMeta> = {
  name: 'multipart',
  input: 'bytes',
  accepts: (contentType) => contentType.mediaType === 'multipart/mixed',
  parse: (body, contentType, options) =>
    parseMultipartBatch(body, contentType.params.get('boundary'), options.maxOperations),
  createWriter: () => new MultipartWriter(),
};
