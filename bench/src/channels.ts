// What publishing inner requests on node:diagnostics_channel costs when no one listens,
// and what a listener costs: 1000-operation JSON batches through an Express app over
// loopback, rotations interleaved (A, B, A, B…) so machine drift hits both alike, plus the
// hook alone in a tight loop. Run: pnpm --filter @inbatch/bench channels
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import express from 'express';
import { INNER_END_CHANNEL, INNER_START_CHANNEL } from '@inbatch/core';
import { batch } from '@inbatch/express';
import { BatchTrace } from '../../packages/core/src/tracing.js';
import { summarize } from './stats.js';

const N = 1000;
const ROTATIONS = Number(process.env.ROTATIONS ?? 30);

const app = express();
app.use(batch({ maxOperations: N }));
app.get('/items/:id', (req, res) => {
  res.json({ id: req.params.id });
});
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address() as AddressInfo;
const body = JSON.stringify({
  requests: Array.from({ length: N }, (_, i) => ({ id: String(i), method: 'GET', url: `/items/${i}` })),
});

function sendBatch(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { port, host: '127.0.0.1', method: 'POST', path: '/batch', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - started));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const noop = (): void => {};
const listen = (): void => {
  subscribe(INNER_START_CHANNEL, noop);
  subscribe(INNER_END_CHANNEL, noop);
};
const stopListening = (): void => {
  unsubscribe(INNER_START_CHANNEL, noop);
  unsubscribe(INNER_END_CHANNEL, noop);
};

for (let i = 0; i < 5; i++) await sendBatch(); // warm-up
const without: number[] = [];
const withListener: number[] = [];
const ratios: number[] = [];
for (let rotation = 0; rotation < ROTATIONS; rotation++) {
  const a = await sendBatch();
  listen();
  const b = await sendBatch();
  stopListening();
  without.push((a * 1000) / N);
  withListener.push((b * 1000) / N);
  ratios.push(b / a);
}
server.close();

// The hook alone, as execute.ts calls it per operation, with no subscriber.
const trace = new BatchTrace(undefined);
const innerRequest = {
  method: 'GET',
  url: '/items/1',
  headers: {},
  body: undefined,
  remoteAddress: undefined,
  encrypted: false,
};
const where = { part: 1 };
const hookNs: number[] = [];
for (let round = 0; round < 10; round++) {
  const loops = 2_000_000;
  let started = performance.now();
  for (let i = 0; i < loops; i++) if (trace.start(innerRequest, where) !== undefined) throw new Error('listened');
  const hooked = performance.now() - started;
  started = performance.now();
  for (let i = 0; i < loops; i++) if (noop() !== undefined) throw new Error('unreachable');
  const bare = performance.now() - started;
  hookNs.push(((hooked - bare) * 1e6) / loops);
}

const show = (values: number[]) => {
  const summary = summarize(values);
  return `${summary.median.toFixed(2)} (min ${summary.min.toFixed(2)}, max ${summary.max.toFixed(2)})`;
};
console.log(
  `node ${process.version}, ${ROTATIONS} interleaved rotations of one ${N}-operation JSON batch (Express 5, loopback)`,
);
console.log(`µs per inner request, no subscriber:        ${show(without)}`);
console.log(`µs per inner request, start+end subscribers: ${show(withListener)}`);
console.log(`paired ratio with/without:                   ${show(ratios)}`);
console.log(`the hook alone, no subscriber, ns per call:  ${show(hookNs)}`);
