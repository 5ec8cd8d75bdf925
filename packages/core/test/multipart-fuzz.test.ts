import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchError, isPartErrorCode, parseContentType, parseMultipartBatch } from '@inbatch/core';
import { seed } from './support.js';

// THREATS T1/T2/section 5: the parser must be total and linear. Budget: 1e5+ generated
// cases in all, the whole file well under 30 s on a 2-core machine.

const WHOLE_BATCH_CODES = new Set(['batch.malformed', 'batch.too_many_operations']);

function fail(message: string): never {
  throw new Error(message);
}

/** Whether a header value holds a control character other than HTAB (RFC 9110 §5.5). */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

function countLines(body: Buffer): number {
  let lines = 1;
  for (let i = body.indexOf(0x0a); i !== -1; i = body.indexOf(0x0a, i + 1)) lines++;
  return lines;
}

/**
 * Parses and checks what any input must give: entries, each either an operation or a
 * slot refusal located at its own part, no more than maxOperations of them — or a
 * whole-batch BatchError. Anything else (another error type, a part code thrown whole,
 * an entry with both or neither) fails. Plain throws, not expect(): this runs 1e5 times.
 */
function assertTotal(body: Buffer, boundary: string | undefined, maxOperations: number): void {
  let entries;
  try {
    entries = parseMultipartBatch(body, boundary, maxOperations);
  } catch (error) {
    if (!(error instanceof BatchError)) throw error;
    if (!WHOLE_BATCH_CODES.has(error.code)) fail(`whole-batch error with code ${error.code}`);
    if (error.code === 'batch.too_many_operations' && error.where.part !== maxOperations + 1) {
      fail(`too_many_operations at part ${error.where.part}, limit ${maxOperations}`);
    }
    return;
  }
  if (entries.length > maxOperations) fail(`${entries.length} entries over a limit of ${maxOperations}`);
  const lastLine = countLines(body);
  entries.forEach((entry, index) => {
    const part = index + 1;
    if (entry.where.part !== part) fail(`entry ${index} located at part ${entry.where.part}`);
    const line = entry.where.line;
    if (line === undefined || !Number.isInteger(line) || line < 1 || line > lastLine) fail(`entry line ${line}`);
    if ((entry.operation === undefined) === (entry.refusal === undefined)) {
      fail(`entry ${part} must have exactly one of operation and refusal`);
    }
    if (entry.refusal !== undefined) {
      if (!isPartErrorCode(entry.refusal.code)) fail(`slot refusal with code ${entry.refusal.code}`);
      if (entry.refusal.where.part !== part) fail(`refusal of part ${part} located at ${entry.refusal.where.part}`);
      const refusedLine = entry.refusal.where.line;
      if (refusedLine === undefined || refusedLine < 1 || refusedLine > lastLine) fail(`refusal line ${refusedLine}`);
    }
    if (entry.operation !== undefined) {
      const { method, target, headers, body: inner } = entry.operation;
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) fail(`method ${JSON.stringify(method)}`);
      if (typeof target !== 'string') fail('target is not a string');
      for (const [name, value] of headers) {
        if (name !== name.toLowerCase() || hasControl(value)) fail(`header ${name}`);
      }
      if (inner !== undefined && (!Buffer.isBuffer(inner) || inner.length === 0)) fail('empty or non-Buffer body');
    }
  });
}

const BOUNDARY = 'batch_fuzz';

/** Valid batches to mutate: the three seeds and a CRLF batch with every feature. */
const TEMPLATES: ReadonlyArray<{ body: Buffer; boundary: string }> = [
  ...(['manufacturer-center', 'merchant-en', 'merchant-pt'] as const).map((name) => {
    const { body, contentType } = seed(name);
    return { body, boundary: parseContentType(contentType)?.params.get('boundary') ?? '' };
  }),
  {
    boundary: BOUNDARY,
    body: Buffer.from(
      [
        'preamble',
        `--${BOUNDARY}`,
        'Content-Type: application/http',
        'Content-ID: <item-1>',
        '',
        'GET /items/1?x=1 HTTP/1.1',
        'Accept: application/json',
        'X-Tenant: acme',
        '',
        '',
        `--${BOUNDARY}`,
        'Content-Type: application/http; msgtype=request',
        'Content-Transfer-Encoding: binary',
        '',
        'POST /items HTTP/1.1',
        'Content-Type: application/json',
        'Content-Length: 13',
        '',
        '{"name":"x"}\n',
        `--${BOUNDARY}`,
        '',
        'DELETE /items/2',
        `--${BOUNDARY}--`,
        'epilogue',
      ].join('\r\n'),
      'latin1',
    ),
  },
];

