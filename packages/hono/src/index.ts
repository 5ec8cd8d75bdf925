import type { Context, MiddlewareHandler } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';
import {
  answerHasBody,
  BatchError,
  createBatchEngine,
  declaredBodyLength,
  INNER_REQUEST,
  isInnerRequest,
  reasonPhrase,
  type BatchAnswer,
  type BatchOptions,
  type BatchRoute,
  type Dispatcher,
  type HeaderField,
  type InnerResponse,
} from '@inbatch/core';

export type { BatchOptions } from '@inbatch/core';

/** Whatever answers a fetch-standard `Request`: a Hono app (`app.fetch`), or any such handler. */
export interface FetchApp {
  fetch(request: Request, env?: unknown, executionCtx?: never): Response | Promise<Response>;
}

/** The options of the Hono middleware: inbatch's own, plus how to learn the client's address. */
export interface HonoBatchOptions extends BatchOptions {
  /**
   * Your runtime's conn-info helper (`getConnInfo` from `@hono/node-server/conninfo`,
   * `hono/bun`, `hono/deno`…): the client's address becomes the batch's owner and
   * rate-limit identity. Inner requests get the outer request's `env`, so the same helper
   * called inside them reads the same client.
   * @default none (the address is unknown to inbatch)
   */
  getConnInfo?: GetConnInfo;
}

/** Runs one inner request through `app.fetch`, with what the outer request ran with. */
interface FetchContext {
  origin: string;
  env: unknown;
  executionCtx: unknown;
}

function answerFields(headers: Headers, bodyLength: number, hasBody: boolean): HeaderField[] {
  const fields: HeaderField[] = [];
  // Headers joins repeated fields with ", "; Set-Cookie must stay one field per cookie.
  for (const [name, value] of headers) {
    if (name === 'set-cookie' || name === 'content-length' || name === 'transfer-encoding') continue;
    fields.push([name, value]);
  }
  for (const cookie of headers.getSetCookie()) fields.push(['set-cookie', cookie]);
  const length = headers.get('content-length');
  if (hasBody) fields.push(['content-length', String(bodyLength)]);
  else if (length !== null) fields.push(['content-length', length]);
  return fields;
}

/** Reads an answer's body under the byte cap; an abort (timeout, cancel) stops reading. */
async function readAnswer(response: Response, method: string, control: Parameters<Dispatcher>[1]) {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body !== null) {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const stop = (): void => void reader.cancel().catch(() => undefined);
    control.signal.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        const read = await reader.read();
        if (read.done) break;
        size += read.value.length;
        if (size > control.maxResponseBytes) {
          stop();
          throw new BatchError(
            'batch.part.response_too_large',
            `The answer is larger than ${control.maxResponseBytes} bytes.`,
            {
              limit: control.maxResponseBytes,
            },
          );
        }
        chunks.push(read.value);
      }
    } finally {
      control.signal.removeEventListener('abort', stop);
    }
  }
  const hasBody = answerHasBody(method, response.status);
  const answer: InnerResponse = {
    status: response.status,
    statusText: response.statusText || reasonPhrase(response.status),
    headers: answerFields(response.headers, size, hasBody),
    body: Buffer.concat(chunks, size),
  };
  return answer;
}

/**
 * `request.signal` is how a fetch handler sees its client go away: a timeout or a cancelled
 * batch aborts it, as a closed connection would. It is made only when a handler reads it:
 * a signal handed to `new Request()` costs a second AbortController, a WeakRef and a
 * finalizer per operation (~15 µs on Node 20, more than the whole Hono route), which most
 * handlers never look at.
 */
function lazySignal(request: Request): { abort: () => void } {
  let controller: AbortController | undefined;
  let aborted = false;
  Object.defineProperty(request, 'signal', {
    configurable: true,
    get(): AbortSignal {
      if (controller === undefined) {
        controller = new AbortController();
        if (aborted) controller.abort();
      }
      return controller.signal;
    },
  });
  return {
    abort: () => {
      aborted = true;
      controller?.abort();
    },
  };
}

/**
 * The dispatcher the middleware runs inner requests through (exported for the
 * benchmarks): each becomes a `Request` on the outer request's origin, marked as inner
 * (THREATS T7), handed to `app.fetch` with the outer `env` and execution context.
 *
 * @example
 * const dispatch = createFetchDispatcher(app, { origin: 'http://localhost', env: undefined, executionCtx: undefined });
 */
