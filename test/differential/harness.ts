import type { IncomingHttpHeaders, RequestListener } from 'node:http';
import { afterEach, expect } from 'vitest';
import type { DispatcherKind } from '@inbatch/core';
import { listen } from '../support/apps.js';
import { sendBatch, type BatchReply, type SendOptions } from '../support/http.js';
import { buildBatch, type PartSpec } from '../support/multipart.js';
import { Observer, type Observation } from './observer.js';

/** Both dispatchers: the reference first, so a failure message reads "expected (reference)". */
export const KINDS = ['light-my-request', 'fast'] as const satisfies readonly DispatcherKind[];

/** An app under test, built once per dispatcher around its own observer. */
export type AppFactory = (kind: DispatcherKind, observer: Observer) => RequestListener;

/** What one dispatcher produced for one batch. */
export interface Outcome {
  reply: BatchReply;
  /** The outer answer's bytes with its boundary replaced, so two answers compare byte for byte. */
  bytes: string;
  /** The outer answer's headers minus Date, with the boundary replaced. */
  headers: IncomingHttpHeaders;
  observations: Record<string, Observation>;
}

interface Running {
  url: string;
  observer: Observer;
  close(): Promise<void>;
}

function boundaryOf(reply: BatchReply): string {
  return /boundary=([^;]+)/.exec(String(reply.headers['content-type']))?.[1] ?? '\u0000no boundary';
}

function normalized(reply: BatchReply): { bytes: string; headers: IncomingHttpHeaders } {
  const boundary = boundaryOf(reply);
  const { date: _date, ...rest } = reply.headers;
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(rest)) {
    headers[name] = typeof value === 'string' ? value.replaceAll(boundary, 'BOUNDARY') : value;
  }
  return { bytes: reply.body.toString('latin1').replaceAll(boundary, 'BOUNDARY'), headers };
}

/**
 * An observation minus the two differences the dispatchers have on purpose (README,
 * "Dispatchers"; lifecycle.test.ts pins both): light-my-request emits `drain` whenever its
 * capture stream is read, with no write that returned false before it; and only the fast
 * dispatcher's socket closes when an answer is lost.
 */
function comparable(observation: Observation): Omit<Observation, 'socketEvents'> {
  const { socketEvents: _socketEvents, ...rest } = observation;
  return { ...rest, events: rest.events.filter((event) => event !== 'res:drain') };
}

/**
 * Serves the same app through both dispatchers (two servers, one per kind) and closes
 * them after each test. Call once per `describe`.
 */
export function useDifferential(factory: AppFactory, options: { https?: boolean } = {}) {
  const running = new Map<DispatcherKind, Running>();
  afterEach(async () => {
    await Promise.all([...running.values()].map((server) => server.close()));
    running.clear();
  });

  async function start(): Promise<void> {
    if (running.size > 0) return;
    for (const kind of KINDS) {
      const observer = new Observer();
      const server = await listen(factory(kind, observer), options);
      running.set(kind, { url: server.url, observer, close: server.close });
    }
  }

  /** Sends one batch to each dispatcher, one after the other; parts get `X-Case: c1…` unless they name one. */
  async function run(
    parts: readonly PartSpec[],
    send: Omit<SendOptions, 'body'> & { path?: string } = {},
  ): Promise<Record<DispatcherKind, Outcome>> {
    await start();
    const cased = parts.map((part, index) => ({
      ...part,
      headers: { 'X-Case': `c${index + 1}`, ...part.headers },
    }));
    const cases = cased.map((part) => part.headers['X-Case']);
    const outcomes = {} as Record<DispatcherKind, Outcome>;
    for (const kind of KINDS) {
      const server = running.get(kind) as Running;
      server.observer.clear();
      // The same Host for both servers (they listen on different ports).
      const reply = await sendBatch(server.url, buildBatch(cased), {
        ...send,
        headers: { Host: 'api.example:8080', ...send.headers },
      });
      await server.observer.settle(cases);
      outcomes[kind] = { reply, ...normalized(reply), observations: Object.fromEntries(server.observer.seen) };
    }
    return outcomes;
  }

  /**
   * The differential check: the same batch through both dispatchers gives the client the
   * same bytes (outer status, headers and body, the boundary aside), and the app the same
   * request — every recorded fact and every req/res event, in order. Returns the fast
   * dispatcher's outcome for the test's own assertions about what the answer is.
   */
  async function same(
    parts: readonly PartSpec[],
    send: Omit<SendOptions, 'body'> & { path?: string } = {},
  ): Promise<Outcome> {
    const { 'light-my-request': reference, fast } = await run(parts, send);
    expect(fast.reply.status).toBe(reference.reply.status);
    expect(fast.headers).toEqual(reference.headers);
    expect(fast.bytes).toBe(reference.bytes);
    expect(Object.keys(fast.observations).sort()).toEqual(Object.keys(reference.observations).sort());
    for (const [key, seen] of Object.entries(reference.observations)) {
      expect(comparable(fast.observations[key] as Observation), `what the app saw of ${key}`).toEqual(comparable(seen));
    }
    return fast;
  }

  return { run, same };
}