// Bytes that matter to the grammar, inserted far more often than chance would.
const SPECIAL = [
  '\r',
  '\n',
  '\r\n',
  '\0',
  ' ',
  '\t',
  '"',
  '\\',
  ':',
  '-',
  '--',
  '\u00e2\u0080\u0093',
  '\x7f',
  '\xff',
].map((text) => Buffer.from(text, 'latin1'));

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant('special' as const), at: fc.nat(), which: fc.nat(SPECIAL.length - 1) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('crlf-to-lf' as const) }),
  fc.record({ kind: fc.constant('lf-to-crlf' as const) }),
  fc.record({
    kind: fc.constant('huge-line' as const),
    at: fc.nat(),
    length: fc.constantFrom(8191, 8192, 8193, 16_385, 70_000),
    fill: fc.constantFrom('a', ' ', ':', '-'),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(body: Buffer, m: Mutation): Buffer {
  const at = 'at' in m ? m.at % (body.length + 1) : 0;
  switch (m.kind) {
    case 'insert':
      return Buffer.concat([body.subarray(0, at), m.bytes, body.subarray(at)]);
    case 'special':
      return Buffer.concat([body.subarray(0, at), SPECIAL[m.which] as Buffer, body.subarray(at)]);
    case 'delete':
      return Buffer.concat([body.subarray(0, at), body.subarray(at + m.length)]);
    case 'duplicate':
      return Buffer.concat([body.subarray(0, at + m.length), body.subarray(at)]);
    case 'crlf-to-lf':
      return Buffer.from(body.toString('latin1').replaceAll('\r\n', '\n'), 'latin1');
    case 'lf-to-crlf':
      return Buffer.from(body.toString('latin1').replaceAll('\r\n', '\n').replaceAll('\n', '\r\n'), 'latin1');
    case 'huge-line':
      return Buffer.concat([body.subarray(0, at), Buffer.alloc(m.length, m.fill), body.subarray(at)]);
  }
}

const mutatedBatch = fc.record({
  template: fc.constantFrom(...TEMPLATES),
  mutations: fc.array(mutation, { maxLength: 8 }),
  maxOperations: fc.integer({ min: 1, max: 5 }),
});

// Grammar pieces, so random sequences look like batches often enough to reach deep code.
const PIECES = [
  `--${BOUNDARY}`,
  `--${BOUNDARY}--`,
  '\r\n',
  '\n',
  '\r',
  'Content-Type: application/http',
  'Content-Type:',
  'Content-ID: <x>',
  'Content-Transfer-Encoding: base64',
  'GET /x HTTP/1.1',
  'POST /y',
  'G(T /z',
  'Content-Length: 3',
  'Content-Length: x',
  'Transfer-Encoding: chunked',
  'X-A: 1',
  'X-A : 1',
  ' folded',
  '\t',
  ' ',
  ':',
  '\0',
  '"',
  '{"a":1}',
  'abc',
];
const pieceSoup = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })), { maxLength: 40 });

