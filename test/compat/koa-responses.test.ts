import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import Router from '@koa/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch } from '@inbatch/koa';
import { KOA, batchOf, gets, koaListener, useServers } from './helpers.js';

const FILE_BYTES = randomBytes(200 * 1024);
let directory: string;
let filePath: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'inbatch-compat-'));
  filePath = join(directory, 'blob.bin');
  await writeFile(filePath, FILE_BYTES);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe.each(KOA)('Koa responses inside inner requests, on %s', (_name, Koa) => {
  const serve = useServers();

  function responsesApp(hits: string[] = []) {
    const app = new Koa();
    app.silent = true;
    app.use(async (ctx, next) => {
      hits.push(`${ctx.method} ${ctx.url}`);
      await next();
    });
    app.use(batch());
    const router = new Router();
    router.get('/json', (ctx) => {
      ctx.body = { name: 'widget', tags: ['a', 'ü'] };
    });
    router.get('/text', (ctx) => {
      ctx.body = 'plain text, ünïcödé';
    });
    router.get('/buffer', (ctx) => {
      ctx.body = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    });
    router.get('/file-stream', (ctx) => {
      ctx.type = 'application/octet-stream';
      ctx.body = createReadStream(filePath);
    });
    router.get('/generated-stream', (ctx) => {
      ctx.type = 'text/plain';
      ctx.body = Readable.from(
        (async function* () {
          for (const chunk of ['one,', 'two,', 'three']) {
            yield Buffer.from(chunk);
            await delay(1);
          }
        })(),
      );
    });
    router.post('/created', (ctx) => {
      ctx.status = 201;
      ctx.body = { created: true };
    });
    router.get('/teapot', (ctx) => {
      ctx.status = 418;
      ctx.body = 'short and stout';
    });
    router.delete('/nothing', (ctx) => {
      ctx.status = 204;
    });
    router.get('/old', (ctx) => {
      ctx.redirect('/new');
    });
    router.get('/new', (ctx) => {
      ctx.body = { moved: true };
    });
    app.use(router.routes());
    return app;
  }

  it('delivers an object ctx.body as JSON', async () => {
    const server = await serve(koaListener(responsesApp()));
    const reply = await batchOf(server, gets('/json'));
    const [part] = reply.parts;
    expect(reply.status).toBe(200);
    expect(part?.status).toBe(200);
    expect(part?.headers['content-type']).toEqual(['application/json; charset=utf-8']);
    expect(part?.json()).toEqual({ name: 'widget', tags: ['a', 'ü'] });
  });

  it('delivers a string ctx.body as text/plain with UTF-8 intact', async () => {
    const server = await serve(koaListener(responsesApp()));
    const [part] = (await batchOf(server, gets('/text'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-type']).toEqual(['text/plain; charset=utf-8']);
    expect(part?.text).toBe('plain text, ünïcödé');
  });

  it('delivers a Buffer ctx.body byte for byte as application/octet-stream', async () => {
    const server = await serve(koaListener(responsesApp()));
    const [part] = (await batchOf(server, gets('/buffer'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-type']).toEqual(['application/octet-stream']);
    expect(part?.body.equals(Buffer.from([0, 1, 2, 0xfe, 0xff]))).toBe(true);
  });

  it('delivers a file stream ctx.body with bytes equal to the file', async () => {
    const server = await serve(koaListener(responsesApp()));
    const [part] = (await batchOf(server, gets('/file-stream'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-length']).toEqual([String(FILE_BYTES.length)]);
    expect(part?.body.equals(FILE_BYTES)).toBe(true);
  });

  it('delivers a generated Readable ctx.body as one body', async () => {
    const server = await serve(koaListener(responsesApp()));
    const [part] = (await batchOf(server, gets('/generated-stream'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-length']).toEqual(['13']);
    expect(part?.text).toBe('one,two,three');
  });

  it('keeps the status set with ctx.status, including unusual ones and 204', async () => {
    const server = await serve(koaListener(responsesApp()));
    const reply = await batchOf(server, [
      { method: 'POST', url: '/created' },
      { method: 'GET', url: '/teapot' },
      { method: 'DELETE', url: '/nothing' },
    ]);
    expect(reply.parts.map((part) => [part.status, part.statusText, part.text])).toEqual([
      [201, 'Created', '{"created":true}'],
      // Koa 2 takes the reason phrase from `statuses` ("I'm a teapot"), Koa 3 from Node.
      [418, expect.stringMatching(/^I'm a teapot$/i), 'short and stout'],
      [204, 'No Content', ''],
    ]);
  });

  it('answers ctx.redirect() with 302 and Location in the part, without following it', async () => {
    const hits: string[] = [];
    const server = await serve(koaListener(responsesApp(hits)));
    const [part] = (await batchOf(server, gets('/old'))).parts;
    expect(part?.status).toBe(302);
    expect(part?.headers.location).toEqual(['/new']);
    expect(part?.text).toBe('Redirecting to /new.');
    expect(hits).toEqual(['POST /batch', 'GET /old']);
  });
});
