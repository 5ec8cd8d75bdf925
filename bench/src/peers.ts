import { setTimeout as delay } from 'node:timers/promises';
import Hapi from '@hapi/hapi';
import { plugin as bassmasterPlugin } from 'bassmaster';
import batchRequest from 'batch-request';
import express, { type Express } from 'express';
import expressBatch from 'express-batch';
import multifetch from 'multifetch';
import { IO_CONCURRENCY, IO_DELAY_MS, createdAnswer, itemAnswer, type ScenarioId } from './scenarios.js';
import type { WireId } from './wire.js';

/** A public batch library measured as a contender. */
export interface PeerSpec {
  id: string;
  label: string;
  wire: WireId;
  /** Where it listens: the Express app, or its own hapi server. */
  server: 'express' | 'hapi';
  /** Its endpoint for a scenario, or undefined when it can't run that scenario. */
  path(scenario: ScenarioId): string | undefined;
  /** What it cannot do (PEERS-PERF, behaviour table), printed in the note column. */
  note: string;
}

/** The peer to beat on Express GET (PEERS-PERF: the fastest, close to the fake req/res floor). */
export const EXPRESS_BATCH_ID = 'express-batch';

export const PEERS: readonly PeerSpec[] = [
  {
    id: EXPRESS_BATCH_ID,
    label: 'express-batch 0.2',
    wire: 'express-batch',
    server: 'express',
    path: (scenario) => (scenario === 'post' ? undefined : '/peer/express-batch'),
    note: 'GET only; req.ip throws (no socket); all inner requests share the outer headers object; ≤1000 keys (extra silently dropped), URL ≤16 KB',
  },
  {
    id: 'multifetch',
    label: 'multifetch 1.1',
    wire: 'multifetch',
    server: 'express',
    path: (scenario) =>
      scenario === 'post' ? undefined : scenario === 'io' ? '/peer/multifetch-concurrent' : '/peer/multifetch',
    note: `GET only; sequential by default (io row: concurrency ${IO_CONCURRENCY}); drops Authorization; IP 127.0.0.1; an inner 404 destroys the whole batch`,
  },
  {
    id: 'batch-request',
    label: 'batch-request 0.1 (max 1000)',
    wire: 'batch-request',
    server: 'express',
    path: () => '/peer/batch-request',
    note: 'not in-process: one real HTTP request (new socket) per inner; drops Authorization; IP 127.0.0.1; fetches absolute URLs to any host; default max 20',
  },
  {
    id: 'bassmaster',
    label: 'bassmaster 3.2 (hapi 21)',
    wire: 'bassmaster',
    server: 'hapi',
    path: () => '/batch',
    note: 'hapi only; answers bodies only (no status codes); forwards all outer headers incl. content-length; IP 127.0.0.1',
  },
];

/**
 * Mounts the Express peers as their READMEs show. express-batch and multifetch answer GET
 * only; batch-request needs a JSON body parser and its `validate` in front of it.
 */
export function mountExpressPeers(app: Express): void {
  app.get('/peer/express-batch', expressBatch(app));
  app.get('/peer/multifetch', multifetch());
  // multifetch is sequential by default: 1000 × 5 ms would be 5 s per batch, so the io
  // scenario uses its own concurrency option, matching the other contenders' 50.
  app.get('/peer/multifetch-concurrent', multifetch({ concurrency: IO_CONCURRENCY }));
  const br = batchRequest({ max: 1000 });
  app.post('/peer/batch-request', express.json({ limit: '8mb' }), br.validate, br);
}

/** A hapi 21 server with the same routes and bassmaster, on its own port. */
export async function startBassmasterServer(): Promise<{ port: number; stop(): Promise<void> }> {
  // 8 MB: 1000 POSTs of 1 KB exceed hapi's default 1 MB payload limit.
  const server = Hapi.server({ host: '127.0.0.1', port: 0, routes: { payload: { maxBytes: 8 * 1024 * 1024 } } });
  server.route({ method: 'GET', path: '/items/{id}', handler: (request) => itemAnswer(request.params.id as string) });
  server.route({
    method: 'POST',
    path: '/items',
    handler: (request, h) => h.response(createdAnswer(request.payload)).code(201),
  });
  server.route({
    method: 'GET',
    path: '/io/{id}',
    handler: async (request) => {
      await delay(IO_DELAY_MS);
      return itemAnswer(request.params.id as string);
    },
  });
  await server.register({ plugin: bassmasterPlugin });
  server.listener.keepAliveTimeout = 120_000;
  server.listener.headersTimeout = 121_000;
  await server.start();
  return { port: server.info.port as number, stop: () => server.stop() };
}
