import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnswerBuffer } from '../src/engine/answer-buffer.js';

type Piece = { kind: 'latin1'; text: string } | { kind: 'utf8'; text: string } | { kind: 'bytes'; bytes: Uint8Array };

const piece: fc.Arbitrary<Piece> = fc.oneof(
  fc.record({
    kind: fc.constant('latin1' as const),
    text: fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 120 }),
  }),
  fc.record({ kind: fc.constant('utf8' as const), text: fc.string({ unit: 'grapheme', maxLength: 60 }) }),
  fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 9000 }) }),
);

function expected(pieces: readonly Piece[]): Buffer {
  return Buffer.concat(
    pieces.map((p) =>
      p.kind === 'bytes' ? Buffer.from(p.bytes) : Buffer.from(p.text, p.kind === 'latin1' ? 'latin1' : 'utf8'),
    ),
  );
}

// The answer's bytes are what the writers wrote, in order, whatever mix of short text,
// long text and bodies crosses the buffer's 64 KiB blocks, and however often it is taken.
describe('AnswerBuffer', () => {
  it('hands on exactly the bytes written, across blocks and takes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(piece, fc.boolean()), { maxLength: 60 }), (steps) => {
        const out = new AnswerBuffer();
        const taken: Buffer[] = [];
        for (const [p, takeAfter] of steps) {
          if (p.kind === 'latin1') out.latin1(p.text);
          else if (p.kind === 'utf8') out.utf8(p.text);
          else out.bytes(Buffer.from(p.bytes));
          if (takeAfter) taken.push(out.take());
        }
        taken.push(out.take());
        expect(out.size).toBe(0);
        expect(Buffer.concat(taken).equals(expected(steps.map(([p]) => p)))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a taken chunk intact while later writes reuse its block', () => {
    const out = new AnswerBuffer();
    out.latin1('first');
    const first = out.take();
    out.latin1('second');
    expect(first.toString('latin1')).toBe('first');
    expect(out.take().toString('latin1')).toBe('second');
  });
});
