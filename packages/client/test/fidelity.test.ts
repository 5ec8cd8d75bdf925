import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendBatch } from '@inbatch/client';
import { BINARY, FRAMEWORKS, startApp, type TestServer } from '../../../test/support/apps.js';
import { batchedView, DIALECTS, innerHits, outerBatches, snapshot, type Snapshot } from './helpers.js';

/** Requests whose answers must be the same batched as direct: name, path, init. */
const CASES: readonly (readonly [string, string, RequestInit?])[] = [
  ['a JSON GET', '/items/1'],
  ['a GET with escapes in its path and query', '/items/a%20b?x=1&y=%C3%BC&z'],
  [
    'a POST with a JSON body',
    '/echo',
    { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ a: [1, 'ü'] }) },
  ],
  [
    'a POST with a text body',
    '/echo-text',
    { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: 'a,b\n1,2' },
  ],
  [
    'a POST with a text body that ends in line breaks',
    '/echo-text',
    { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'line\r\n\r\n' },
  ],
  [
    'a POST with a binary body',
    '/echo-bytes',
    { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: new Uint8Array(BINARY) },
  ],
  ['a binary answer', '/binary'],
  ['a HEAD', '/items/1', { method: 'HEAD' }],
  ['an unknown path', '/nowhere'],
  ['a method the route does not answer', '/items/1', { method: 'DELETE' }],
  ['an answer that sets a cookie', '/set-cookie/flavour'],
  ['a streamed answer', '/stream'],
];

describe.each(FRAMEWORKS)('the client against a listening %s server', (framework) => {
  describe.each(DIALECTS)('in the %s dialect', (dialect) => {
    let app: TestServer;
    const direct: Snapshot[] = [];
    const batched: Snapshot[] = [];

    beforeAll(async () => {
      app = await startApp(framework);
      for (const [, path, init] of CASES) direct.push(await snapshot(await fetch(`${app.url}${path}`, init)));
      const responses = await sendBatch(
        CASES.map(([, path, init]) => [path, init] as const),
        { endpoint: `${app.url}/batch`, dialect },
      );
      for (const response of responses) batched.push(await snapshot(response));
    });
    afterAll(async () => {
      await app.close();
    });

    it.each(CASES.map(([name], index) => [name, index] as const))(
      'answers %s with the status, headers and body of a direct fetch',
      (_name, index) => {
        expect(batched[index]).toEqual(batchedView(direct[index] as Snapshot, dialect));
      },
    );

    it('sends them all in one POST /batch, and every inner request reaches the app once', () => {
      expect(outerBatches(app)).toEqual(['POST /batch']);
      const paths = CASES.map(([, path, init]) => `${init?.method ?? 'GET'} ${path}`);
      // Each path twice: once directly, once from the batch.
      expect(innerHits(app).sort()).toEqual([...paths, ...paths].sort());
    });

    it('delivers a JSON body to the app as sent', () => {
      expect(batched[2]?.status).toBe(201);
      expect(JSON.parse(String(batched[2]?.body))).toEqual({
        body: { a: [1, 'ü'] },
        contentType: 'application/json',
        contentLength: String(Buffer.byteLength(JSON.stringify({ a: [1, 'ü'] }))),
      });
    });

    it('delivers text and binary bodies to the app byte for byte', () => {
      expect(batched[3]?.status).toBe(200);
      expect(String(batched[3]?.body)).toBe('text/csv|a,b\n1,2');
      expect(String(batched[4]?.body)).toBe('text/plain|line\r\n\r\n');
      expect(batched[5]?.status).toBe(200);
      expect(batched[5]?.body.equals(BINARY)).toBe(true);
    });

    it('gives a HEAD answer no body', () => {
      expect(batched[7]).toMatchObject({ status: 200, hasBody: false, body: Buffer.alloc(0) });
    });

    it('answers a create with 201 and a Location the caller can read, like a direct POST', async () => {
      const init = {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'widget' }),
      };
      const directly = await fetch(`${app.url}/items`, init);
      const [response] = await sendBatch([['/items', init]], { endpoint: `${app.url}/batch`, dialect });
      const directBody = (await directly.json()) as { id: string };
      expect(response?.status).toBe(201);
      expect(response?.headers.get('location')).toMatch(/^\/items\/item-\d+$/);
      expect(response?.headers.get('location')).not.toBe(directly.headers.get('location'));
      const body = await response?.json();
      expect(body).toEqual({ id: body.id, name: 'widget' });
      expect(directBody).toEqual({ id: directBody.id, name: 'widget' });
      expect(response?.headers.get('location')).toBe(`/items/${body.id}`);
    });
  });
});
