import { randomBytes } from 'node:crypto';
import { BatchError } from '../errors.js';
import type { BatchEntry, OperationResult } from '../operation.js';
import type { AnswerSink } from '../engine/answer-buffer.js';
import { errorResult } from '../results.js';
import type { AnswerWriter, BytesDialect } from './dialect.js';
import { parseMultipartBatch, type MultipartMeta } from './multipart-parse.js';

const EMPTY = Buffer.alloc(0);

/**
 * The answer's Content-ID: `response-` before the request's own id, inside the angle
 * brackets when the request used them (`<x>` → `<response-x>`). An empty Content-ID stays
 * empty, as in the Manufacturer Center seed's answer.
 */
export function responseContentId(contentId: string): string {
  if (contentId === '') return '';
  if (contentId.startsWith('<') && contentId.endsWith('>') && contentId.length >= 2) {
    return `<response-${contentId.slice(1, -1)}>`;
  }
  return `response-${contentId}`;
}

class MultipartWriter implements AnswerWriter<MultipartMeta> {
  // 192 random bits: inner answers can't predict it, so none can forge a part (THREATS T23).
  private readonly boundary = `batch_${randomBytes(24).toString('base64url')}`;
  private readonly delimiter = Buffer.from(`--${this.boundary}`);
  readonly contentType = `multipart/mixed; boundary=${this.boundary}`;
  private readonly partHead = `--${this.boundary}\r\nContent-Type: application/http\r\n`;

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
    let head = this.partHead;
    if (entry.meta.contentId !== undefined) head += `Content-ID: ${responseContentId(entry.meta.contentId)}\r\n`;
    head += `\r\nHTTP/1.1 ${answer.status} ${answer.statusText}\r\n`;
    for (const [name, value] of answer.headers) head += `${name}: ${value}\r\n`;
    out.latin1(`${head}\r\n`);
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
