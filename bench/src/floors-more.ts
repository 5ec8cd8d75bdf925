import { DispatchAbort, type InnerRequest } from '@inbatch/core';
import { createFetchDispatcher } from '@inbatch/hono';
import type { FastifyInstance } from 'fastify';
import type { Hono } from 'hono';
import type { Contender } from './interleave.js';
import { runPool } from './pool.js';
import { FLOOR_IDS } from './results.js';
import { innerRequests, type InnerSpec, type Scenario } from './scenarios.js';

function check(scenario: Scenario, contender: string, status: number, bodyLength: number): void {
  if (status !== scenario.expectStatus || bodyLength === 0) {
    throw new Error(`${contender}: answered ${status} with ${bodyLength} bytes, expected ${scenario.expectStatus}`);
  }
}

/** N runs of `one` per batch, `reps` batches; the inner requests are built once per N, untimed. */
function runner<T>(
  scenario: Scenario,
  build: (op: InnerSpec) => T,
  one: (op: T, spec: InnerSpec) => Promise<unknown>,
): (n: number, reps: number) => Promise<undefined> {
  const cache = new Map<number, Array<[T, InnerSpec]>>();
  return async (n, reps) => {
    let list = cache.get(n);
    if (list === undefined) {
      list = innerRequests(scenario, n).map((spec) => [build(spec), spec]);
      cache.set(n, list);
    }
    for (let rep = 0; rep < reps; rep++) {
      await runPool(n, scenario.floorConcurrency, (index) => {
        const [op, spec] = list[index] as [T, InnerSpec];
        return one(op, spec);
      });
    }
    return undefined;
  };
}

/** Fastify's own `inject` (light-my-request into the server's listener), per request. */
export function fastifyInjectFloor(app: FastifyInstance, scenario: Scenario): Contender {
  const run = runner(
    scenario,
    (spec) => spec,
    async (spec) => {
      const response = await app.inject({
        method: spec.method as 'GET',
        url: spec.url,
        headers: { host: '127.0.0.1', ...spec.headers },
        ...(spec.body === undefined ? {} : { payload: spec.body }),
      });
      check(scenario, 'fastify.inject', response.statusCode, response.rawPayload.length);
    },
  );
  return {
    id: FLOOR_IDS.inject,
    label: 'fastify + fastify.inject (light-my-request)',
    kind: 'floor',
    note: 'Fastify’s own inject: light-my-request into the server’s request listener',
    run,
  };
}

function requestOf(spec: InnerSpec): Request {
  return new Request(`http://127.0.0.1${spec.url}`, {
    method: spec.method,
    headers: spec.headers,
    ...(spec.body === undefined ? {} : { body: spec.body }),
  });
}

/**
 * `app.fetch` of a prebuilt `Request`: the floor of a fetch-standard framework. A GET's
 * Request is built once per N and reused (app.fetch consumes nothing of it); a body can be
 * read only once, so a POST's Request is built per call, as any caller must.
 */
export function honoFetchFloor(app: Hono, scenario: Scenario): Contender {
  const run = runner(
    scenario,
    (spec) => (spec.body === undefined ? requestOf(spec) : undefined),
    async (prebuilt, spec) => {
      const response = await app.fetch(prebuilt ?? requestOf(spec));
      const body = await response.arrayBuffer();
      check(scenario, 'app.fetch', response.status, body.byteLength);
    },
  );
  return {
    id: FLOOR_IDS.fake,
    label: 'hono app.fetch (prebuilt Request)',
    kind: 'floor',
    note: 'app.fetch of a Request built before timing (per call for a body), answer body read',
    run,
  };
}

/** @inbatch/hono's dispatcher alone: Request per operation, app.fetch, answer read under the cap. */
export function honoDispatcherDiagnostic(app: Hono, scenario: Scenario): Contender {
  const dispatcher = createFetchDispatcher(app, {
    origin: 'http://127.0.0.1',
    env: undefined,
    executionCtx: undefined,
  });
  const run = runner(
    scenario,
    (spec): InnerRequest => ({
      method: spec.method,
      url: spec.url,
      headers: { host: '127.0.0.1', ...spec.headers },
      body: spec.body,
      remoteAddress: '127.0.0.1',
      encrypted: false,
    }),
    async (request) => {
      const answer = await dispatcher(request, { signal: new DispatchAbort().signal, maxResponseBytes: 1024 * 1024 });
      check(scenario, 'dispatcher', answer.status, answer.body.length);
    },
  );
  return {
    id: 'dispatcher',
    label: 'inbatch fetch dispatcher only',
    kind: 'diagnostic',
    note: 'createFetchDispatcher; no parse/policy/scheduler/serialize/outer HTTP',
    run,
  };
}
