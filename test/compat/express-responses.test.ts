import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch } from '@inbatch/express';
import { EXPRESS, batchOf, gets, useServers } from './helpers.js';

// 200 KiB of random bytes: several read-stream chunks, and any re-encoding would show.
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

describe.each(EXPRESS)('Express responses inside inner requests, on %s', (_name, express) => {
  const serve = useServers();

  function responsesApp(hits: string[] = []) {
    const app = express();
    app.use((req, _res, next) => {
      hits.push(`${req.method} ${req.url}`);
      next();
    });
    app.use(batch());
    app.get('/json', (_req, res) => {
      res.json({ name: 'widget', tags: ['a', 'ü'] });
    });
    app.get('/text', (_req, res) => {
      res.send('plain text, ünïcödé');
    });
    app.get('/buffer', (_req, res) => {
      res.send(Buffer.from([0, 1, 2, 0xfe, 0xff]));
    });
    app.post('/created', (_req, res) => {
      res.status(201).json({ created: true });
    });
    app.get('/teapot', (_req, res) => {
      res.status(418).send('short and stout');
    });
    app.get('/old', (_req, res) => {
      res.redirect('/new');
    });
    app.get('/new', (_req, res) => {
      res.json({ moved: true });
    });
    app.get('/file', (_req, res) => {
      res.sendFile(filePath);
    });
    app.get('/piped', (_req, res) => {
      res.type('application/octet-stream');
      createReadStream(filePath).pipe(res);
    });
    app.get('/chunks', async (_req, res) => {
      res.type('text/plain');
      for (const chunk of ['one,', 'two,', 'three']) {
        res.write(chunk);
        await delay(1);
      }
      res.end();
    });
    return app;
  }

  it('delivers res.json() as the app wrote it', async () => {
    const server = await serve(responsesApp());
    const reply = await batchOf(server, gets('/json'));
    const [part] = reply.parts;
    expect(reply.status).toBe(200);
    expect(part?.status).toBe(200);
    expect(part?.headers['content-type']).toEqual(['application/json; charset=utf-8']);
    expect(part?.json()).toEqual({ name: 'widget', tags: ['a', 'ü'] });
  });

  it('delivers res.send(string) as text/html with UTF-8 intact', async () => {
    const server = await serve(responsesApp());
    const [part] = (await batchOf(server, gets('/text'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-type']).toEqual(['text/html; charset=utf-8']);
    expect(part?.text).toBe('plain text, ünïcödé');
  });

  it('delivers res.send(Buffer) byte for byte as application/octet-stream', async () => {
    const server = await serve(responsesApp());
    const [part] = (await batchOf(server, gets('/buffer'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-type']).toEqual(['application/octet-stream']);
    expect(part?.body.equals(Buffer.from([0, 1, 2, 0xfe, 0xff]))).toBe(true);
  });

  it('keeps the status set with res.status(), including unusual ones', async () => {
    const server = await serve(responsesApp());
    const reply = await batchOf(server, [
      { method: 'POST', url: '/created' },
      { method: 'GET', url: '/teapot' },
    ]);
    expect(reply.parts.map((part) => [part.status, part.statusText, part.text])).toEqual([
      [201, 'Created', '{"created":true}'],
      [418, "I'm a Teapot", 'short and stout'],
    ]);
  });

  it('answers res.redirect() with 302 and Location in the part, without following it', async () => {
    const hits: string[] = [];
    const server = await serve(responsesApp(hits));
    const [part] = (await batchOf(server, gets('/old'))).parts;
    expect(part?.status).toBe(302);
    expect(part?.headers.location).toEqual(['/new']);
    expect(part?.text).toBe('Found. Redirecting to /new');
    expect(hits).toEqual(['POST /batch', 'GET /old']);
  });

  it('delivers res.sendFile() of a real file with bytes equal to the file', async () => {
    const server = await serve(responsesApp());
    const [part] = (await batchOf(server, gets('/file'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-length']).toEqual([String(FILE_BYTES.length)]);
    expect(part?.headers['accept-ranges']).toEqual(['bytes']);
    expect(part?.body.equals(FILE_BYTES)).toBe(true);
  });

  it('answers an inner Range request to res.sendFile() with 206 and exactly those bytes', async () => {
    const server = await serve(responsesApp());
    const [part] = (await batchOf(server, [{ method: 'GET', url: '/file', headers: { Range: 'bytes=100-1123' } }]))
      .parts;
    expect(part?.status).toBe(206);
    expect(part?.headers['content-range']).toEqual([`bytes 100-1123/${FILE_BYTES.length}`]);
    expect(part?.body.equals(FILE_BYTES.subarray(100, 1124))).toBe(true);
  });

  it('answers an inner If-None-Match that matches the ETag with 304 and no body', async () => {
    const server = await serve(responsesApp());
    const first = await batchOf(server, gets('/json'));
    const etag = first.parts[0]?.headers.etag?.[0] ?? '';
    expect(etag).toMatch(/^W\/"/);
    const [part] = (await batchOf(server, [{ method: 'GET', url: '/json', headers: { 'If-None-Match': etag } }])).parts;
    expect(part?.status).toBe(304);
    expect(part?.text).toBe('');
    expect(part?.headers['content-length']).toBeUndefined();
  });

  it('delivers a body piped from fs.createReadStream() byte for byte', async () => {
    const server = await serve(responsesApp());
    const [part] = (await batchOf(server, gets('/piped'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-length']).toEqual([String(FILE_BYTES.length)]);
    expect(part?.body.equals(FILE_BYTES)).toBe(true);
  });

  it('delivers a body written with res.write() and res.end() as one body', async () => {
    const server = await serve(responsesApp());
    const [part] = (await batchOf(server, gets('/chunks'))).parts;
    expect(part?.status).toBe(200);
    expect(part?.headers['content-type']).toEqual(['text/plain; charset=utf-8']);
    expect(part?.headers['content-length']).toEqual(['13']);
    expect(part?.text).toBe('one,two,three');
  });
});
