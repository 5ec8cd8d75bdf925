import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { batch } from '@inbatch/fastify';
import type { AppOptions, Recorder } from './apps.js';

let created = 0;

/** The test API of apps.ts on Fastify 5, with the batch plugin registered before the routes. */
export async function fastifyApp(recorder: Recorder, options: AppOptions, binary: Buffer): Promise<FastifyInstance> {
  const app = Fastify({ trustProxy: options.trustProxy === true });
  app.addHook('onRequest', (request, _reply, done) => {
    recorder.hits.push(`${request.method} ${request.url}`);
    done();
  });
  await app.register(batch, options.batch ?? {});
  app.get('/whoami', (request) => ({
    ip: request.ip,
    secure: request.protocol === 'https',
    protocol: request.protocol,
    hostname: request.hostname,
    method: request.method,
    url: request.url,
    headers: request.headers,
    query: request.query,
  }));
  app.get<{ Params: { id: string } }>('/items/:id', (request) => ({ id: request.params.id }));
  app.post('/echo', async (request, reply) => {
    reply.code(201);
    return {
      body: request.body,
      contentType: request.headers['content-type'] ?? null,
      contentLength: request.headers['content-length'] ?? null,
    };
  });
  app.get<{ Params: { ms: string } }>('/slow/:ms', async (request) => {
    await delay(Number(request.params.ms));
    return { ms: Number(request.params.ms) };
  });
  app.get('/never', (_request, reply) => {
    reply.raw.on('close', () => recorder.events.push('closed /never'));
  });
  app.get<{ Params: { bytes: string } }>('/big/:bytes', async (request, reply) =>
    reply.type('text/plain').send('x'.repeat(Number(request.params.bytes))),
  );
  app.get('/stream', async (_request, reply) =>
    reply.type('text/plain').send(
      Readable.from(
        (async function* () {
          for (const chunk of ['a', 'b', 'c']) {
            yield Buffer.from(chunk);
            await delay(2);
          }
        })(),
      ),
    ),
  );
  app.get<{ Params: { name: string } }>('/set-cookie/:name', async (request, reply) => {
    reply.header('set-cookie', `${request.params.name}=1; Path=/`);
    return { set: request.params.name };
  });
  app.get('/fail', () => {
    throw new Error('route failed');
  });
  app.get('/admin/secret', () => ({ secret: true }));
  app.post('/items', async (request, reply) => {
    const id = `item-${++created}`;
    return reply
      .code(201)
      .header('location', `/items/${id}`)
      .send({ id, ...(request.body as object) });
  });
  app.get('/binary', async (_request, reply) => reply.type('application/octet-stream').send(binary));
  await app.register((raw, _options, done) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    raw.post('/echo-text', async (request, reply) =>
      reply.type('text/plain').send(`${request.headers['content-type']}|${String(request.body)}`),
    );
    done();
  });
  await app.register((raw, _options, done) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    raw.post('/echo-bytes', async (request, reply) =>
      reply.type('application/octet-stream').send(request.body as Buffer),
    );
    done();
  });
  await app.ready();
  return app;
}
