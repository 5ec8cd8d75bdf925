import type { AddressInfo } from 'node:net';
import { redisJobStore } from '@inbatch/redis';
import { Redis } from 'ioredis';
import { createApp } from './app.js';

/**
 * One instance: `PORT=3010 NAME=a INBATCH_KEY=<64 hex> pnpm start`. Every instance of a
 * deployment gets the same REDIS_URL, PREFIX and INBATCH_KEY (the key encrypts the
 * credentials a job keeps while it waits, so any instance can run it).
 */
const port = Number(process.env.PORT ?? '3010');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new TypeError(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
}
const key = process.env.INBATCH_KEY;
if (key === undefined || !/^[0-9a-f]{64}$/i.test(key)) {
  throw new TypeError('INBATCH_KEY must be 64 hex characters (32 bytes), the same on every instance');
}
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.PREFIX ?? 'inbatch-example';
const name = process.env.NAME ?? `instance-${process.pid}`;

const store = redisJobStore({ connection: redisUrl, prefix, key });
const redis = new Redis(redisUrl);
const server = createApp({ store, redis, prefix, name }).listen(port, (error) => {
  if (error) throw error;
  console.log(`instance ${name} listening on http://localhost:${(server.address() as AddressInfo).port}`);
});

// A rolling deploy sends SIGTERM: stop taking connections, let the store close its worker.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    void store.close().then(() => redis.quit());
  });
}
