import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { BatchError } from '../errors.js';
import { reasonPhrase } from '../http-grammar.js';
import type { InnerRequest, InnerResponse } from '../operation.js';
import { answerHasBody, answerHeaders } from './answer-headers.js';
import { INNER_REQUEST, toError, type Dispatcher, type NodeHandler } from './dispatcher.js';
import { loadLightMyRequest } from './light-my-request.js';

/** Options of `createInjectDispatcher`. */
export interface InjectDispatcherOptions {
  /**
   * Set for frameworks that swap the prototype of `req`/`res` (Express does, in its
   * `init` middleware): light-my-request's capture methods are then copied onto each
   * instance, where a prototype swap can't hide them (THREATS V2). The framework's
   * shared prototypes are never touched (THREATS V1).
   * @default false
   */
  pinInjectedMethods?: boolean;
  /**
   * Mark each request as dispatched by inbatch, so a `batch()` endpoint refuses it as a
   * nested batch. Turned off only to send an *outer* batch in-process (the client's
   * testing helper).
   * @default true
   */
  markInner?: boolean;
}

// The light-my-request methods that capture the answer (its Response) or end the request.
const RESPONSE_METHODS = ['writeHead', 'write', 'end', 'destroy', 'setTimeout', 'addTrailers'] as const;

/** Per dispatch: handed to light-my-request as `server`, which it passes to the handler as `this`. */
interface DispatchState {
  request: InnerRequest;
  response: ServerResponse | undefined;
}

type Pinned = Record<string, unknown>;

/**
 * Lifecycle events as a request over the wire sees them (loggers, metrics and session
 * stores listen for them): light-my-request's `end` emits `finish` itself and Node's
 * response emits it again, and its request never emits `close`.
 */
function matchWireEvents(req: IncomingMessage, res: ServerResponse): void {
  const emit = res.emit.bind(res);
  let finished = false;
  res.emit = function emitOnce(this: ServerResponse, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'finish') {
      if (finished) return false;
      finished = true;
    }
    return emit(event, ...args);
  } as ServerResponse['emit'];
  res.once('close', () => req.emit('close'));
}

/**
 * light-my-request invents `User-Agent: lightMyRequest` and, for a missing or empty Host,
 * `Host: localhost:80` — which would pass localhost-only Host checks the outer request
 * does not (THREATS T15). Put back what the request had.
 */
function restoreHeader(req: IncomingMessage, name: 'user-agent' | 'host', value: string | undefined): void {
  if (req.headers[name] === value) return;
  for (let i = req.rawHeaders.length - 2; i >= 0; i -= 2) {
    if (req.rawHeaders[i]?.toLowerCase() === name) req.rawHeaders.splice(i, 2);
  }
  if (value === undefined) {
    delete req.headers[name];
  } else {
    req.headers[name] = value;
    req.rawHeaders.push(name, value);
  }
}

function collectBody(stream: Readable, maxBytes: number, onTooLarge: () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stream.destroy();
        onTooLarge();
        reject(
          new BatchError('batch.part.response_too_large', `The answer is larger than ${maxBytes} bytes.`, {
            limit: maxBytes,
          }),
        );
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => {
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    stream.once('error', (error) => {
      reject(
        new BatchError('batch.part.dispatch_failed', 'The app failed while sending its answer.', { cause: error }),
      );
    });
  });
}

/**
 * A dispatcher that runs inner requests through `handler` with light-my-request, in its
 * callback form (the promise form validates in a `nextTick`, where an error kills the
 * process — THREATS V3). Answers are read as streams so a huge one is cut off at
 * `maxResponseBytes` instead of buffered whole (THREATS V9).
 */
