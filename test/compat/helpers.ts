import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { afterEach } from 'vitest';
import { listen } from '../support/apps.js';
import { sendBatch, type BatchReply, type SendOptions } from '../support/http.js';
import { buildBatch, type PartSpec } from '../support/multipart.js';

/** Both Express majors, each under the name its tests are reported with. */
export const EXPRESS = [
  ['express5', express5],
  ['express4', express4],
] as const;

/** Both Koa majors, each under the name its tests are reported with. */
export const KOA = [
  ['koa3', Koa3],
  ['koa2', Koa2],
] as const;

export type Listening = Awaited<ReturnType<typeof listen>>;

/** A Koa app as a Node request listener (its callback returns a promise `listen` does not await). */
export function koaListener(app: { callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void> }) {
  const handle = app.callback();
  const listener: RequestListener = (req, res) => void handle(req, res);
  return listener;
}

/**
 * Listens on port 0 and closes every server a test started in `afterEach`, so a failed
 * assertion never leaves one open. Call once per `describe`.
 */
export function useServers() {
  const open: Listening[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((server) => server.close()));
  });
  return async (listener: RequestListener, options: { https?: boolean } = {}): Promise<Listening> => {
    const server = await listen(listener, options);
    open.push(server);
    return server;
  };
}

/** Sends one batch of the given parts. */
export function batchOf(
  server: Listening,
  parts: readonly PartSpec[],
  options: Omit<SendOptions, 'body'> = {},
): Promise<BatchReply> {
  return sendBatch(server.url, buildBatch(parts), options);
}

/** `count` copies of one GET part. */
export function gets(url: string, count = 1): PartSpec[] {
  return Array.from({ length: count }, () => ({ method: 'GET', url }));
}

/** `name=value` pairs of Set-Cookie values, without their attributes. */
export function cookiePairs(setCookie: readonly string[] | undefined): string[] {
  return (setCookie ?? []).map((line) => line.split(';')[0] ?? '');
}