describe('parseMultipartBatch is total (THREATS T1, fast-check)', () => {
  it('answers every mutation of a valid batch with entries or a whole-batch BatchError', () => {
    fc.assert(
      fc.property(mutatedBatch, ({ template, mutations, maxOperations }) => {
        const body = mutations.reduce(mutate, template.body);
        assertTotal(body, template.boundary, maxOperations);
      }),
      { numRuns: 40_000 },
    );
  });

  it('answers sequences of grammar pieces and noise with entries or a whole-batch BatchError', () => {
    fc.assert(
      fc.property(pieceSoup, fc.integer({ min: 1, max: 4 }), (pieces, maxOperations) => {
        assertTotal(Buffer.from(pieces.join(''), 'latin1'), BOUNDARY, maxOperations);
      }),
      { numRuns: 25_000 },
    );
  });

  it('answers arbitrary bytes under arbitrary boundaries with entries or a whole-batch BatchError', () => {
    const boundary = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 80 }), fc.constantFrom('b', '--b', '-'));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), boundary, fc.integer({ min: 1, max: 3 }), (bytes, b, max) => {
        assertTotal(Buffer.from(bytes), b, max);
      }),
      { numRuns: 15_000 },
    );
  });

  it('reads arbitrary Content-Type strings without throwing, and their boundaries drive a total parse', () => {
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc
        .array(fc.constantFrom('multipart/mixed', ';', ',', ' ', '\t', 'boundary', '=', '"', '\\', 'b', '--b', 'x=y'), {
          maxLength: 20,
        })
        .map((pieces) => pieces.join('')),
    );
    fc.assert(
      fc.property(header, mutatedBatch, (value, { template, mutations }) => {
        const parsed = parseContentType(value);
        if (parsed !== undefined) {
          if (!parsed.mediaType.includes('/') || parsed.mediaType !== parsed.mediaType.toLowerCase()) {
            fail(`media type ${JSON.stringify(parsed.mediaType)}`);
          }
          for (const name of parsed.params.keys()) {
            if (name === '' || name !== name.toLowerCase()) fail(`parameter name ${JSON.stringify(name)}`);
          }
        }
        assertTotal(mutations.reduce(mutate, template.body), parsed?.params.get('boundary'), 3);
      }),
      { numRuns: 20_000 },
    );
  });
});

// RFC 2046 bchars; a space may not end the boundary.
const BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";
const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const chars = (alphabet: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });

const wellFormedOperation = fc.record({
  method: chars(TCHARS, 1, 10),
  target: chars('abcdefghijklmnopqrstuvwxyz0123456789/._~%?=&:@', 0, 40).map((path) => `/${path}`),
  headers: fc.array(
    fc.tuple(
      chars(TCHARS, 1, 20).filter((name) => !['content-length', 'transfer-encoding'].includes(name.toLowerCase())),
      chars('abcdefghij XYZ0123456789=;,/"\t', 0, 30).map((value) => value.trim()),
    ),
    { maxLength: 10 },
  ),
  body: fc.option(chars('abcdefghij{}[]":,0123456789 \n', 1, 200), { nil: undefined }),
  contentId: fc.option(chars('<>abcdefghij:0123456789@.', 0, 30), { nil: undefined }),
});

function writeBatch(
  boundary: string,
  operations: ReadonlyArray<typeof wellFormedOperation extends fc.Arbitrary<infer O> ? O : never>,
  eol: string,
) {
  let text = '';
  for (const op of operations) {
    text += `--${boundary}${eol}Content-Type: application/http${eol}`;
    if (op.contentId !== undefined) text += `Content-ID: ${op.contentId}${eol}`;
    text += `${eol}${op.method} ${op.target} HTTP/1.1${eol}`;
    for (const [name, value] of op.headers) text += `${name}: ${value}${eol}`;
    text += eol;
    if (op.body !== undefined) text += op.body;
    text += eol;
  }
  return Buffer.from(`${text}--${boundary}--${eol}`, 'latin1');
}

