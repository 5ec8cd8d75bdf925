import { request, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { send } from '../support/http.js';
import { startAsyncApp, type AsyncApp } from './apps.js';
import { sendJson, waitFor, waitForJob } from './helpers.js';

const ALICE = { authorization: 'Bearer alice-events' };

interface ServerEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

/** An open event stream: the events parsed so far, and how to close it from the client side. */
interface EventStream {
  status: number;
  headers: IncomingMessage['headers'];
  events: ServerEvent[];
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
  text: () => string;
}

function openStream(baseUrl: string, path: string, headers: Record<string, string>): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: ServerEvent[] = [];
      let buffered = '';
      let raw = '';
      let endStream!: () => void;
      const ended = new Promise<void>((done) => (endStream = done));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        buffered += chunk;
        let split: number;
        while ((split = buffered.indexOf('\n\n')) !== -1) {
          const block = buffered.slice(0, split);
          buffered = buffered.slice(split + 2);
          const event: ServerEvent = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(':');
              const field = line.slice(0, colon) as keyof ServerEvent;
              event[field] = line.slice(colon + 1).trimStart();
            }
          }
          events.push(event);
        }
      });
      res.on('end', endStream);
      res.on('close', endStream);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        ended,
        close: () => req.destroy(),
        text: () => raw,
      });
    });
    req.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
    req.end();
  });
}

function heldBatch(gates: string[]) {
  return {
    batch: {
      operations: gates.map((gate) => ({ operationId: gate, method: 'GET', endpoint: `/gate/${gate}` })),
    },
  };
}

describe.each(FRAMEWORKS)('live progress as Server-Sent Events on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });

  it('sends the current state first, then progress in order, then the final document, and closes', async () => {
    app = await startAsyncApp(framework, { concurrency: 1 });
    const { uuid } = (await sendJson(app.url, '/batch', heldBatch(['e1', 'e2', 'e3']), { headers: ALICE })).json();
    await waitFor(() => app.hits.includes('GET /gate/e1'), 'the first operation');
    const stream = await openStream(app.url, `/batch/${uuid}`, ALICE);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toBe('no-store');
    await waitFor(() => stream.events.some((e) => e.event === 'progress'), 'the first event');
    const first = stream.events.find((e) => e.event === 'progress') as ServerEvent;
    expect(JSON.parse(first.data as string)).toEqual({
      id: uuid,
      kind: 'operations',
      status: 'running',
      progress: { total: 3, done: 0, failed: 0, cancelled: 0 },
    });
    for (const gate of ['e1', 'e2', 'e3']) {
      app.gates.open(gate);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await stream.ended;
    expect(stream.events[0]?.retry).toBe('2000');
    const progress = stream.events.filter((e) => e.event === 'progress');
    const done = progress.map((e) => (JSON.parse(e.data as string) as { progress: { done: number } }).progress.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(progress.map((e) => Number(e.id))).toEqual(done);
    const last = stream.events.at(-1) as ServerEvent;
    expect(last.event).toBe('end');
    expect(last.id).toBe('3');
    const status = await send(app.url, `/batch/${uuid}`, { headers: ALICE });
    expect(JSON.parse(last.data as string)).toEqual(status.json());
  });

  it('answers a job that already ended with its final document at once', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (
      await sendJson(
        app.url,
        '/batch',
        { batch: { operations: [{ operationId: 'q', method: 'GET', endpoint: '/items/1' }] } },
        { headers: ALICE },
      )
    ).json();
    await waitForJob(app.url, uuid, { headers: ALICE });
    const stream = await openStream(app.url, `/batch/${uuid}`, ALICE);
    await stream.ended;
    expect(stream.events.map((e) => e.event).filter(Boolean)).toEqual(['end']);
    expect(JSON.parse(stream.events.at(-1)?.data as string).status).toBe('finished');
  });

  it('answers another owner 404 like every job route, not a stream', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (await sendJson(app.url, '/batch', heldBatch(['mine']), { headers: ALICE })).json();
    const stream = await openStream(app.url, `/batch/${uuid}`, { authorization: 'Bearer mallory' });
    await stream.ended;
    expect(stream.status).toBe(404);
    expect(stream.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(stream.text()).error.code).toBe('batch.job_not_found');
    app.gates.open('mine');
    await waitForJob(app.url, uuid, { headers: ALICE });
  });

  it('caps streams per owner, and frees a stream the client closed', async () => {
    app = await startAsyncApp(framework);
    const { uuid } = (await sendJson(app.url, '/batch', heldBatch(['cap']), { headers: ALICE })).json();
    for (let round = 0; round < 3; round++) {
      const open = await Promise.all(Array.from({ length: 5 }, () => openStream(app.url, `/batch/${uuid}`, ALICE)));
      expect(open.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
      const sixth = await openStream(app.url, `/batch/${uuid}`, ALICE);
      await sixth.ended;
      expect(sixth.status).toBe(429);
      expect(sixth.headers['retry-after']).toBe('30');
      expect(JSON.parse(sixth.text()).error).toMatchObject({ code: 'batch.stream_limit', limit: 5 });
      for (const stream of open) stream.close();
      // The server notices the client left and gives the slots back (the next round opens 5 again).
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    app.gates.open('cap');
    await waitForJob(app.url, uuid, { headers: ALICE });
  });
});
