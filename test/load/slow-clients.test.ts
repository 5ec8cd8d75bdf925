import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { planBody, sendPlannedBatch, startLoadServer, type LoadServer } from './driver.js';
import type { LoadStats } from './protocol.js';

const MiB = 1024 * 1024;
const SLOWLORIS = 200;
const SLOW_READERS = 40;
const NEVER_READERS = 40;
const RESETTERS = 40;

/** A raw connection that sent the head of a batch request and is left to the test. */
function rawBatch(url: string, contentType: string, length: number): Promise<Socket> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(
        `POST /batch HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\n\r\n`,
      );
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(100);
  }
}

const timers = (stats: LoadStats) => stats.resources.filter((name) => name === 'Timeout').length;

for (const framework of ['express', 'koa'] as const) {
  describe(`slow and broken clients at scale on ${framework}`, () => {
    let server: LoadServer;
    const sockets: Socket[] = [];
    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.destroy();
      await server.stop();
    });

    it('releases sockets, timers and memory of slowloris bodies, slow, absent and resetting readers, and keeps serving', async () => {
      server = await startLoadServer(framework, {
        bodyTimeoutMs: 1000,
        writeTimeoutMs: 1000,
        // Room for every one of them at once: the deadlines, not the budget, must end them.
        maxConcurrentBatches: 1000,
        maxBufferedBytes: 4096 * MiB,
      });
      const answer = { parts: 200, bytes: 16_000 }; // 3.2 MB each, past the socket buffers
      const built = planBody(answer);
      await sendPlannedBatch(server.url, { parts: 50, bytes: 1000 }); // warm up
      await server.reset();
      const before = await server.stats();

      // Slowloris: a byte every 300 ms of a body that would take minutes.
      const slow = await Promise.all(
        Array.from({ length: SLOWLORIS }, () => rawBatch(server.url, built.contentType, built.body.length)),
      );
      sockets.push(...slow);
      const trickle = setInterval(() => {
        for (const socket of slow) if (!socket.destroyed) socket.write(built.body.subarray(0, 1));
      }, 300);
      // Readers that take one byte a second, readers that take nothing, readers that reset mid-answer.
      const readers = await Promise.all(
        Array.from({ length: SLOW_READERS + NEVER_READERS + RESETTERS }, async (_, i) => {
          const socket = await rawBatch(server.url, built.contentType, built.body.length);
          socket.on('error', () => undefined);
          socket.end(built.body);
          if (i < SLOW_READERS) {
            socket.pause();
            const oneByte = setInterval(() => socket.read(1), 1000);
            socket.once('close', () => clearInterval(oneByte));
          } else if (i < SLOW_READERS + NEVER_READERS) {
            socket.pause();
          } else {
            socket.once('data', () => socket.resetAndDestroy());
          }
          return socket;
        }),
      );
      sockets.push(...readers);

      // Meanwhile the app answers as usual.
      const ordinary = await sendPlannedBatch(server.url, { parts: 20, bytes: 100 });
      expect([ordinary.status, ordinary.correct]).toEqual([200, true]);

      // Every connection is closed by the server once its deadline passed.
      await until(async () => (await server.stats()).connections === 0, 20_000);
      clearInterval(trickle);
      await delay(1500); // the write guards end themselves within a check interval

      const after = await server.stats();
      console.log(
        `${framework}: heap+external ${(before.heap / MiB).toFixed(1)} → ${(after.heap / MiB).toFixed(1)} MiB; ` +
          `RSS +${((after.current - before.current) / MiB).toFixed(1)} MiB now, peak +${((after.peak - after.baseline) / MiB).toFixed(1)} MiB`,
      );
      expect(after.processErrors).toBe(0);
      expect(after.unexpectedErrors).toBe(0);
      expect(timers(after)).toBeLessThanOrEqual(timers(before));
      expect(after.resources.filter((name) => name === 'TCPSocketWrap')).toEqual([]);
      // What the batches held is garbage now: the heap (buffers included) is back near where it was.
      expect(after.heap - before.heap).toBeLessThan(16 * MiB);
      expect(after.current - before.current).toBeLessThan(128 * MiB);

      const next = await sendPlannedBatch(server.url, { parts: 20, bytes: 100 });
      expect([next.status, next.correct]).toEqual([200, true]);
    }, 60_000);
  });
}
