/**
 * vitest globalSetup: one id for the whole test run, handed to every worker, under which
 * every Redis test store takes its prefix; at the end of the run every key under it is
 * deleted, whatever a test or a closing store wrote after its own cleanup.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export function setup(): () => Promise<void> {
  const run = process.env.INBATCH_TEST_RUN ?? randomBytes(4).toString('hex');
  process.env.INBATCH_TEST_RUN = run;
  return async () => {
    const client = new Redis(process.env.INBATCH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      for (const pattern of [`{inbatch-test-${run}-*`, `inbatch-test-${run}-*`]) {
        let cursor = '0';
        do {
          const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          if (found.length > 0) await client.unlink(...found);
        } while (cursor !== '0');
      }
    } catch {
      // no Redis on this machine: nothing was written
    } finally {
      client.disconnect();
    }
  };
}
