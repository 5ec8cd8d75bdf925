/**
 * Drives the load server (server.ts) from another process: starts it, sends batches whose
 * clients may wait before reading, probes an ordinary `GET /health` meanwhile, and checks
 * every answer byte for byte. Shared by test/load and bench's overload command.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import type { BatchOptions } from '@inbatch/core';
import { buildBatch, parseAnswer } from '../support/multipart.js';
import { answerBody, type LoadStats, type ServerMessage } from './protocol.js';

export interface LoadServer {
  url: string;
  /** Collects garbage (when exposed) and takes the current RSS as the baseline; resets the peak. */
  reset(): Promise<void>;
  stats(): Promise<LoadStats>;
  stop(): Promise<void>;
}

/** Starts the load server in a child process (`--expose-gc`, workspace sources). */
export async function startLoadServer(framework: 'express' | 'koa', options: BatchOptions = {}): Promise<LoadServer> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./server.ts', import.meta.url)),
    [framework, JSON.stringify(options)],
    {
      execArgv: [
        '--expose-gc',
        '--conditions=inbatch-source',
        '--import',
        'tsx',
        ...(process.env.LOAD_SERVER_FLAGS ?? '').split(' ').filter(Boolean),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const next = <T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: ServerMessage) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message as Extract<ServerMessage, { type: T }>);
      };
      const onExit = (code: number | null) => reject(new Error(`load server exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const { url } = await next('listening');
  return {
    url,
    reset: async () => {
      const done = next('reset');
      child.send({ type: 'reset' });
      await done;
    },
    stats: async () => {
      const done = next('stats');
      child.send({ type: 'stats' });
      return (await done).stats;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}

export interface BatchPlan {
  /** Operations in the batch: `GET /answer/{i}?bytes={bytes}`. */
  parts: number;
  /** Bytes of each inner answer. */
  bytes: number;
  /** How long the client waits after the answer's headers before it reads the body. */
  waitMs?: number;
  /** How long the client waits after sending its headers, for a refusal, before it sends the body. */
  headersFirstMs?: number;
}

export interface BatchOutcome {
  status: number;
  /** The error code of a refusal. */
  code: string | undefined;
  retryAfter: string | undefined;
  /** A refusal that arrived before the client had sent any of its body. */
  beforeBody: boolean;
  /** An accepted batch whose every part answered 200 with exactly its expected body. */
  correct: boolean;
  /** A transport error (the connection failed), when there was one. */
  error: string | undefined;
}

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.once('end', () => resolve(Buffer.concat(chunks)));
    res.once('error', reject);
  });
}

/** Whether a multipart answer holds every part of the plan, in order, byte for byte. */
export function answerIsCorrect(contentType: string, body: Buffer, plan: BatchPlan): boolean {
  const parts = parseAnswer(contentType, body);
  if (parts.length !== plan.parts) return false;
  return parts.every((part, i) => part.status === 200 && part.text === answerBody(i, plan.bytes));
}

/** The multipart body of a plan. */
export function planBody(plan: BatchPlan) {
  return buildBatch(
    Array.from({ length: plan.parts }, (_, i) => ({ method: 'GET', url: `/answer/${i}?bytes=${plan.bytes}` })),
  );
}

/** Sends one batch over its own connection, as the plan says, and checks the answer. */
export function sendPlannedBatch(url: string, plan: BatchPlan, built = planBody(plan)): Promise<BatchOutcome> {
  return new Promise((resolve) => {
    let bodySent = false;
    let settled = false;
    const finish = (outcome: Omit<BatchOutcome, 'error'> & { error?: string }) => {
      if (settled) return;
      settled = true;
      resolve({ error: undefined, ...outcome });
    };
    const req = request(`${url}/batch`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': built.contentType, 'content-length': built.body.length },
    });
    req.on('error', (error) => {
      finish({
        status: 0,
        code: undefined,
        retryAfter: undefined,
        beforeBody: false,
        correct: false,
        error: error.message,
      });
    });
    req.on('response', (res) => {
      const beforeBody = !bodySent;
      const status = res.statusCode ?? 0;
      const retryAfter = res.headers['retry-after'];
      if (status !== 200) {
        void readAll(res).then((body) => {
          let code: string | undefined;
          try {
            code = (JSON.parse(body.toString()) as { error: { code: string } }).error.code;
          } catch {
            code = undefined;
          }
          req.destroy();
          finish({ status, code, retryAfter, beforeBody, correct: false });
        });
        return;
      }
      if ((plan.waitMs ?? 0) > 0) {
        res.pause();
        setTimeout(() => res.resume(), plan.waitMs);
      }
      readAll(res).then(
        (body) => {
          const correct = answerIsCorrect(String(res.headers['content-type']), body, plan);
          finish({ status, code: undefined, retryAfter, beforeBody, correct });
        },
        (error: Error) => {
          finish({ status, code: undefined, retryAfter, beforeBody, correct: false, error: error.message });
        },
      );
    });
    req.flushHeaders();
    setTimeout(() => {
      if (settled) return;
      bodySent = true;
      req.end(built.body);
    }, plan.headersFirstMs ?? 0);
  });
}

export interface ProbeSummary {
  count: number;
  failures: number;
  p50: number;
  p99: number;
  max: number;
}

/** Sends `GET /health` over one keep-alive connection, one after another, until `stop` resolves. */
export async function probeOrdinary(url: string, stop: Promise<unknown>, gapMs = 10): Promise<ProbeSummary> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let failures = 0;
  let stopped = false;
  void stop.finally(() => (stopped = true));
  while (!stopped) {
    const started = performance.now();
    const ok = await new Promise<boolean>((resolve) => {
      const req = request(`${url}/health`, { agent }, (res) => {
        void readAll(res).then(
          (body) => resolve(res.statusCode === 200 && body.toString() === 'ok'),
          () => resolve(false),
        );
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    latencies.push(performance.now() - started);
    if (!ok) failures++;
    await delay(gapMs);
  }
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { count: sorted.length, failures, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

/** `probeOrdinary` from a child process (probe.ts); resolves with its summary after `stop`. */
export async function probeOrdinaryInChild(url: string, stop: Promise<unknown>): Promise<ProbeSummary> {
  const child = fork(fileURLToPath(new URL('./probe.ts', import.meta.url)), [url], {
    execArgv: ['--conditions=inbatch-source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const summary = new Promise<ProbeSummary>((resolve, reject) => {
    child.on('message', (message: { type: string; summary?: ProbeSummary }) => {
      if (message.type === 'summary' && message.summary !== undefined) resolve(message.summary);
    });
    child.once('exit', (code) => reject(new Error(`probe exited (${code}) without a summary`)));
  });
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  await stop.catch(() => undefined);
  child.send('stop');
  return summary;
}
