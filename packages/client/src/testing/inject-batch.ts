import { createInjectDispatcher } from '@inbatch/core';
import { readBatchAnswer } from '../answer.js';
import type { DialectName } from '../dialects/dialect.js';
import { encodeBatch } from '../encode.js';
import type { BatchHeaders } from '../options.js';
import { batchInputToRequest, type BatchInput } from '../request-input.js';
import type { TypedResponse } from '../typed-response.js';
import { appHandler, type InjectableApp } from './app-handler.js';

/** Options of `injectBatch`. */
export interface InjectBatchOptions {
  /**
   * The wire dialect of the outer request.
   * @default 'multipart'
   */
  dialect?: DialectName;
  /**
   * The path of the batch endpoint, as the client would send it (`/api/batch` when
   * `batch()` is mounted under `/api`).
   * @default '/batch'
   */
  path?: string;
  /**
   * Headers of the outer request, which the server applies to every inner request
   * (except `Content-*`): `Authorization`, `Cookie`…
   * @default {}
   */
  headers?: BatchHeaders;
  /**
   * The client address of the outer request, which every inner request carries
   * (`req.ip`, `ctx.ip`).
   * @default '127.0.0.1'
   */
  remoteAddress?: string;
  /**
   * Whether the outer request looks like it came over TLS (`req.secure`, `ctx.secure`).
   * @default false
   */
  encrypted?: boolean;
  /**
   * What relative request URLs resolve against. Only the path and query reach the app.
   * @default 'http://localhost'
   */
  origin?: string;
}

/**
 * Sends requests as one batch straight into an Express or Koa app (or a `(req, res)`
 * listener), with no server listening, and resolves to their answers as standard
 * `Response`s in order. The outer request goes through the whole app, like one from a
 * client, so the app's `batch()` endpoint handles it. A refused batch rejects with a
 * `BatchRequestError` carrying its status and the server's error.
 *
 * @example
 * const [item, created] = await injectBatch(app, [
 *   '/items/1',
 *   ['/items', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"x"}' }],
 * ]);
 * expect(item.status).toBe(200);
 * expect(await created.json()).toMatchObject({ name: 'x' });
 */
export async function injectBatch(
  app: InjectableApp,
  requests: readonly BatchInput[],
  options: InjectBatchOptions = {},
): Promise<TypedResponse[]> {
  const { listener, pinInjectedMethods } = appHandler(app);
  const origin = options.origin ?? 'http://localhost';
  const batch = await encodeBatch(
    requests.map((input) => batchInputToRequest(input, origin)),
    options.dialect === undefined ? {} : { dialect: options.dialect },
  );
  const headers: Record<string, string> = {};
  new Headers(options.headers).forEach((value, name) => {
    headers[name] = value;
  });
  headers['content-type'] = batch.contentType;
  // Not marked as inner: this is the outer request, which the app's batch() must accept.
  const dispatch = createInjectDispatcher(listener, { markInner: false, pinInjectedMethods });
  const answer = await dispatch(
    {
      method: 'POST',
      url: options.path ?? '/batch',
      headers,
      body: Buffer.from(batch.body.buffer, batch.body.byteOffset, batch.body.byteLength),
      remoteAddress: options.remoteAddress ?? '127.0.0.1',
      encrypted: options.encrypted === true,
    },
    { signal: new AbortController().signal, maxResponseBytes: Number.POSITIVE_INFINITY },
  );
  const outerHeaders = new Headers();
  for (const [name, value] of answer.headers) outerHeaders.append(name, value);
  const response = new Response(new Uint8Array(answer.body), { status: answer.status, headers: outerHeaders });
  return readBatchAnswer(response, batch);
}
