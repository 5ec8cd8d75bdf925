/**
 * Soak: a bounded stretch of mixed traffic against one server on loopback — multipart and
 * JSON sync batches, async submits polled to the end, and ordinary requests — reporting
 * errors, the RSS slope after warm-up, and the ordinary requests' p99.
 *
 *   pnpm --filter @inbatch/bench soak [--duration 300] [--framework express|koa] [--clients 4]
 */
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { answerIsCorrect, probeOrdinaryInChild, startLoadServer } from '../../test/load/driver.js';
import { answerBody } from '../../test/load/protocol.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '300' },
    framework: { type: 'string', default: 'express' },
    clients: { type: 'string', default: '4' },
  },
});
const durationMs = Number(values.duration) * 1000;
const framework = values.framework === 'koa' ? 'koa' : 'express';
const MiB = 1024 * 1024;
const PARTS = 50;
const BYTES = 200;

function exchange(url: string, method: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; type: string; body: Buffer }>((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          body: Buffer.concat(chunks),
        }),
      );
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

const urls = Array.from({ length: PARTS }, (_, i) => `/answer/${i}?bytes=${BYTES}`);

async function multipartBatch(base: string): Promise<boolean> {
  let text = '';
  for (const url of urls) text += `--b\r\nContent-Type: application/http\r\n\r\nGET ${url} HTTP/1.1\r\n\r\n`;
  const reply = await exchange(
    `${base}/batch`,
    'POST',
    { 'content-type': 'multipart/mixed; boundary=b' },
    `${text}--b--\r\n`,
  );
  return reply.status === 200 && answerIsCorrect(reply.type, reply.body, { parts: PARTS, bytes: BYTES });
}

async function jsonBatch(base: string): Promise<boolean> {
  const requests = urls.map((url, i) => ({ id: String(i), method: 'GET', url }));
  const reply = await exchange(
    `${base}/batch`,
    'POST',
    { 'content-type': 'application/json' },
    JSON.stringify({ requests }),
  );
  if (reply.status !== 200) return false;
  const { responses } = JSON.parse(reply.body.toString()) as { responses: Array<{ status: number; body: unknown }> };
  return responses.every((r, i) => r.status === 200 && r.body === answerBody(i, BYTES));
}

async function asyncJob(base: string): Promise<boolean> {
  const operations = urls
    .slice(0, 20)
    .map((endpoint, i) => ({ operationId: `op${i}`, method: 'GET', endpoint, body: '' }));
  const submitted = await exchange(
    `${base}/batch`,
    'POST',
    { 'content-type': 'application/json' },
    JSON.stringify({ batch: { operations } }),
  );
  if (submitted.status !== 201) return false;
  const { uuid } = JSON.parse(submitted.body.toString()) as { uuid: string };
  for (let polls = 0; polls < 500; polls++) {
    const status = await exchange(`${base}/batch/${uuid}`, 'GET', {});
    const document = JSON.parse(status.body.toString()) as { status: string; responses: Array<{ statusCode: number }> };
    if (document.status === 'finished') return document.responses.every((r) => r.statusCode === 200);
    if (document.status === 'failed' || document.status === 'cancelled') return false;
    await delay(10);
  }
  return false;
}

// Jobs expire after 5 s: the soak measures what the process keeps, not the store's retention.
const server = await startLoadServer(framework, { oneJobPerOwner: false, statusTtlMs: 5000, resultTtlMs: 5000 });
const counts = { multipart: 0, json: 0, async: 0, errors: 0 };
const errors: string[] = [];
const samples: Array<[number, number]> = [];
try {
  const started = performance.now();
  const end = started + durationMs;
  const kinds = [multipartBatch, jsonBatch, asyncJob] as const;
  const names = ['multipart', 'json', 'async'] as const;
  const clients = Array.from({ length: Number(values.clients) }, async (_, c) => {
    for (let i = c; performance.now() < end; i++) {
      const k = i % kinds.length;
      try {
        if (await (kinds[k] as (base: string) => Promise<boolean>)(server.url))
          counts[names[k] as keyof typeof counts]++;
        else throw new Error(`${names[k]}: wrong answer`);
      } catch (error) {
        counts.errors++;
        if (errors.length < 5) errors.push(String(error));
      }
    }
  });
  const sampling = (async () => {
    while (performance.now() < end) {
      await delay(2000);
      samples.push([(performance.now() - started) / 1000, (await server.stats()).current / MiB]);
    }
  })();
  const all = Promise.all(clients);
  const ordinary = await probeOrdinaryInChild(server.url, all);
  await sampling;

  // RSS slope after warm-up (the first fifth), least squares, in MiB per minute.
  const warm = samples.filter(([t]) => t >= durationMs / 1000 / 5);
  const n = warm.length;
  const mx = warm.reduce((a, [t]) => a + t, 0) / n;
  const my = warm.reduce((a, [, r]) => a + r, 0) / n;
  const slope =
    (warm.reduce((a, [t, r]) => a + (t - mx) * (r - my), 0) / warm.reduce((a, [t]) => a + (t - mx) ** 2, 0)) * 60;
  const stats = await server.stats();
  console.log(
    `# soak: ${framework}, ${values.duration} s, ${values.clients} clients (multipart, JSON and async batches of ${PARTS}/${PARTS}/20 operations) + GET /health\n`,
  );
  console.log(`batches: multipart ${counts.multipart}, json ${counts.json}, async jobs ${counts.async}`);
  console.log(
    `errors: ${counts.errors}${errors.length > 0 ? ` (${errors.join('; ')})` : ''}; server onError ${stats.unexpectedErrors}, process errors ${stats.processErrors}`,
  );
  console.log(
    `RSS after GC: ${warm[0]?.[1].toFixed(1)} → ${warm.at(-1)?.[1].toFixed(1)} MiB; slope after warm-up ${slope.toFixed(2)} MiB/min (${n} samples)`,
  );
  console.log(
    `GET /health: ${ordinary.count} requests, ${ordinary.failures} failures, p50 ${ordinary.p50.toFixed(1)} ms, p99 ${ordinary.p99.toFixed(1)} ms, max ${ordinary.max.toFixed(1)} ms`,
  );
  process.exitCode = counts.errors === 0 && ordinary.failures === 0 && stats.processErrors === 0 ? 0 : 1;
} finally {
  await server.stop();
}