export function createFetchDispatcher(app: FetchApp, context: FetchContext): Dispatcher {
  return async (inner, control) => {
    if (control.signal.aborted) {
      throw new BatchError('batch.part.not_started', 'The operation was cancelled before it started.');
    }
    let request: Request;
    try {
      request = new Request(context.origin + inner.url, {
        method: inner.method,
        headers: inner.headers,
        ...(inner.body === undefined || inner.body.length === 0 ? {} : { body: inner.body }),
      });
    } catch (error) {
      // A body on GET or HEAD, which fetch's Request refuses.
      throw new BatchError('batch.part.dispatch_failed', 'The operation could not be dispatched.', { cause: error });
    }
    (request as unknown as Record<symbol, boolean>)[INNER_REQUEST] = true;
    const gone = lazySignal(request);
    control.signal.addEventListener('abort', gone.abort, { once: true });
    try {
      const response = await app.fetch(request, context.env, context.executionCtx as never);
      return await readAnswer(response, inner.method, control);
    } finally {
      control.signal.removeEventListener('abort', gone.abort);
    }
  };
}

function toResponse(answer: BatchAnswer): Response {
  if (Buffer.isBuffer(answer.body)) {
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  }
  const parts = answer.body[Symbol.asyncIterator]();
  // Pulled as the client reads: a slow client slows the batch instead of filling memory;
  // a client that goes away returns the generator, whose cleanup stops what still runs.
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await parts.next();
      if (next.done === true) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await parts.return?.();
    },
  });
  return new Response(stream, { status: answer.status, headers: answer.headers });
}

function executionContextOf(c: Context): unknown {
  try {
    return c.executionCtx;
  } catch {
    return undefined; // Node and Bun have none
  }
}

function headersOf(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) headers[name] = value;
  return headers;
}

/**
 * Hono middleware for a batch endpoint (default `POST /batch`) and the async routes
 * (`GET /batch/limits`, `GET|DELETE /batch/{id}`, the job files,
 * `PATCH /process/{resource}`). Inner requests are `Request` objects dispatched through
 * `app.fetch`, so every middleware and route of the app runs for each; answers stream
 * back in request order. Only fetch-standard APIs are used here (`@inbatch/core` itself
 * needs Node's APIs: Node, Bun, Deno).
 *
 * @example
 * import { Hono } from 'hono';
 * import { batch } from '@inbatch/hono';
 *
 * const app = new Hono();
 * app.use(batch(app));
 * app.get('/items/:id', (c) => c.json({ id: c.req.param('id') }));
 */
export function batch(app: FetchApp, options: HonoBatchOptions = {}): MiddlewareHandler {
  const { getConnInfo, ...own } = options;
  if (getConnInfo !== undefined && typeof getConnInfo !== 'function') {
    throw new TypeError('inbatch: option "getConnInfo" must be a function');
  }
  const engine = createBatchEngine(own);

  const serveBatch = async (c: Context, route: BatchRoute): Promise<Response> => {
    const raw = c.req.raw;
    const url = new URL(raw.url);
    const answer = await engine.handle(
      {
        method: raw.method,
        url: url.pathname + url.search,
        headers: headersOf(raw),
        remoteAddress: getConnInfo?.(c).remote.address,
        encrypted: url.protocol === 'https:',
        isInner: isInnerRequest(raw),
        body: {
          kind: 'web',
          stream: raw.body,
          declaredLength: declaredBodyLength(raw.headers.get('content-length')),
        },
        signal: raw.signal,
      },
      createFetchDispatcher(app, { origin: url.origin, env: c.env, executionCtx: executionContextOf(c) }),
      route,
    );
    return toResponse(answer);
  };

  // Not async: a request the endpoint doesn't serve (the app's own, every inner one) goes
  // on through `next()` with no promise of ours around it.
  return function inbatchHono(c, next) {
    if (engine.wantsDispatcher) {
      // A shared job store (Redis): this process runs jobs too, through the app with the
      // first request's origin and env bindings.
      const origin = new URL(c.req.raw.url).origin;
      const dispatcher = createFetchDispatcher(app, { origin, env: c.env, executionCtx: executionContextOf(c) });
      engine.serve(() => dispatcher);
    }
    const route = engine.match(c.req.method, c.req.path);
    return route === undefined ? next() : serveBatch(c, route);
  };
}
