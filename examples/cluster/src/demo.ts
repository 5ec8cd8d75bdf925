/**
 * `pnpm --filter @inbatch/example-cluster demo`: starts two instances of the app on two
 * ports sharing one Redis, submits an async batch on the first, and follows it, reads it
 * and downloads it on the second; then shows that the batch's inner requests counted
 * against the client's rate limit on both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const OPERATIONS = 5;
const LIMIT = 100;
// One prefix per run, deleted at the end, so the demo leaves nothing behind in your Redis.
const PREFIX = `inbatch-example-cluster:${randomBytes(4).toString('hex')}`;
const KEY = randomBytes(32).toString('hex');
const INDEX = fileURLToPath(new URL('./index.ts', import.meta.url));

interface Started {
  name: string;
  url: string;
  child: ChildProcess;
}

function say(line: string): void {
  console.log(line);
}

/** Starts one instance (src/index.ts) and waits for its "listening on" line. */
function startInstance(name: string, port: string): Promise<Started> {
  const child = spawn(process.execPath, ['--conditions=inbatch-source', '--import', 'tsx', INDEX], {
    env: { ...process.env, PORT: port, NAME: name, INBATCH_KEY: KEY, PREFIX, REDIS_URL },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url !== undefined) resolve({ name, url, child });
    });
    child.once('exit', (code) => reject(new Error(`instance ${name} exited (${code}) before listening`)));
  });
}

async function stop(instance: Started): Promise<void> {
  if (instance.child.exitCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  await exited;
}

/** Deletes the run's keys: the limiter's (`prefix:rate:…`) and the job store's (under the hash tag `{prefix}`). */
async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  for (const pattern of [`${prefix}*`, `{${prefix}}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  }
}

const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
try {
  await redis.connect();
} catch {
  say(`No Redis at ${REDIS_URL}. Start one (redis-server) or set REDIS_URL, then run the demo again.`);
  process.exit(1);
}

const started: Started[] = [];
try {
  const [a, b] = await Promise.all([
    startInstance('A', process.env.PORT_A ?? '0'),
    startInstance('B', process.env.PORT_B ?? '0'),
  ]);
  started.push(a, b);
  say(`Two instances share Redis at ${REDIS_URL} (prefix ${PREFIX}): A on ${a.url}, B on ${b.url}.`);
  // An instance takes jobs once it has seen a request: wake both.
  await Promise.all([fetch(`${a.url}/healthz`), fetch(`${b.url}/healthz`)]);

  const operations = Array.from({ length: OPERATIONS }, (_, i) => ({
    operationId: `product-${i + 1}`,
    method: 'GET',
    endpoint: `/v1/products/${i + 1}`,
  }));
  const headers = { 'content-type': 'application/json', authorization: 'Bearer demo-user' };
  const submitted = await fetch(`${a.url}/batch`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ batch: { operations } }),
  });
  const { uuid } = (await submitted.json()) as { uuid: string };
  say(`\nPOST ${a.url}/batch (${OPERATIONS} operations) → ${submitted.status}, job ${uuid}`);

  let doc: any;
  for (;;) {
    const reply = await fetch(`${b.url}/batch/${uuid}`, { headers });
    doc = await reply.json();
    say(
      `GET  ${b.url}/batch/${uuid} → ${reply.status} ${doc.status} (${doc.progress.done}/${doc.progress.total} done)`,
    );
    if (['finished', 'failed', 'cancelled'].includes(doc.status)) break;
    await delay(200);
  }
  say('\nAnswers, read on B:');
  for (const response of doc.responses) {
    const body = JSON.parse(response.body);
    say(`  ${response.operationId}: ${response.statusCode} ${body.name} (run by instance ${body.servedBy})`);
  }

  const jsonl = await fetch(`${b.url}/batch/${uuid}/jsonl`, { headers });
  const text = await jsonl.text();
  say(`\nGET  ${b.url}/batch/${uuid}/jsonl → ${jsonl.status}, ${text.trimEnd().split('\n').length} lines`);
  const gz = await fetch(`${b.url}/batch/${uuid}/gz`, { headers });
  const inflated = gunzipSync(Buffer.from(await gz.arrayBuffer())).toString();
  say(`GET  ${b.url}/batch/${uuid}/gz → ${gz.status}, the same JSONL gzipped: ${inflated === text ? 'yes' : 'NO'}`);

  const direct = await fetch(`${b.url}/v1/products/1`, { headers });
  const remaining = direct.headers.get('ratelimit-remaining');
  say(
    `\nGET  ${b.url}/v1/products/1 → ${direct.status}, RateLimit-Remaining ${remaining} of ${LIMIT}: ` +
      `the batch's ${OPERATIONS} inner requests and this one counted once each, across both instances ` +
      `(expected ${LIMIT - OPERATIONS - 1}).`,
  );
} finally {
  await Promise.all(started.map(stop));
  await deleteKeys(redis, PREFIX);
  redis.disconnect();
}
