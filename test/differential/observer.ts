import { IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isInnerRequest } from '@inbatch/core';

/** What the app saw of one inner request, from the moment the framework handed it over. */
export interface Observation {
  request: Record<string, unknown>;
  /** The framework's own view (`req.ip`, `ctx.hostname`…), as the probe middleware read it. */
  framework: Record<string, unknown>;
  /** req/res lifecycle events in the order they fired. */
  events: string[];
  /** Events on the socket: kept apart, since the dispatchers differ there on purpose (see lifecycle.test.ts). */
  socketEvents: string[];
  /** Whether `res` has closed (its record is complete after a short settle). */
  closed: boolean;
}

const REQUEST_EVENTS = ['close', 'end', 'aborted', 'error'] as const;
const RESPONSE_EVENTS = ['prefinish', 'finish', 'close', 'error', 'timeout', 'drain'] as const;

/** The request as Node's HTTP layer would describe it: what every framework builds on. */
function requestFacts(req: IncomingMessage): Record<string, unknown> {
  const socket = req.socket as Socket & { encrypted?: boolean };
  return {
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    headers: { ...req.headers },
    headersPrototype: Object.getPrototypeOf(req.headers) === Object.prototype ? 'Object' : 'other',
    rawHeaders: [...req.rawHeaders],
    complete: req.complete,
    readable: req.readable,
    aborted: req.aborted,
    isIncomingMessage: req instanceof IncomingMessage,
    setTimeout: typeof req.setTimeout,
    connectionIsSocket: (req as IncomingMessage & { connection?: unknown }).connection === req.socket,
    remoteAddress: socket.remoteAddress ?? null,
    remotePort: socket.remotePort ?? null,
    encrypted: socket.encrypted ?? null,
    socketReadable: socket.readable,
    socketMethods: (['setTimeout', 'setKeepAlive', 'setNoDelay', 'write', 'end'] as const).filter(
      (name) => typeof socket[name] === 'function',
    ),
  };
}

/**
 * Records what each inner request looks like to the app, keyed by its `X-Case` header,
 * so the same batch sent through both dispatchers can be compared observation by
 * observation. Outer requests (the batch itself) are not recorded.
 */
export class Observer {
  readonly seen = new Map<string, Observation>();

  /** Starts recording one request; `framework` is read by the caller from its framework's API. */
  track(req: IncomingMessage, res: ServerResponse, framework: Record<string, unknown>): void {
    if (!isInnerRequest(req)) return;
    const key = req.headers['x-case'];
    if (typeof key !== 'string') return;
    const observation: Observation = {
      request: requestFacts(req),
      framework,
      events: [],
      socketEvents: [],
      closed: false,
    };
    this.seen.set(key, observation);
    for (const name of REQUEST_EVENTS) {
      req.on(name, (error?: { code?: string }) => {
        observation.events.push(`req:${name}${name === 'error' ? `:${error?.code ?? 'error'}` : ''}`);
      });
    }
    for (const name of RESPONSE_EVENTS) {
      res.on(name, (error?: { code?: string }) => {
        observation.events.push(`res:${name}${name === 'error' ? `:${error?.code ?? 'error'}` : ''}`);
        if (name === 'close') observation.closed = true;
      });
    }
    req.socket.on('close', () => observation.socketEvents.push('socket:close'));
  }

  /** Waits until every case's response has closed (or `ms` passed), then lets late events land. */
  async settle(cases: readonly string[], ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && !cases.every((key) => this.seen.get(key)?.closed === true)) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Adds something only the app could see (a callback's error…) to a request's event list. */
  note(req: IncomingMessage, text: string): void {
    const key = req.headers['x-case'];
    if (typeof key === 'string') this.seen.get(key)?.events.push(`note:${text}`);
  }

  clear(): void {
    this.seen.clear();
  }
}
