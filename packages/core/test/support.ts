import { readFileSync } from 'node:fs';
import { BatchError, parseMultipartBatch, type MultipartMeta } from '@inbatch/core';

/** What one parsed slot looks like, with the body as latin1 text so expectations read plainly. */
export interface SlotView {
  part: number | undefined;
  line: number | undefined;
  contentId: string | undefined;
  method?: string;
  target?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: string | undefined;
  error?: ReturnType<BatchError['toBody']>['error'];
}

/** Joins lines with LF (and a final LF when `trailing`). */
export function lf(...lines: string[]): string {
  return lines.join('\n');
}

/** Joins lines with CRLF. */
export function crlf(...lines: string[]): string {
  return lines.join('\r\n');
}

/**
 * Parses a batch written as text (latin1, so every byte is what the string says).
 * `boundary` defaults to `b` only when the argument is left out; an explicit undefined is passed on.
 */
export function parse(
  text: string | Buffer,
  ...args: [boundary?: string | undefined, maxOperations?: number]
): SlotView[] {
  const boundary = args.length === 0 ? 'b' : args[0];
  const maxOperations = args[1] ?? 1000;
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  return parseMultipartBatch(body, boundary, maxOperations).map((entry) => {
    const meta: MultipartMeta = entry.meta;
    const view: SlotView = { part: entry.where.part, line: entry.where.line, contentId: meta.contentId };
    if (entry.operation !== undefined) {
      view.method = entry.operation.method;
      view.target = entry.operation.target;
      view.headers = entry.operation.headers;
      view.body = entry.operation.body?.toString('latin1');
    }
    if (entry.refusal !== undefined) view.error = entry.refusal.toBody().error;
    return view;
  });
}

/** The whole-batch error a parse throws; fails the test when it does not throw a BatchError. */
export function wholeError(text: string | Buffer, ...args: [boundary?: string | undefined, maxOperations?: number]) {
  try {
    parse(text, ...args);
  } catch (error) {
    if (error instanceof BatchError) return { status: error.status, ...error.toBody().error };
    throw error;
  }
  throw new Error('expected the parse to refuse the whole batch');
}

/** The only slot's error of a one-part batch. */
export function slotError(text: string) {
  const slots = parse(text);
  if (slots.length !== 1) throw new Error(`expected one slot, got ${slots.length}`);
  const error = slots[0]?.error;
  if (error === undefined) throw new Error(`expected a refusal, got ${JSON.stringify(slots[0])}`);
  return error;
}

/** A seed fixture from test/fixtures/seeds, as bytes and its Content-Type. */
export function seed(name: 'manufacturer-center' | 'merchant-en' | 'merchant-pt') {
  const dir = new URL('../../../test/fixtures/seeds/', import.meta.url);
  return {
    body: readFileSync(new URL(`${name}.request.txt`, dir)),
    contentType: readFileSync(new URL(`${name}.content-type.txt`, dir), 'utf8').trim(),
  };
}
