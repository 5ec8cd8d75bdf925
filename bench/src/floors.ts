import { setTimeout as delay } from 'node:timers/promises';
import { createDispatcher, DispatchAbort, type DispatcherKind, type InnerRequest } from '@inbatch/core';
import { createExpressDispatcher, type ExpressApp } from '@inbatch/express';
import inject from 'light-my-request';
import { fakeExpressExchange, fakeKoaExchange, type FakeAnswer, type NodeListener } from './fake-http.js';
import type { Contender } from './interleave.js';
import { runPool } from './pool.js';
import { FLOOR_IDS } from './results.js';
import {
  BLOB_TEXT,
  IO_DELAY_MS,
  createdAnswer,
  innerRequests,
  itemAnswer,
  type InnerSpec,
  type Scenario,
} from './scenarios.js';

/** An inner request with the headers every in-process floor hands the app (as the engine would). */
interface PreparedOp extends InnerSpec {
  fullHeaders: Record<string, string>;
}

function prepare(scenario: Scenario, n: number): PreparedOp[] {
  return innerRequests(scenario, n).map((op) => ({
    ...op,
    // What an inner request inherits from a real outer one: the Host (the engine drops
    // Connection and Content-*), plus its own Content-Length when it has a body.
    fullHeaders: {
      host: '127.0.0.1',
      ...op.headers,
      ...(op.body === undefined ? {} : { 'content-length': String(op.body.length) }),
    },
  }));
}

/** Caches the prepared inner requests per N, so building them is never timed. */
function opsCache(scenario: Scenario): (n: number) => PreparedOp[] {
  const cache = new Map<number, PreparedOp[]>();
  return (n) => {
    let ops = cache.get(n);
    if (ops === undefined) {
      ops = prepare(scenario, n);
      cache.set(n, ops);
    }
    return ops;
  };
}

function check(scenario: Scenario, contender: string, status: number, bodyLength: number): void {
  if (status !== scenario.expectStatus || bodyLength === 0) {
    throw new Error(`${contender}: answered ${status} with ${bodyLength} bytes, expected ${scenario.expectStatus}`);
  }
}

function bodyLength(body: FakeAnswer['body']): number {
  return body === undefined ? 0 : body.length;
}

/** N runs of `one` per batch, `reps` batches, `scenario.floorConcurrency` at a time. */
function floorRunner(
  scenario: Scenario,
  one: (op: PreparedOp) => Promise<unknown>,
): (n: number, reps: number) => Promise<undefined> {
  const ops = opsCache(scenario);
  return async (n, reps) => {
    const list = ops(n);
    for (let rep = 0; rep < reps; rep++) {
      await runPool(n, scenario.floorConcurrency, (index) => one(list[index] as PreparedOp));
    }
    return undefined;
  };
}

/** What the route itself computes, without any framework: the lowest possible cost per request. */
export function routeLogicFloor(scenario: Scenario): Contender {
  const answer = (op: PreparedOp, index: number): Buffer => {
    switch (scenario.id) {
      case 'post':
        return Buffer.from(JSON.stringify(createdAnswer(JSON.parse((op.body as Buffer).toString('utf8')))));
      case 'blob':
        return Buffer.from(BLOB_TEXT);
      default:
        return Buffer.from(JSON.stringify(itemAnswer(String(index))));
    }
  };
  const ops = opsCache(scenario);
  const run = async (n: number, reps: number): Promise<undefined> => {
    const list = ops(n);
    for (let rep = 0; rep < reps; rep++) {
      if (scenario.id === 'io') {
        await runPool(n, scenario.floorConcurrency, async (index) => {
          await delay(IO_DELAY_MS);
          answer(list[index] as PreparedOp, index);
        });
      } else {
        // Synchronous on purpose: no promise per request, nothing but the route's own work.
        for (let index = 0; index < n; index++) answer(list[index] as PreparedOp, index);
      }
    }
    return undefined;
  };
  return {
    id: FLOOR_IDS.route,
    label: 'route logic alone',
    kind: 'floor',
    note: 'JSON.parse/stringify of the route, no framework',
    run,
  };
}

/** The framework with the cheapest fake req/res objects (fake-http.ts). */
export function fakeFloor(
  framework: 'express' | 'koa',
  handler: NodeListener,
  scenario: Scenario,
  /** The framework named in the row (Fastify runs on Koa's fake objects). */
  name: string = framework,
): Contender {
  const exchange = framework === 'express' ? fakeExpressExchange : fakeKoaExchange;
  const run = floorRunner(scenario, async (op) => {
    const answer = await exchange(handler, op.method, op.url, { ...op.fullHeaders }, op.body);
    check(scenario, 'fake req/res', answer.status, bodyLength(answer.body));
  });
  return {
    id: FLOOR_IDS.fake,
    label: `${name} + fake req/res`,
    kind: 'floor',
    note: 'hand-made minimal req/res calling the app; body bytes parsed by the app’s own parser',
    run,
  };
}

