/**
 * An app under load, in a process of its own so its memory is measured alone: Express 5 or
 * Koa 3 with `batch()` mounted, an ordinary `GET /health`, and `GET /answer/:i?bytes=n`, whose
 * body is checkable byte for byte (`answerBody`). Run by test/load and bench's overload
 * command: `node --import tsx --conditions=inbatch-source test/load/server.ts <framework> '<options json>'`.
 * It reports its URL over IPC, then answers `{ type: 'stats' }` and `{ type: 'reset' }` messages.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import express from 'express';
import Koa from 'koa';
import { batch as expressBatch } from '@inbatch/express';
import { batch as koaBatch } from '@inbatch/koa';
import type { BatchOptions } from '@inbatch/core';
import { answerBody, type LoadStats, type ServerMessage } from './protocol.js';

const [framework = 'express', optionsJson = '{}'] = process.argv.slice(2);
const options = JSON.parse(optionsJson) as BatchOptions;
let unexpectedErrors = 0;
options.onError = () => {
  unexpectedErrors++;
};
let processErrors = 0;
process.on('uncaughtException', () => processErrors++);
process.on('unhandledRejection', () => processErrors++);

function expressListener(): RequestListener {
  const app = express();
  app.use(expressBatch(options));
  app.get('/health', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.get('/answer/:i', (req, res) => {
    res.type('text/plain').send(answerBody(Number(req.params.i), Number(req.query.bytes)));
  });
  return app;
}

function koaListener(): RequestListener {
  const app = new Koa();
  app.silent = true;
  app.use(koaBatch(options));
  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = 'ok';
  });
  router.get('/answer/:i', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = answerBody(Number(ctx.params.i), Number(ctx.query.bytes));
  });
  app.use(router.routes());
  const handle = app.callback();
  return (req, res) => void handle(req, res);
}

/** The kernel's peak RSS of this process (Linux), reset by `resetPeak`. */
function peakRss(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match?.[1] !== undefined) return Number(match[1]) * 1024;
  } catch {
    // not Linux: the sampled peak below
  }
  return sampledPeak;
}

// Every 20 ms: the RSS (where the kernel's peak is not available) and how late the event
// loop ran this callback — the stalls an ordinary request would have waited through.
let sampledPeak = process.memoryUsage.rss();
let resetAt = performance.now();
let lastTick = performance.now();
let stalls: Array<[number, number]> = [];
const sampler = setInterval(() => {
  const now = performance.now();
  const late = now - lastTick - 20;
  lastTick = now;
  if (late >= 50) stalls.push([Math.round(now - resetAt), Math.round(late)]);
  sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
}, 20);
sampler.unref();

function resetPeak(): void {
  sampledPeak = process.memoryUsage.rss();
  resetAt = performance.now();
  stalls = [];
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux
  }
}

const server = createServer(framework === 'koa' ? koaListener() : expressListener());
let baseline = process.memoryUsage.rss();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  const message: ServerMessage = { type: 'listening', url: `http://127.0.0.1:${port}` };
  process.send?.(message);
});

process.on('message', (message: { type: string }) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (message.type === 'reset') {
    gc?.();
    baseline = process.memoryUsage.rss();
    resetPeak();
    process.send?.({ type: 'reset' } satisfies ServerMessage);
  }
  if (message.type === 'stats') {
    gc?.();
    const stats: LoadStats = {
      baseline,
      peak: peakRss(),
      current: process.memoryUsage.rss(),
      resources: process.getActiveResourcesInfo(),
      connections: 0,
      heap: process.memoryUsage().heapUsed + process.memoryUsage().external,
      stalls,
      unexpectedErrors,
      processErrors,
    };
    server.getConnections((_error, count) => {
      stats.connections = count;
      process.send?.({ type: 'stats', stats } satisfies ServerMessage);
    });
  }
});
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close();
  process.exit(0);
});
