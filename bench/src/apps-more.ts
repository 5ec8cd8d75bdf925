import { setTimeout as delay } from 'node:timers/promises';
import type { BatchOptions } from '@inbatch/core';
import { batch as fastifyBatch } from '@inbatch/fastify';
import { batch as honoBatch } from '@inbatch/hono';
import Fastify, { type FastifyInstance } from 'fastify';
import { Hono } from 'hono';
import { REFERENCE_BATCH_PATH } from './apps.js';
import { BLOB_TEXT, IO_DELAY_MS, createdAnswer, itemAnswer } from './scenarios.js';

/**
 * The benchmark API on Fastify 5: the plugin at /batch, and at REFERENCE_BATCH_PATH on
 * the reference dispatcher, as on Express and Koa. Fastify's default JSON parser and its
 * default serializer (no response schema), as a typical API starts.
 */
export async function createFastifyApp(batchOptions: BatchOptions): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 1024 * 1024 });
  await app.register(fastifyBatch, batchOptions);
  await app.register(fastifyBatch, { ...batchOptions, path: REFERENCE_BATCH_PATH, dispatcher: 'light-my-request' });
  app.get<{ Params: { id: string } }>('/items/:id', (request) => itemAnswer(request.params.id));
  app.post('/items', (request, reply) => reply.code(201).send(createdAnswer(request.body)));
  app.get<{ Params: { id: string } }>('/io/:id', async (request) => {
    await delay(IO_DELAY_MS);
    return itemAnswer(request.params.id);
  });
  app.get('/blob/:id', (_request, reply) => reply.type('text/plain').send(BLOB_TEXT));
  await app.ready();
  return app;
}

/** The same API on Hono (served by @hono/node-server). Hono has no reference dispatcher. */
export function createHonoApp(batchOptions: BatchOptions): Hono {
  const app = new Hono();
  app.use(honoBatch(app, batchOptions));
  app.get('/items/:id', (c) => c.json(itemAnswer(c.req.param('id'))));
  app.post('/items', async (c) => c.json(createdAnswer(await c.req.json()), 201));
  app.get('/io/:id', async (c) => {
    await delay(IO_DELAY_MS);
    return c.json(itemAnswer(c.req.param('id')));
  });
  app.get('/blob/:id', (c) => c.text(BLOB_TEXT));
  return app;
}
