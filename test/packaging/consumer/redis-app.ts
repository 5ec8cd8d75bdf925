// A consumer's Express app on the Redis job store, compiled by the packaging test against the
// installed tarballs and run with plain node: one operations batch submitted as a job, polled
// to its end; what it saw is printed. Needs the Redis the test names in INBATCH_TEST_REDIS_URL.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { batch } from '@inbatch/express';
import { redisJobStore } from '@inbatch/redis';

const store = redisJobStore({
  connection: process.env.INBATCH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  key: randomBytes(32),
  // Under the test run's id, so the run's teardown deletes what the store leaves (test/support/redis-run.ts).
  prefix: `inbatch-test-${process.env.INBATCH_TEST_RUN ?? randomBytes(4).toString('hex')}-packaging`,
});
const app = express();
app.use(batch({ store }));
app.get('/items/:id', (req, res) => {
  res.json({ id: req.params.id });
});

const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const submitted = await fetch(`${base}/batch`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ batch: { operations: [{ operationId: 'one', method: 'GET', endpoint: '/items/7' }] } }),
});
const { uuid } = (await submitted.json()) as { uuid: string };
let status: { status: string; responses: Array<{ statusCode: number; body: string }> };
do {
  await new Promise((resolve) => setTimeout(resolve, 20));
  status = (await (await fetch(`${base}/batch/${uuid}`)).json()) as typeof status;
} while (status.status !== 'finished' && status.status !== 'failed');
server.close();
await store.close();
console.log(JSON.stringify({ submit: submitted.status, status: status.status, responses: status.responses }));
