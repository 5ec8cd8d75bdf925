import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { setTimeout as delay } from 'node:timers/promises';
import { createBatchHandler } from '@inbatch/core';
import type { AppOptions, Recorder } from './apps.js';

let created = 0;

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The test API of apps.ts as a plain node:http listener wrapped by createBatchHandler.
 * With `trustProxy` the app reads the forwarding headers itself, as one behind a proxy does.
 */
export function nodeApp(recorder: Recorder, options: AppOptions, binary: Buffer): RequestListener {
  const routes = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    recorder.hits.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://x');
    const [, first = '', second = ''] = url.pathname.split('/');
    // HEAD is answered like GET, as routers do (Node drops the body).
    const route = `${req.method === 'HEAD' ? 'GET' : req.method} /${first}`;
    if (route === 'GET /whoami') {
      const trust = options.trustProxy === true;
      const forwarded = trust
        ? String(req.headers['x-forwarded-for'] ?? '')
            .split(',')[0]
            ?.trim() || undefined
        : undefined;
      const proto = trust ? (req.headers['x-forwarded-proto'] as string | undefined) : undefined;
      const protocol = proto ?? ((req.socket as TLSSocket).encrypted ? 'https' : 'http');
      json(res, 200, {
        ip: forwarded ?? req.socket.remoteAddress,
        secure: protocol === 'https',
        protocol,
        hostname: (req.headers.host ?? '').replace(/:\d+$/, ''),
        method: req.method,
        url: req.url,
        headers: req.headers,
        query: Object.fromEntries(url.searchParams),
      });
    } else if (route === 'GET /items') json(res, 200, { id: second });
    else if (route === 'POST /echo') {
      const text = (await bodyOf(req)).toString();
      json(res, 201, {
        body: text === '' ? {} : JSON.parse(text),
        contentType: req.headers['content-type'] ?? null,
        contentLength: req.headers['content-length'] ?? null,
      });
    } else if (route === 'GET /slow') {
      await delay(Number(second));
      json(res, 200, { ms: Number(second) });
    } else if (route === 'GET /never') {
      res.on('close', () => recorder.events.push('closed /never'));
    } else if (route === 'GET /big') {
      res.setHeader('content-type', 'text/plain');
      res.end('x'.repeat(Number(second)));
    } else if (route === 'GET /stream') {
      res.setHeader('content-type', 'text/plain');
      for (const chunk of ['a', 'b', 'c']) {
        res.write(chunk);
        await delay(2);
      }
      res.end();
    } else if (route === 'GET /set-cookie') {
      res.setHeader('set-cookie', `${second}=1; Path=/`);
      json(res, 200, { set: second });
    } else if (route === 'GET /fail') {
      throw new Error('route failed');
    } else if (route === 'GET /admin' && second === 'secret') json(res, 200, { secret: true });
    else if (route === 'POST /items') {
      const id = `item-${++created}`;
      res.setHeader('location', `/items/${id}`);
      json(res, 201, { id, ...(JSON.parse((await bodyOf(req)).toString()) as object) });
    } else if (route === 'GET /binary') {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(binary);
    } else if (route === 'POST /echo-text') {
      res.setHeader('content-type', 'text/plain');
      res.end(`${req.headers['content-type']}|${(await bodyOf(req)).toString()}`);
    } else if (route === 'POST /echo-bytes') {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(await bodyOf(req));
    } else json(res, 404, { error: 'not found' });
  };
  const app = (req: IncomingMessage, res: ServerResponse): void => {
    routes(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { error: 'internal' });
      else res.destroy();
    });
  };
  return createBatchHandler(app, options.batch);
}
