import { afterEach, describe, expect, it } from 'vitest';
import { CONFORMANCE_FRAMEWORKS, startApp, type TestServer } from '../support/apps.js';
import { send, sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

const innerHits = (app: TestServer) => app.hits.filter((hit) => !hit.includes('/batch'));

describe.each(CONFORMANCE_FRAMEWORKS)('errors on %s', (framework) => {
  let app: TestServer;
  afterEach(async () => {
    await app.close();
  });

  it('answers GET /batch with 405 batch.method_not_allowed and Allow: POST', async () => {
    app = await startApp(framework);
    const reply = await send(app.url, '/batch');
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('POST');
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.json()).toEqual({
      error: {
        code: 'batch.method_not_allowed',
        message: 'Batches are sent with POST, not GET.',
        part: null,
        line: null,
      },
    });
  });

  it('refuses a body that is not multipart/mixed with 415 batch.unsupported_media_type', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, { contentType: 'text/plain', body: 'GET /items/1' });
    expect(reply.status).toBe(415);
    expect(reply.json().error).toMatchObject({ code: 'batch.unsupported_media_type' });
  });

  it('refuses a compressed batch with 415 batch.unsupported_encoding', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/items/1' }]), {
      headers: { 'Content-Encoding': 'gzip' },
    });
    expect(reply.status).toBe(415);
    expect(reply.json().error).toMatchObject({ code: 'batch.unsupported_encoding' });
    expect(innerHits(app)).toEqual([]);
  });

  it('refuses multipart/mixed without a boundary with 400 batch.malformed', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, { contentType: 'multipart/mixed', body: '--x\r\n\r\nGET /a\r\n--x--' });
    expect(reply.status).toBe(400);
    expect(reply.json().error).toMatchObject({ code: 'batch.malformed', part: null });
  });

  it('refuses a batch that never closes with 400 batch.malformed naming the part and line, and runs nothing', async () => {
    app = await startApp(framework);
    const body =
      '--b\r\nContent-Type: application/http\r\n\r\nGET /items/1\r\n--b\r\nContent-Type: application/http\r\n\r\nGET /items/2\r\n';
    const reply = await sendBatch(app.url, { contentType: 'multipart/mixed; boundary=b', body });
    expect(reply.status).toBe(400);
    expect(reply.json()).toEqual({
      error: {
        code: 'batch.malformed',
        message: 'Part 2 is not followed by a delimiter: the batch must end with "--b--".',
        part: 2,
        line: 6,
      },
    });
    expect(innerHits(app)).toEqual([]);
  });

  it('refuses a batch with no operations with 400 batch.empty', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, { contentType: 'multipart/mixed; boundary=b', body: '--b--\r\n' });
    expect(reply.status).toBe(400);
    expect(reply.json().error).toMatchObject({ code: 'batch.empty' });
  });

  it('answers a bad part in its own slot with its part number and line, and runs the others', async () => {
    app = await startApp(framework);
    const body = [
      '--b',
      'Content-Type: application/http',
      '',
      'GET /items/1',
      '--b',
      'Content-Type: application/http',
      '',
      'GET http://evil.example/items/2 HTTP/1.1',
      '--b',
      'Content-Type: application/http',
      '',
      'FOO /items/3',
      '--b',
      'Content-Type: text/plain',
      '',
      'GET /items/4',
      '--b',
      'Content-Type: application/http',
      '',
      'GET /items/5',
      '--b--',
      '',
    ].join('\r\n');
    const reply = await sendBatch(app.url, { contentType: 'multipart/mixed; boundary=b', body });
    expect(reply.status).toBe(200);
    expect(reply.parts.map((part) => part.status)).toEqual([200, 400, 400, 400, 200]);
    expect(reply.parts[1]?.json()).toEqual({
      error: {
        code: 'batch.part.target',
        message: 'Absolute URLs are not allowed in a batch; send the path only.',
        part: 2,
        line: 8,
      },
    });
    expect(reply.parts[2]?.json().error).toMatchObject({ code: 'batch.part.method', part: 3, line: 12 });
    expect(reply.parts[3]?.json().error).toMatchObject({ code: 'batch.part.malformed', part: 4 });
    expect(innerHits(app)).toEqual(['GET /items/1', 'GET /items/5']);
  });
});