describe('parseMultipartBatch reads back what a careful client writes (fast-check)', () => {
  it('returns exactly the written operations, with CRLF or with LF line endings', () => {
    const boundary = chars(BCHARS, 1, 70).filter((b) => !b.endsWith(' '));
    fc.assert(
      fc.property(
        boundary,
        fc.array(wellFormedOperation, { minLength: 1, maxLength: 5 }),
        fc.constantFrom('\r\n', '\n'),
        (b, operations, eol) => {
          const entries = parseMultipartBatch(writeBatch(b, operations, eol), b, 1000);
          const read = entries.map((entry) => ({
            error: entry.refusal?.toBody().error,
            method: entry.operation?.method,
            target: entry.operation?.target,
            headers: entry.operation?.headers,
            body: entry.operation?.body?.toString('latin1'),
            contentId: entry.meta.contentId,
          }));
          expect(read).toEqual(
            operations.map((op) => ({
              error: undefined,
              method: op.method,
              target: op.target,
              headers: op.headers.map(([name, value]) => [name.toLowerCase(), value]),
              body: op.body,
              contentId: op.contentId?.trim(),
            })),
          );
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

/** Milliseconds one call takes, the best of `runs` (the least disturbed by GC and other work). */
function bestTime(run: () => unknown, runs = 3): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    try {
      run();
    } catch (error) {
      if (!(error instanceof BatchError)) throw error;
    }
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

// Generous bounds: each case takes a few milliseconds; a super-linear scan would take seconds.
const BOUND_MS = 1000;

describe('parsing time stays linear (THREATS T2, I5)', () => {
  it('reads a Content-Type with a 50 000-backslash boundary, quoted or unterminated, in linear time', () => {
    for (const header of [
      `multipart/mixed; boundary="${'\\'.repeat(50_000)}`,
      `multipart/mixed; boundary="${'\\'.repeat(50_000)}"`,
      `multipart/mixed; boundary=${'\\'.repeat(50_000)}`,
      `multipart/mixed${';a="",'.repeat(100_000)}`,
    ]) {
      expect(bestTime(() => parseContentType(header))).toBeLessThan(BOUND_MS);
    }
  });

  it('refuses a 50 000-backslash boundary whole, quickly', () => {
    const boundary = parseContentType(`multipart/mixed; boundary=${'\\'.repeat(50_000)}`)?.params.get('boundary');
    expect(() => parseMultipartBatch(Buffer.from(`--${boundary}\nGET /x\n--${boundary}--`), boundary, 1000)).toThrow(
      expect.objectContaining({ code: 'batch.malformed' }),
    );
    expect(bestTime(() => parseMultipartBatch(Buffer.alloc(1 << 20, '\\'), boundary, 1000))).toBeLessThan(BOUND_MS);
  });

  it('refuses 80 KB header lines without a colon, part after part, quickly', () => {
    // Twelve parts: just under 1 MiB, the size THREATS I5 bounds.
    const line = 'x'.repeat(80_000);
    const asPartHeader = Buffer.from(`${`--b\n${line}\n`.repeat(12)}--b--`);
    const asRequestHeader = Buffer.from(`${`--b\nGET /x\n${line}\n`.repeat(12)}--b--`);
    const slots = parseMultipartBatch(asPartHeader, 'b', 1000);
    expect(slots.map((slot) => slot.refusal?.code)).toEqual(Array(12).fill('batch.part.target'));
    expect(bestTime(() => parseMultipartBatch(asPartHeader, 'b', 1000))).toBeLessThan(BOUND_MS);
    expect(bestTime(() => parseMultipartBatch(asRequestHeader, 'b', 1000))).toBeLessThan(BOUND_MS);
  });

  it('stops a million tiny parts at the operation limit, quickly', () => {
    const body = Buffer.from(`${'--b\r\n'.repeat(1_000_000)}--b--`);
    expect(() => parseMultipartBatch(body, 'b', 1000)).toThrow(
      expect.objectContaining({ code: 'batch.too_many_operations', where: { part: 1001, line: 1001 } }),
    );
    expect(bestTime(() => parseMultipartBatch(body, 'b', 1000))).toBeLessThan(BOUND_MS);
  });

  it('scans near-miss delimiters, blank lines and long bodies in linear time', () => {
    const boundary = 'a'.repeat(70);
    const cases = [
      Buffer.from(`--${'a'.repeat(69)}b\n`.repeat(14_000)),
      Buffer.from(`--b\n${'\n--bX'.repeat(200_000)}\n--b--`),
      Buffer.from(`--b\n${'\n'.repeat(1 << 20)}--b--`),
      Buffer.from(`--b\nPOST /x\n\n${'x'.repeat(1 << 20)}\n--b--`),
    ];
    for (const body of cases) {
      expect(bestTime(() => parseMultipartBatch(body, body[2] === 0x61 ? boundary : 'b', 1000))).toBeLessThan(BOUND_MS);
    }
  });

  it('takes about eight times longer for an input eight times larger, not sixty-four (no quadratic blow-up)', () => {
    const build = (parts: number) =>
      Buffer.from(`${`--b\r\nContent-Type: application/http\r\n\r\nGET /x\r\nX-A : 1\r\n\r\n`.repeat(parts)}--b--`);
    const small = build(2_500);
    const large = build(20_000);
    const ratio =
      bestTime(() => parseMultipartBatch(large, 'b', 100_000), 5) /
      bestTime(() => parseMultipartBatch(small, 'b', 100_000), 5);
    // Linear is 8; quadratic would be 64.
    expect(ratio).toBeLessThan(32);
  });
});
