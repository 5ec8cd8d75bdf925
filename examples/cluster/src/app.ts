import { batch, type BatchOptions } from '@inbatch/express';
import express, { type Express } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';

/** Options of one instance of the example app. */
export interface ClusterAppOptions {
  /** The job store every instance shares (`redisJobStore(…)`). */
  store: NonNullable<BatchOptions['store']>;
  /** The Redis the rate limiter counts in, shared by every instance. */
  redis: Redis;
  /** Key prefix of the limiter's counters. */
  prefix: string;
  /** The instance's name, sent as `X-Instance` and in every product, so the demo shows who ran what. */
  name: string;
  /**
   * Requests to `/v1` per client address per window, counted across every instance.
   * @default 100
   */
  limit?: number;
  /** @default 60000 */
  windowMs?: number;
}

/**
 * A tiny product API with `batch()` mounted on a shared Redis job store, and
 * express-rate-limit counting in Redis (rate-limit-redis): every instance sees the same
 * jobs and the same counts, so a batch of N inner requests uses N of the client's
 * allowance whichever instance runs it.
 */
export function createApp(options: ClusterAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set('X-Instance', options.name);
    next();
  });

  // batch() before the limiter: the outer request and its status reads are not API calls;
  // each inner request goes through the limiter below like a request of its own, with the
  // client's own address (inner requests never look like they came from 127.0.0.1).
  app.use(batch({ store: options.store }));

  // Readiness, outside the limit: an instance starts taking jobs once it has seen a request.
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, instance: options.name });
  });

  app.use(
    '/v1',
    rateLimit({
      windowMs: options.windowMs ?? 60_000,
      limit: options.limit ?? 100,
      standardHeaders: 'draft-6',
      legacyHeaders: false,
      store: new RedisStore({
        prefix: `${options.prefix}:rate:`,
        sendCommand: (command: string, ...args: string[]) =>
          options.redis.call(command, ...args) as Promise<RedisReply>,
      }),
    }),
  );
  app.get('/v1/products/:id', (req, res) => {
    res.json({ id: req.params.id, name: `Product ${req.params.id}`, servedBy: options.name });
  });
  return app;
}
