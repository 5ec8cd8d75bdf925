/**
 * Shared checks of the threat suite: the invariants of THREATS section 2 (I1 no crash
 * events, I2 the app still answers, I3 what reached the app, I7 a bystander is served)
 * and a raw-socket client for requests `send()` can't make (partial bodies, HTTP/1.0).
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, expect } from 'vitest';
import type { Recorder } from '../support/apps.js';
import { send, sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

/** The client address of attacks; the bystander of I7 comes from another one. */
export const ATTACKER = '127.0.0.2';
export const BYSTANDER = '127.0.0.3';

/**
 * I1: registers `uncaughtException` / `unhandledRejection` spies around every test of the
 * calling file and fails the test when either fired.
 */
export function guardProcess(): void {
  const events: string[] = [];
  const onUncaught = (error: unknown) => events.push(`uncaughtException: ${String(error)}`);
  const onRejection = (reason: unknown) => events.push(`unhandledRejection: ${String(reason)}`);
  beforeEach(() => {
    events.length = 0;
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onRejection);
  });
  afterEach(async () => {
    // Rejections are reported after a turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
    expect(events).toEqual([]);
  });
}

/** I2: an ordinary, non-batch request to the app answers 200 with its body. */
export async function expectAppAnswers(url: string): Promise<void> {
  const reply = await send(url, '/items/alive');
  expect(reply.status).toBe(200);
  expect(reply.json()).toEqual({ id: 'alive' });
}

/** I7: a well-formed batch from another client, sent while an attack runs, is answered correctly. */
export async function expectBystanderServed(url: string): Promise<void> {
  const reply = await sendBatch(
    url,
    buildBatch([
      { method: 'GET', url: '/items/bystander', contentId: '<b1>' },
      { method: 'GET', url: '/whoami?bystander=1' },
    ]),
    { localAddress: BYSTANDER },
  );
  expect(reply.status).toBe(200);
  expect(reply.parts.map((part) => [part.status, part.contentId])).toEqual([
    [200, '<response-b1>'],
    [200, undefined],
  ]);
  expect(reply.parts[0]?.json()).toEqual({ id: 'bystander' });
  expect(reply.parts[1]?.json()).toMatchObject({ ip: BYSTANDER, query: { bystander: '1' } });
}

/**
 * I3: what reached the app besides outer batch requests, the I2 probe and the I7 bystander —
 * that is, the inner requests of the attack (and of the test's own control parts).
 */
export function attackHits(recorder: Recorder): string[] {
  return recorder.hits.filter(
    (hit) => !/^POST \/batch(\?|$)/.test(hit) && !hit.includes('bystander') && hit !== 'GET /items/alive',
  );
}

/** The JSON error body every refusal carries (THREATS section 2). */
export function refusalBody(code: string, part: number | null, line: number | null, extra: object = {}) {
  return { error: { code, message: expect.any(String), part, line, ...extra } };
}

/** The 1-based line of the outer body on which `marker` first appears (after `after`, when given). */
export function lineOf(body: Buffer | string, marker: string, after?: string): number {
  const text = typeof body === 'string' ? body : body.toString('latin1');
  const from = after === undefined ? 0 : text.indexOf(after);
  if (from === -1) throw new Error(`marker ${after} not in body`);
  const at = text.indexOf(marker, from);
  if (at === -1) throw new Error(`marker ${marker} not in body`);
  return text.slice(0, at).split('\n').length;
}

/** A batch written by hand, byte for byte (for shapes buildBatch refuses to write). */
export function rawBatch(parts: readonly string[], boundary = 'batch_raw'): { contentType: string; body: Buffer } {
  const text = parts.map((part) => `--${boundary}\r\n${part}\r\n`).join('') + `--${boundary}--\r\n`;
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: Buffer.from(text, 'latin1') };
}

/** Decodes a chunked body (RFC 9112 §7.1), ignoring extensions and trailers. */
function dechunk(raw: Buffer): Buffer {
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd === -1) throw new Error('truncated chunked body');
    const size = Number.parseInt(raw.toString('latin1', at, lineEnd), 16);
    if (size === 0) return Buffer.concat(chunks);
    chunks.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Body bytes written before the answer arrived (or the client gave up). */
  bytesSent: number;
  /** Whether every chunk was written before the answer arrived. */
  sentAll: boolean;
}

/**
 * Writes `head`, then `chunks` one by one, and stops writing as soon as an answer head
 * arrives: so a test can show the server answered without waiting for the whole body.
 * Resolves when the server closes the connection (or after `timeoutMs`).
 */
export function rawExchange(
  url: string,
  head: string,
  chunks: Iterable<Buffer>,
  options: { localAddress?: string; timeoutMs?: number } = {},
): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress: options.localAddress ?? ATTACKER });
    const received: Buffer[] = [];
    let bytesSent = 0;
    let sentAll = false;
    let answered = false;
    const finish = () => {
      clearTimeout(timer);
      const all = Buffer.concat(received);
      const end = all.indexOf('\r\n\r\n');
      if (end === -1) {
        reject(new Error(`no answer head; got ${JSON.stringify(all.toString('latin1').slice(0, 200))}`));
        return;
      }
      const [statusLine = '', ...lines] = all.toString('latin1', 0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const raw = all.subarray(end + 4);
      const body = headers['transfer-encoding'] === 'chunked' ? dechunk(raw) : raw;
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, bytesSent, sentAll });
    };
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 10_000);
    socket.on('data', (data: Buffer) => {
      received.push(data);
      if (Buffer.concat(received).includes('\r\n\r\n')) answered = true;
    });
    // A server that answers early and closes may reset the connection under our writes.
    socket.on('error', () => socket.destroy());
    socket.on('close', finish);
    socket.on('connect', () => {
      void (async () => {
        socket.write(head);
        for (const chunk of chunks) {
          if (answered || socket.destroyed) return;
          const flushed = socket.write(chunk);
          bytesSent += chunk.length;
          if (!flushed) {
            await new Promise<void>((resolveDrain) => {
              socket.once('drain', () => resolveDrain());
              socket.once('close', () => resolveDrain());
            });
          }
          // Give the server a turn to answer between chunks.
          await new Promise((resolveTurn) => setImmediate(resolveTurn));
        }
        sentAll = true;
      })();
    });
  });
}
