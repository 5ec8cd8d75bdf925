import { describe, expect, it } from 'vitest';
import { BATCH_ERROR_STATUS, BatchError, isPartErrorCode, type BatchErrorCode } from '@inbatch/core';

const CODES = Object.keys(BATCH_ERROR_STATUS) as BatchErrorCode[];

describe('the error catalogue', () => {
  it.each(CODES)('gives %s an HTTP error status', (code) => {
    const status = BATCH_ERROR_STATUS[code];
    expect(Number.isInteger(status)).toBe(true);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(600);
    expect(new BatchError(code, 'x').status).toBe(status);
  });

  it('uses only the batch.* namespace, with batch.part.* for slot refusals', () => {
    for (const code of CODES) expect(code).toMatch(/^batch\.(part\.)?[a-z_]+$/);
    expect(CODES.filter(isPartErrorCode)).toEqual(CODES.filter((code) => code.startsWith('batch.part.')));
    expect(isPartErrorCode('batch.malformed')).toBe(false);
    expect(isPartErrorCode('batch.part.method')).toBe(true);
  });

  it('answers the refusals the threat model names with the statuses of the error contract', () => {
    expect(BATCH_ERROR_STATUS).toMatchObject({
      'batch.malformed': 400,
      'batch.empty': 400,
      'batch.unsupported_media_type': 415,
      'batch.unsupported_encoding': 415,
      'batch.too_large': 413,
      'batch.too_many_operations': 413,
      'batch.method_not_allowed': 405,
      'batch.part.malformed': 400,
      'batch.part.method': 400,
      'batch.part.target': 400,
      'batch.part.header': 400,
      'batch.part.length': 400,
      'batch.part.nested': 400,
      'batch.part.forbidden_path': 403,
      'batch.part.timeout': 504,
    });
  });

  it('answers every whole-batch refusal a client can cause with a 4xx', () => {
    // Not the client's doing: a bug, a misordered body parser, a job store that is down, and
    // batch.busy, the server's capacity shared by every client (503 with Retry-After).
    const internal = new Set<BatchErrorCode>([
      'batch.internal',
      'batch.body_unavailable',
      'batch.store_unavailable',
      'batch.busy',
    ]);
    for (const code of CODES.filter((c) => !isPartErrorCode(c) && !internal.has(c))) {
      expect(BATCH_ERROR_STATUS[code], code).toBeLessThan(500);
    }
  });
});

describe('BatchError', () => {
  it('is an Error named BatchError that keeps its cause', () => {
    const cause = new Error('inner');
    const error = new BatchError('batch.malformed', 'bad', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('BatchError');
    expect(error.message).toBe('bad');
    expect(error.cause).toBe(cause);
    expect(error.closeConnection).toBe(false);
  });

  it('renders { error: { code, message, part: null, line: null } } when located nowhere', () => {
    expect(new BatchError('batch.empty', 'The batch has no operations.').toBody()).toStrictEqual({
      error: { code: 'batch.empty', message: 'The batch has no operations.', part: null, line: null },
    });
  });

  it('renders its location, limit and operation id when it has them', () => {
    const error = new BatchError('batch.part.header', 'too long', {
      where: { part: 2, line: 9, operationId: 'op-2' },
      limit: 8192,
    });
    expect(error.toBody()).toStrictEqual({
      error: { code: 'batch.part.header', message: 'too long', part: 2, line: 9, operationId: 'op-2', limit: 8192 },
    });
  });

  it('renders a body that survives JSON unchanged', () => {
    const body = new BatchError('batch.too_large', 'big', { limit: 10 }).toBody();
    expect(JSON.parse(JSON.stringify(body))).toStrictEqual(body);
  });

  it('relocates with at(): the new location wins, code, message, limit and closeConnection stay', () => {
    const error = new BatchError('batch.too_large', 'big', { where: { line: 3 }, limit: 10, closeConnection: true });
    const moved = error.at({ part: 4 });
    expect(moved).not.toBe(error);
    expect(moved).toMatchObject({
      code: 'batch.too_large',
      message: 'big',
      status: 413,
      limit: 10,
      closeConnection: true,
    });
    expect(moved.where).toEqual({ line: 3, part: 4 });
    expect(error.where).toEqual({ line: 3 });
  });
});
