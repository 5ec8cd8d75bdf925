import type { DispatcherKind } from '@inbatch/core';
import { REFERENCE_BATCH_PATH, type Framework } from './apps.js';
import type { ClientProcess } from './client.js';
import type { NodeListener } from './fake-http.js';
import type { FastifyInstance } from 'fastify';
import type { Hono } from 'hono';
import { dispatcherDiagnostic, fakeFloor, injectFloor, routeLogicFloor } from './floors.js';
import { fastifyInjectFloor, honoDispatcherDiagnostic, honoFetchFloor } from './floors-more.js';
import type { Contender } from './interleave.js';
import { PEERS } from './peers.js';
import type { ContenderInfo } from './results.js';
import type { Scenario } from './scenarios.js';
import type { WireId } from './wire.js';

/** The row the issue's targets are about. */
export const MULTIPART_ID = 'inbatch-multipart';
export const JSON_ID = 'inbatch-json';

/**
 * One row per wire dialect of our endpoint; a new dialect is one entry here and one in
 * wire.ts. The multipart dialect also runs on the reference dispatcher (apps.ts), the
 * fast dispatcher's "before".
 */
export const OUR_DIALECTS: ReadonlyArray<{
  id: string;
  label: string;
  wire: WireId;
  path: string;
  dispatcher: DispatcherKind;
}> = [
  {
    id: MULTIPART_ID,
    label: 'inbatch batch() multipart',
    wire: 'inbatch-multipart',
    path: '/batch',
    dispatcher: 'fast',
  },
  { id: JSON_ID, label: 'inbatch batch() JSON', wire: 'inbatch-json', path: '/batch', dispatcher: 'fast' },
  {
    id: 'inbatch-multipart-lmr',
    label: 'inbatch batch() multipart, light-my-request dispatcher',
    wire: 'inbatch-multipart',
    path: REFERENCE_BATCH_PATH,
    dispatcher: 'light-my-request',
  },
];

/** What a section's contenders run against. */
export interface SectionEnv {
  framework: Framework;
  scenario: Scenario;
  /** The app as a node:http listener (the same object the HTTP server calls). */
  handler: NodeListener;
  /** The Fastify instance (Fastify sections): its inject is a floor. */
  fastify?: FastifyInstance;
  /** The Hono app (Hono sections): app.fetch is its floor. */
  hono?: Hono;
  port: number;
  /** The hapi server carrying bassmaster (Express sections only). */
  hapiPort: number | undefined;
  client: ClientProcess;
}

/** A batch sent by the client process; the first call at each N builds the request there (untimed warm-up). */
function httpBatch(info: ContenderInfo, env: SectionEnv, wire: WireId, port: number, path: string): Contender {
  const prepared = new Set<number>();
  return {
    ...info,
    async run(n, reps) {
      const key = `${info.id}:${n}`;
      if (!prepared.has(n)) {
        await env.client.call({ op: 'prepare', key, wire, scenario: env.scenario.id, n, port, path });
        prepared.add(n);
      }
      return env.client.call<number>({ op: 'batch', key, reps });
    },
  };
}

function direct(env: SectionEnv, connections: number): Contender {
  return {
    id: `direct-${connections}`,
    label: `N keep-alive requests, ${connections} conn`,
    kind: 'direct',
    note: 'separate HTTP requests from the client process (what a batch replaces)',
    run: (n, reps) =>
      env.client.call<number>({ op: 'direct', scenario: env.scenario.id, n, port: env.port, connections, reps }),
  };
}

/** Every row of one (framework, scenario) section, floors first. */
export function buildContenders(env: SectionEnv): { contenders: Contender[]; unsupported: ContenderInfo[] } {
  const { framework, scenario } = env;
  const contenders: Contender[] = [routeLogicFloor(scenario)];
  if (env.hono !== undefined) {
    contenders.push(honoFetchFloor(env.hono, scenario), honoDispatcherDiagnostic(env.hono, scenario));
  } else {
    // Fastify's fake floor is Koa's fake objects into fastify.routing (it swaps no prototypes).
    const fakeFramework = framework === 'express' ? 'express' : 'koa';
    contenders.push(
      fakeFloor(fakeFramework, env.handler, scenario, framework),
      env.fastify === undefined
        ? injectFloor(fakeFramework, env.handler, scenario)
        : fastifyInjectFloor(env.fastify, scenario),
      dispatcherDiagnostic(fakeFramework, env.handler, scenario, 'fast'),
      dispatcherDiagnostic(fakeFramework, env.handler, scenario, 'light-my-request'),
    );
  }
  contenders.push(...scenario.directConnections.map((connections) => direct(env, connections)));
  const concurrency = scenario.batchOptions.concurrency;
  for (const dialect of OUR_DIALECTS) {
    // Hono's inner requests are fetch Requests: there is no reference dispatcher to compare.
    if (framework === 'hono' && dialect.dispatcher === 'light-my-request') continue;
    const info: ContenderInfo = {
      id: dialect.id,
      label: dialect.label,
      kind: 'ours',
      note: `${concurrency === undefined ? 'default options (concurrency 8)' : `concurrency ${concurrency}`}; ${dialect.dispatcher} dispatcher`,
    };
    contenders.push(httpBatch(info, env, dialect.wire, env.port, dialect.path));
  }
  const unsupported: ContenderInfo[] = [];
  if (framework === 'express') {
    for (const peer of PEERS) {
      const info: ContenderInfo = { id: peer.id, label: peer.label, kind: 'peer', note: peer.note };
      const path = peer.path(scenario.id);
      const port = peer.server === 'hapi' ? env.hapiPort : env.port;
      if (path === undefined || port === undefined) unsupported.push(info);
      else contenders.push(httpBatch(info, env, peer.wire, port, path));
    }
  }
  return { contenders, unsupported };
}