// light-my-request's methods that capture the answer; copied onto each instance because
// Express re-parents req/res (same approach as packages/core/src/dispatch/inject.ts).
const RESPONSE_METHODS = ['writeHead', 'write', 'end', 'destroy', 'setTimeout', 'addTrailers'] as const;

/**
 * Express wrapped for light-my-request without `inject(app)`: that form rewrites Express's
 * shared prototypes (PEERS-PERF §8). Instead light-my-request's methods are pinned on each
 * instance, where Express's re-parenting can't hide them.
 */
export function pinnedExpressListener(app: NodeListener): NodeListener {
  let methods: Record<string, unknown> | undefined;
  let requestDestroy: unknown;
  return (req, res) => {
    if (methods === undefined) {
      const proto = Object.getPrototypeOf(res) as Record<string, unknown>;
      methods = {};
      for (const name of RESPONSE_METHODS) methods[name] = proto[name];
      requestDestroy = (Object.getPrototypeOf(req) as Record<string, unknown>).destroy;
    }
    Object.assign(res, methods);
    (req as unknown as Record<string, unknown>).destroy = requestDestroy;
    return app(req, res);
  };
}

/** light-my-request `inject` per request, awaited one after another. */
export function injectFloor(framework: 'express' | 'koa', handler: NodeListener, scenario: Scenario): Contender {
  const listener = framework === 'express' ? pinnedExpressListener(handler) : handler;
  const run = floorRunner(scenario, async (op) => {
    const response = await inject(listener, {
      method: op.method,
      url: op.url,
      headers: op.headers,
      ...(op.body === undefined ? {} : { payload: op.body }),
      // Option validation costs a schema check per call; the engine skips it too.
      validate: false,
    });
    check(scenario, 'light-my-request', response.statusCode, response.rawPayload.length);
  });
  return {
    id: FLOOR_IDS.inject,
    label: `${framework} + light-my-request inject`,
    kind: 'floor',
    note: framework === 'express' ? 'methods pinned per instance (never inject(app))' : 'inject(app.callback())',
    run,
  };
}

/** Which cancellation signal the dispatcher-only rows create per operation. */
export type DiagnosticSignal = 'dispatch-abort' | 'abort-controller';

/** The ids of the dispatcher-only rows, by kind. */
export const DISPATCHER_ROW_IDS: Readonly<Record<DispatcherKind, string>> = {
  fast: 'dispatcher',
  'light-my-request': 'dispatcher-lmr',
};

/**
 * @inbatch/core's dispatcher alone, as the adapters configure it, one row per kind: the
 * engine minus parsing, policy, scheduling, serializing and the outer HTTP exchange. For
 * Express the handler is the app itself (apps.ts); for Koa it calls `app.callback()`, which
 * is what createKoaDispatcher dispatches into.
 */
export function dispatcherDiagnostic(
  framework: 'express' | 'koa',
  handler: NodeListener,
  scenario: Scenario,
  kind: DispatcherKind,
  signal: DiagnosticSignal = 'dispatch-abort',
): Contender {
  const dispatcher =
    framework === 'express'
      ? createExpressDispatcher(handler as unknown as ExpressApp, kind)
      : createDispatcher(handler, { kind });
  const run = floorRunner(scenario, async (op) => {
    // A fresh DispatchAbort per operation, as the engine makes (one shared signal would
    // collect a listener per request in flight). `dispatchers --signal abort-controller`
    // gives each an AbortController instead, to show what an AbortSignal costs (~3 µs).
    const control = {
      signal: signal === 'abort-controller' ? new AbortController().signal : new DispatchAbort().signal,
      maxResponseBytes: 1024 * 1024,
    };
    const request: InnerRequest = {
      method: op.method,
      url: op.url,
      headers: { ...op.fullHeaders },
      body: op.body,
      remoteAddress: '127.0.0.1',
      encrypted: false,
    };
    const answer = await dispatcher(request, control);
    check(scenario, 'dispatcher', answer.status, answer.body.length);
  });
  return {
    id: DISPATCHER_ROW_IDS[kind],
    label: `inbatch core dispatcher only (${kind}${signal === 'abort-controller' ? ', AbortController' : ''})`,
    kind: 'diagnostic',
    note: `the adapter's dispatcher, kind '${kind}'; no parse/policy/scheduler/serialize/outer HTTP`,
    run,
  };
}
