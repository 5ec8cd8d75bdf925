import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_ERROR_STATUS, isPartErrorCode, type BatchErrorCode } from '@inbatch/core';
import { guardProcess, rawExchange, type RawReply } from '../security/harness.js';
import { send } from '../support/http.js';
import { parseAnswer } from '../support/multipart.js';
import { startFuzzApp, type FuzzApp } from './app.js';
import { fuzzRequest, type FuzzRequest } from './requests.js';

// Whole-endpoint fuzzing (issue 13, THREATS T1/section 5): complete outer requests through
// a real Express and a real Koa app over HTTP. A short run here; the long one is
// `INBATCH_FUZZ_RUNS=100000 pnpm fuzz`.
const RUNS = Number(process.env.INBATCH_FUZZ_RUNS ?? 60);

guardProcess();

function fail(message: string): never {
  throw new Error(message);
}

const isCode = (code: unknown): code is BatchErrorCode =>
  typeof code === 'string' && Object.hasOwn(BATCH_ERROR_STATUS, code);

function jsonOf(body: Buffer | string): any {
  try {
    return JSON.parse(body.toString());
  } catch {
    return undefined;
  }
}

/** A slot is the app's own answer (never a 5xx: its routes can't fail) or a documented per-slot error. */
function checkSlot(status: number, body: unknown, index: number, request: FuzzRequest): void {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  if (isCode(code)) {
    if (!isPartErrorCode(code)) fail(`slot ${index} carries whole-batch code ${code}`);
    if (BATCH_ERROR_STATUS[code] !== status) fail(`slot ${index}: ${code} with status ${status}`);
    return;
  }
  if (status >= 500) fail(`slot ${index} answered ${status} without a documented code`);
  // Answers in request order: the echo route names the operation it served.
  const tag = (body as { tag?: unknown } | undefined)?.tag;
  const op = request.operations[index];
  if (typeof tag === 'string' && request.exact && op !== undefined && !op.url.includes('{{')) {
    if (!tag.includes(op.tag)) fail(`slot ${index} holds the answer of "${tag}", not ${op.tag}`);
  }
}

function checkReply(reply: RawReply, request: FuzzRequest): void {
  if (reply.status >= 500) fail(`outer ${reply.status}: ${reply.body.toString().slice(0, 200)}`);
  const type = reply.headers['content-type'] ?? '';
  if (reply.status === 200 && type.startsWith('multipart/mixed')) {
    parseAnswer(type, reply.body).forEach((part, i) => checkSlot(part.status, jsonOf(part.body), i, request));
    return;
  }
  const json = jsonOf(reply.body);
  if (reply.status === 200) {
    const responses = json?.responses;
    if (!Array.isArray(responses)) fail(`200 without responses: ${reply.body.toString().slice(0, 200)}`);
    responses.forEach((r: { status: number; body?: unknown }, i: number) => checkSlot(r.status, r.body, i, request));
    return;
  }
  if (reply.status === 202) return; // Prefer: respond-async: a job (its operations are checked by the app's escapes)
  const code = json?.error?.code;
  if (!isCode(code) || isPartErrorCode(code) || BATCH_ERROR_STATUS[code] !== reply.status) {
    fail(`refusal ${reply.status} without a documented whole-batch code: ${reply.body.toString().slice(0, 200)}`);
  }
}

function head(request: FuzzRequest): string {
  let text = `POST /batch HTTP/1.1\r\nHost: inbatch.test\r\nConnection: close\r\nContent-Type: ${request.contentType}\r\n`;
  text += `Content-Length: ${request.body.length}\r\n`;
  for (const [name, value] of request.extraHeaders) text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

describe.each(['express', 'koa'] as const)('the whole endpoint under fuzzed requests, on %s', (framework) => {
  let app: FuzzApp;
  const outbound: string[] = [];
  // Kept to be put back and called with its socket as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const connect = net.Socket.prototype.connect;
  beforeAll(async () => {
    app = await startFuzzApp(framework, { oneJobPerOwner: false });
    // No inner request may leave the process: any connection to another port is recorded.
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      // net.connect() hands its arguments on normalized, as one array [options, callback].
      const first: unknown = Array.isArray(args[0]) ? args[0][0] : args[0];
      const port = typeof first === 'object' && first !== null ? (first as { port?: unknown }).port : first;
      if (Number(port) !== app.port) outbound.push(String(port));
      return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
    };
  });
  afterAll(async () => {
    net.Socket.prototype.connect = connect;
    await app.close();
  });

  it(
    'answers every request with a documented 4xx or per-slot errors, in order, never a 5xx; nothing leaves allow or the process; the app keeps answering',
    async () => {
      await fc.assert(
        fc.asyncProperty(fuzzRequest, async (request) => {
          const reply = await rawExchange(app.url, head(request), [request.body]);
          checkReply(reply, request);
          if (app.escapes.length > 0) fail(`inner requests outside allow: ${app.escapes.join(', ')}`);
          if (outbound.length > 0) fail(`connections leaving the process: ${outbound.join(', ')}`);
          const ordinary = await send(app.url, '/items/alive');
          if (ordinary.status !== 200 || ordinary.text !== '{"id":"alive"}')
            fail(`ordinary request: ${ordinary.status}`);
        }),
        { numRuns: RUNS },
      );
      expect(app.innerHits).toBeGreaterThan(0);
    },
    Math.max(30_000, RUNS * 100),
  );
});
