import type { Readable } from 'node:stream';
import { BatchError } from '../errors.js';

/** Where the outer body is, depending on what ran before `batch()`. */
export type BodySource =
  /** Unread: `batch()` reads it under its limits. */
  | { kind: 'stream'; stream: Readable; declaredLength: number | undefined }
  /** A raw or text parser already read it and kept the bytes. */
  | { kind: 'captured'; bytes: Buffer }
  /** A parser turned it into a value (express.json, a Koa body parser); the bytes are gone. */
  | { kind: 'parsed'; value: unknown }
  /** Read by something that kept nothing. */
  | { kind: 'consumed' }
  /** A fetch-standard body (Hono, any `Request`), unread: read under the same limits. */
  | { kind: 'web'; stream: ReadableStream<Uint8Array> | null; declaredLength: number | undefined };

/** A `Content-Length` value as a byte count; undefined when absent or not a plain number (the body's end then decides). */
export function declaredBodyLength(value: string | null | undefined): number | undefined {
  return value === undefined || value === null || !/^\d+$/.test(value) ? undefined : Number(value);
}

export interface BodyLimits {
  maxBytes: number;
  timeoutMs: number;
}

function tooLarge(maxBytes: number): BatchError {
  return new BatchError('batch.too_large', `The batch body is larger than ${maxBytes} bytes.`, {
    limit: maxBytes,
    closeConnection: true,
  });
}

/**
 * Reads the outer body into one buffer: refused before reading when the declared length
 * is over the limit, cut off as soon as the bytes received are (THREATS T3), and given up
 * when the client is too slow (THREATS T5).
 */
export function readBody(source: BodySource, limits: BodyLimits): Promise<Buffer> {
  switch (source.kind) {
    case 'captured':
      if (source.bytes.length > limits.maxBytes) return Promise.reject(tooLarge(limits.maxBytes));
      return Promise.resolve(source.bytes);
    case 'parsed':
    case 'consumed':
      return Promise.reject(
        new BatchError(
          'batch.body_unavailable',
          'The batch body was already read by a middleware mounted before batch(), which kept neither its bytes nor a parsed JSON value. Mount batch() before that middleware.',
        ),
      );
    case 'web':
      return readWebBody(source.stream, source.declaredLength, limits);
    case 'stream':
      break;
  }
  const { stream, declaredLength } = source;
  if (declaredLength !== undefined && declaredLength > limits.maxBytes)
    return Promise.reject(tooLarge(limits.maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const fail = (error: BatchError): void => {
      cleanup();
      stream.pause();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limits.maxBytes) fail(tooLarge(limits.maxBytes));
      else chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      fail(
        new BatchError('batch.malformed', 'The batch body could not be read.', { cause: error, closeConnection: true }),
      );
    };
    const onClose = (): void => {
      fail(new BatchError('batch.malformed', 'The client closed the connection before the body was complete.'));
    };
    const timer = setTimeout(() => {
      fail(
        new BatchError('batch.body_timeout', `The batch body did not arrive within ${limits.timeoutMs} ms.`, {
          limit: limits.timeoutMs,
          closeConnection: true,
        }),
      );
    }, limits.timeoutMs);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
    stream.resume();
  });
}

/** `readBody` for a fetch-standard body: the same caps, the same timeout, the same errors. */
async function readWebBody(
  stream: ReadableStream<Uint8Array> | null,
  declaredLength: number | undefined,
  limits: BodyLimits,
): Promise<Buffer> {
  if (declaredLength !== undefined && declaredLength > limits.maxBytes) throw tooLarge(limits.maxBytes);
  if (stream === null) return Buffer.alloc(0);
  const reader = stream.getReader();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(
        new BatchError('batch.body_timeout', `The batch body did not arrive within ${limits.timeoutMs} ms.`, {
          limit: limits.timeoutMs,
          closeConnection: true,
        }),
      );
    }, limits.timeoutMs);
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const read = await Promise.race([reader.read(), late]).catch((error: unknown) => {
        if (error instanceof BatchError) throw error;
        throw new BatchError('batch.malformed', 'The batch body could not be read.', {
          cause: error,
          closeConnection: true,
        });
      });
      if (read.done) return Buffer.concat(chunks, size);
      size += read.value.length;
      if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
      chunks.push(read.value);
    }
  } catch (error) {
    reader.cancel().catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
