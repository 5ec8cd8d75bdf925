import { afterEach, describe, expect, it } from 'vitest';
import {
  planBody,
  probeOrdinaryInChild,
  sendPlannedBatch,
  startLoadServer,
  type BatchOutcome,
  type LoadServer,
} from './driver.js';

const MiB = 1024 * 1024;
// The bound the README documents for the defaults (Memory under load): maximum-size batches
// at once cost the process at most this much RSS, whatever their number.
const DOCUMENTED_GROWTH_BOUND = 256 * MiB;

// 200 batches at once, each of 500 answers of 16 000 bytes (8 MB: past the socket buffers and
// the 1 MiB high-water mark, so backpressure and the budget both act) whose clients wait 1 s
// before reading. Issue 13's measurement uses 1000 answers and a 45 s wait: that is bench's
// `overload` command; this keeps the suite fast.
const plan = { parts: 500, bytes: 16_000, waitMs: 1000, headersFirstMs: 1000 };

for (const framework of ['express', 'koa'] as const) {
  describe(`200 concurrent maximum-size batches on ${framework}, batch() at its defaults`, () => {
    let server: LoadServer;
    afterEach(async () => {
      await server.stop();
    });

    it('keeps RSS growth under the documented bound, answers ordinary requests, and answers every accepted batch byte for byte', async () => {
      server = await startLoadServer(framework);
      await sendPlannedBatch(server.url, { parts: 50, bytes: 1000 }); // warm up
      await server.reset();
      const before = await server.stats();

      const built = planBody(plan);
      const all = Promise.all(Array.from({ length: 200 }, () => sendPlannedBatch(server.url, plan, built)));
      const probe = probeOrdinaryInChild(server.url, all);
      const outcomes: BatchOutcome[] = await all;
      const ordinary = await probe;
      const after = await server.stats();

      const accepted = outcomes.filter((o) => o.status === 200);
      const refused = outcomes.filter((o) => o.status !== 200);
      const growth = after.peak - after.baseline;
      console.log(
        `${framework}: ${accepted.length} accepted, ${refused.length} refused; peak RSS +${(growth / MiB).toFixed(1)} MiB; ` +
          `GET /health p99 ${ordinary.p99.toFixed(1)} ms, max ${ordinary.max.toFixed(1)} ms (${ordinary.count} requests)`,
      );
      expect(growth).toBeLessThan(DOCUMENTED_GROWTH_BOUND);
      expect(accepted.length).toBeGreaterThan(0);
      expect(accepted.every((o) => o.correct)).toBe(true);
      for (const o of refused) expect([o.status, o.code, o.retryAfter]).toEqual([503, 'batch.busy', '5']);
      expect(ordinary.failures).toBe(0);
      expect(ordinary.count).toBeGreaterThan(0);
      expect(after.processErrors).toBe(0);
      expect(after.unexpectedErrors).toBe(0);
      expect(after.connections).toBe(0);
      // Every timer of the run is gone (the server's own sampler is there before and after).
      const timers = (stats: typeof after) => stats.resources.filter((name) => name === 'Timeout').length;
      expect(timers(after)).toBeLessThanOrEqual(timers(before));
    }, 120_000);
  });
}