export function createInjectDispatcher(handler: NodeHandler, options: InjectDispatcherOptions = {}): Dispatcher {
  const pin = options.pinInjectedMethods === true;
  const markInner = options.markInner !== false;
  const inject = loadLightMyRequest();
  let responseMethods: Pinned | undefined;
  let requestDestroy: unknown;

  function injected(this: DispatchState, req: IncomingMessage, res: ServerResponse): void {
    this.response = res;
    const socket = req.socket as Socket & { encrypted?: boolean; remoteAddress: string | undefined };
    // The outer client's address and TLS flag, so req.ip / req.secure / ctx.ip read as they
    // did for the batch — never light-my-request's 127.0.0.1 (THREATS T13/V4).
    socket.remoteAddress = this.request.remoteAddress;
    if (this.request.encrypted) socket.encrypted = true;
    // light-my-request's socket is a bare EventEmitter, but Express's final handler calls
    // req.socket.destroy() when a route fails after its answer started; the TypeError would
    // be thrown from a setImmediate and take the process down. Destroying the socket ends
    // this operation's answer, as closing the connection would over the wire.
    socket.destroy = (error?: Error) => {
      res.destroy(error);
      return socket;
    };
    // light-my-request's `req.connection` getter prints a deprecation warning; Express 4 reads it.
    Object.defineProperty(req, 'connection', { value: socket, configurable: true, writable: true });
    if (markInner) (req as unknown as Record<symbol, unknown>)[INNER_REQUEST] = true;
    // The payload is all here from the start, as on a real request whose body has arrived,
    // on a connection that is open. body-parser 2 (through on-finished) reads
    // `!socket.readable || (complete && !req.readable)` to know a body was already parsed;
    // without these, a route-level parser after an app-wide one re-reads an ended stream.
    req.complete = true;
    (socket as { readable: boolean }).readable = true;
    restoreHeader(req, 'user-agent', this.request.headers['user-agent']);
    restoreHeader(req, 'host', this.request.headers.host);
    matchWireEvents(req, res);
    if (pin) {
      if (responseMethods === undefined) {
        const responseProto = Object.getPrototypeOf(res) as Pinned;
        responseMethods = {};
        for (const method of RESPONSE_METHODS) responseMethods[method] = responseProto[method];
        requestDestroy = (Object.getPrototypeOf(req) as Pinned).destroy;
      }
      Object.assign(res, responseMethods);
      (req as unknown as Pinned).destroy = requestDestroy;
    }
    try {
      const result = handler(req, res);
      if (result instanceof Promise) result.catch((error: unknown) => res.destroy(toError(error)));
    } catch (error) {
      res.destroy(toError(error));
    }
  }

  return (request, control) =>
    new Promise<InnerResponse>((resolve, reject) => {
      const state: DispatchState = { request, response: undefined };
      const onAbort = (): void => {
        state.response?.destroy();
      };
      if (control.signal.aborted) {
        reject(new BatchError('batch.part.not_started', 'The operation was cancelled before it started.'));
        return;
      }
      control.signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => control.signal.removeEventListener('abort', onAbort);
      try {
        inject(
          injected,
          {
            method: request.method,
            url: request.url,
            headers: request.headers,
            ...(request.body === undefined ? {} : { payload: request.body }),
            server: state as never,
            validate: false,
            payloadAsStream: true,
          },
          (error, response) => {
            if (error || !response) {
              done();
              reject(
                new BatchError('batch.part.dispatch_failed', 'The app closed the response without answering.', {
                  cause: error,
                }),
              );
              return;
            }
            const raw = response.raw.res;
            const hasBody = answerHasBody(request.method, response.statusCode);
            collectBody(response.stream(), control.maxResponseBytes, () => raw.destroy()).then(
              (body) => {
                done();
                resolve({
                  status: response.statusCode,
                  statusText: response.statusMessage || reasonPhrase(response.statusCode),
                  headers: answerHeaders(raw, body.length, hasBody),
                  body,
                });
              },
              (failure: Error) => {
                done();
                reject(failure);
              },
            );
          },
        );
      } catch (error) {
        done();
        reject(
          new BatchError('batch.part.dispatch_failed', 'The operation could not be dispatched.', { cause: error }),
        );
      }
    });
}
