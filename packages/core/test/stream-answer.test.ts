import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AnswerWriter } from '../src/dialects/dialect.js';
import type { BatchRun } from '../src/engine/execute.js';
import { FLUSH_AFTER_MS, streamAnswer } from '../src/engine/stream.js';
import type { BatchEntry, OperationResult } from '../src/operation.js';
import { resolveOptions } from '../src/options.js';

// A writer whose bytes say what they are: "<" head, "[i:body]" per slot, ">" tail.
const writer: AnswerWriter<unknown> = {
  contentType: 'text/plain',
  head: () => Buffer.from('<'),
  slot: (_entry, result, index, out) => {
    out.latin1(`[${index}:`);
    out.bytes(result.body);
    out.latin1(']');
  },
  tail: () => Buffer.from('>'),
};

function result(body: string): OperationResult {
  return { status: 200, statusText: 'OK', headers: [], body: Buffer.from(body) };
}

function entries(count: number): BatchEntry[] {
  return Array.from({ length: count }, (_, index) => ({ where: { part: index + 1 }, meta: undefined }));
}

/**
 * A run that delivers the answers `script` hands it, in order, as a real run does; `stopped`
 * tells whether the stream stopped it.
 */
function scripted(script: (deliver: (results: OperationResult[]) => void) => Promise<void>) {
  const state = { stopped: false };
  const start = (onAnswer: (index: number, result: OperationResult) => void): BatchRun => {
    let next = 0;
    const done = script((results) => {
      for (const result of results) if (!state.stopped) onAnswer(next++, result);
    });
    return { done, stop: () => (state.stopped = true), taken: () => undefined };
  };
  return { start, state };
}

/** Pulls every chunk, recording when (in fake ms) each was yielded. */
async function drain(answer: AsyncGenerator<Buffer>): Promise<{ at: number; text: string }[]> {
  const chunks: { at: number; text: string }[] = [];
  for await (const chunk of answer) chunks.push({ at: Date.now(), text: chunk.toString() });
  return chunks;
}

describe('streamAnswer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes answers that arrive one by one without a pause as a few chunks, not one per answer', async () => {
    const { start } = scripted(async (deliver) => {
      for (let index = 0; index < 500; index++) {
        await new Promise((resolve) => setImmediate(resolve));
        deliver([result('x'.repeat(100))]);
      }
    });
    const chunks = await drain(streamAnswer(start, entries(500), writer, resolveOptions()));
    const text = chunks.map((chunk) => chunk.text).join('');
    expect(text.startsWith('<[0:')).toBe(true);
    expect(text.endsWith(`[499:${'x'.repeat(100)}]>`)).toBe(true);
    expect(text.match(/\[\d+:/g)).toHaveLength(500);
    // ~53 KB of parts: well under one chunk per answer (each chunk is one socket write).
    expect(chunks.length).toBeLessThan(50);
  });

  it('sends what is ready once it has waited FLUSH_AFTER_MS, while a later answer is still running', async () => {
    vi.useFakeTimers({ now: 0 });
    const { start } = scripted(async (deliver) => {
      deliver([result('fast')]);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      deliver([result('slow')]);
    });
    const drained = drain(streamAnswer(start, entries(2), writer, resolveOptions()));
    await vi.runAllTimersAsync();
    const chunks = await drained;
    expect(chunks).toEqual([
      { at: FLUSH_AFTER_MS, text: '<[0:fast]' },
      { at: 1000, text: '[1:slow]>' },
    ]);
  });

  it('cuts a chunk at 64 KiB without waiting', async () => {
    vi.useFakeTimers({ now: 0 });
    const big = 'y'.repeat(40 * 1024);
    const { start } = scripted(async (deliver) => {
      deliver([result(big), result(big), result('z')]);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      deliver([result('end')]);
    });
    const drained = drain(streamAnswer(start, entries(4), writer, resolveOptions()));
    await vi.runAllTimersAsync();
    const chunks = await drained;
    expect(chunks.map((chunk) => chunk.at)).toEqual([0, FLUSH_AFTER_MS, 1000]);
    expect(chunks[0]?.text).toBe(`<[0:${big}][1:${big}]`);
    expect(chunks[1]?.text).toBe('[2:z]');
  });

  it('stops the run when the consumer stops early, even while the next answer is awaited', async () => {
    const { start, state } = scripted(async (deliver) => {
      deliver([result('a')]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      deliver([result('b')]);
      deliver([result('c')]);
    });
    const answer = streamAnswer(start, entries(3), writer, resolveOptions());
    expect((await answer.next()).value?.toString()).toBe('<[0:a]');
    await answer.return(undefined);
    expect(state.stopped).toBe(true);
  });
});
