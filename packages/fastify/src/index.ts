import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import {
  createBatchEngine,
  createDispatcher,
  outerRequestFromNode,
  type BatchOptions,
  type Dispatcher,
  type DispatcherKind,
} from '@inbatch/core';

export type { BatchOptions } from '@inbatch/core';

/** The options of `app.register(batch, options)`: inbatch's own, plus Fastify's `prefix`. */
export interface FastifyBatchOptions extends BatchOptions {
  /** Fastify's register option: the endpoint is then `{prefix}{path}`. */
  prefix?: string;
}

// Every method a batch route may be called with: the engine answers 405 itself for a
// batch with another method than POST, so the route must reach it.
const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The fields of Fastify's register options that are not inbatch's. */
const REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers']);

/**
 * The dispatcher the plugin runs a Fastify instance's inner requests through (exported for
 * the benchmarks). `fastify.routing` is the server's own request listener (rewriteUrl,
 * then the router), so every route, hook, parser and plugin applies; Fastify moves no
 * prototypes, so nothing needs pinning.
 *
 * @example
 * const dispatch = createFastifyDispatcher(app, 'fast');
 */
export function createFastifyDispatcher(fastify: FastifyInstance, kind: DispatcherKind): Dispatcher {
  return createDispatcher((req, res) => fastify.routing(req, res), { kind });
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

const plugin: FastifyPluginAsync<FastifyBatchOptions> = async (fastify, options) => {
  const own = Object.fromEntries(Object.entries(options).filter(([key]) => !REGISTER_OPTIONS.has(key)));
  const engine = createBatchEngine(own);
  const dispatcher = createFastifyDispatcher(fastify, engine.options.dispatcher);
  const prefix = fastify.prefix;

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    // A shared job store (Redis): this process runs jobs too, from its first batch request on.
    if (engine.wantsDispatcher) engine.serve(() => dispatcher);
    const path = pathOf(request.url).slice(prefix.length);
    const route = engine.match(request.method, path);
    if (route === undefined) return reply.callNotFound();
    const outer = outerRequestFromNode(request.raw, reply.raw, { url: request.url });
    const answer = await engine.handle(outer, dispatcher, route);
    reply.code(answer.status).headers(answer.headers);
    return reply.send(Buffer.isBuffer(answer.body) ? answer.body : Readable.from(answer.body));
  };

  // The batch routes sit in a context of their own, so the parser that leaves their body
  // unread (the engine reads it under its own limits, THREATS T3/T5) never reaches the
  // app's routes. Hooks registered above the plugin still run for them.
  await fastify.register((routes, _options, done) => {
    routes.removeAllContentTypeParsers();
    routes.addContentTypeParser('*', (_request, _payload, done) => {
      done(null, undefined);
    });
    const path = engine.options.path;
    routes.route({ method: METHODS, url: path, handler });
    routes.route({ method: METHODS, url: `${path}/*`, handler });
    if (engine.options.bulk !== undefined) {
      routes.route({ method: 'PATCH', url: `${engine.options.bulkPath}/*`, handler });
    }
    done();
  });
};

/**
 * A Fastify 5 plugin that serves a batch endpoint (default `POST {prefix}/batch`) and the
 * async routes (`GET /batch/limits`, `GET|DELETE /batch/{id}`, the job files,
 * `PATCH /process/{resource}`). Each inner request runs in-process through the instance's
 * own routing: its hooks, schemas, rate limits and auth apply to each one, with the client's
 * address and protocol. Encapsulated: it adds nothing to the instance it is registered on.
 *
 * @example
 * import Fastify from 'fastify';
 * import { batch } from '@inbatch/fastify';
 *
 * const app = Fastify();
 * await app.register(batch, { maxOperations: 100 });
 * app.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
 */
export const batch = fastifyPlugin(plugin, { fastify: '5.x', name: '@inbatch/fastify', encapsulate: true });
