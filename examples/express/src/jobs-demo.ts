import { setTimeout as delay } from 'node:timers/promises';
import type { BatchOptions } from '@inbatch/express';
import express, { type Router } from 'express';

/**
 * How long each demo item takes, so the demo page's progress bar has something to show:
 * with `concurrency: 1`, a job of 20 items runs about 3 seconds.
 */
export const DEMO_ITEM_DELAY_MS = 150;

/**
 * The bulk resource of the jobs demo (`/jobs.html`): `PATCH /process/restock` with
 * `[{ "sku", "quantity" }, …]`, each item a `PUT /demo/restock/{sku}`.
 */
export const DEMO_BULK: NonNullable<BatchOptions['bulk']> = {
  restock: { method: 'PUT', url: '/demo/restock/{sku}' },
};

/**
 * The route the demo's bulk items run through: it takes `DEMO_ITEM_DELAY_MS`, restocks a
 * positive quantity, and refuses a negative one with 422 (so the page lists a failure).
 */
export function jobsDemoRoutes(itemDelayMs = DEMO_ITEM_DELAY_MS): Router {
  const router = express.Router();
  router.put('/demo/restock/:sku', express.json(), async (req, res) => {
    await delay(itemDelayMs);
    const quantity = Number((req.body as { quantity?: unknown } | undefined)?.quantity);
    if (!Number.isInteger(quantity) || quantity < 0) {
      res.status(422).json({ message: `quantity of ${req.params.sku} must be a whole number ≥ 0` });
      return;
    }
    res.json({ message: `restocked ${quantity}`, sku: req.params.sku, quantity });
  });
  return router;
}
