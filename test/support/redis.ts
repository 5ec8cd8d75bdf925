/**
 * Redis for tests: the shared server at 127.0.0.1:6379 (INBATCH_TEST_REDIS_URL to change
 * it), a fresh key prefix per store, and its keys deleted when the store closes.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisJobStore, type RedisJobStore, type RedisJobStoreOptions } from '@inbatch/redis';

export const REDIS_URL = process.env.INBATCH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * One id per test run (set by the globalSetup in test/support/redis-run.ts, which deletes
 * its keys at the end), so parallel runs and earlier runs never share keys.
 */
const RUN = process.env.INBATCH_TEST_RUN ?? randomBytes(4).toString('hex');
let stores = 0;

let reachable: Promise<boolean> | undefined;

/**
 * Whether the test Redis answers. Without it, Redis tests skip loudly on a laptop, and
 * fail under CI=true (CI must run them, not skip them).
 */
export function redisReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      if (process.env.CI === 'true') throw new Error(`CI=true but Redis is not reachable at ${REDIS_URL}`);
      console.warn(`\n!!! Redis is not reachable at ${REDIS_URL}: Redis-store tests are SKIPPED on this machine.\n`);
      return false;
    } finally {
      probe.disconnect();
    }
  })();
  return reachable;
}

/** Deletes every key under a prefix (its hash tag `{prefix}`). */
export async function deletePrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await client.unlink(...found);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

export const TEST_KEY = randomBytes(32);

/** A Redis job store with a fresh prefix; `close` also deletes its keys. */
export function testRedisStore(
  options: Partial<RedisJobStoreOptions> = {},
): RedisJobStore & { prefix: string; closeKeepingKeys(): Promise<void> } {
  const prefix = `inbatch-test-${RUN}-${++stores}`;
  const store = redisJobStore({
    connection: REDIS_URL,
    key: TEST_KEY,
    prefix,
    lockDurationMs: 5000,
    commandTimeoutMs: 2000,
    ...options,
  });
  const closeStore = store.close.bind(store);
  return Object.assign(store, {
    prefix,
    /** Closes the store and leaves its keys, as an instance that stops (or dies) does. */
    closeKeepingKeys: closeStore,
    close: async () => {
      await closeStore();
      await deletePrefix(prefix);
    },
  });
}
