import { afterEach, describe, expect, it } from 'vitest';
import { BatchRequestError, createBatch, sendBatch } from '@inbatch/client';
import { startApp, type TestServer } from '../../../test/support/apps.js';
import { DIALECTS, outerBatches } from './helpers.js';

describe.each(DIALECTS)('an explicit batch (%s)', (dialect) => {
  let app: TestServer;
  afterEach(async () => {
    await app.close();
  });

  it('sends every added request in one POST /batch, settling each add() and send() in order', async () => {
    app = await startApp('express5');
    const batch = createBatch({ endpoint: `${app.url}/batch`, dialect });
    const item = batch.add('/items/1');
    const echo = batch.add('/echo', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ n: 1 }),
    });
    expect(batch.size).toBe(2);
    const responses = await batch.send();
    expect(responses.map((response) => response.status)).toEqual([200, 201]);
    expect(await (await item).json()).toEqual({ id: '1' });
    expect(await (await echo).json()).toMatchObject({ body: { n: 1 } });
    expect(responses[0]).toBe(await item);
    expect(outerBatches(app)).toEqual(['POST /batch']);
  });

  it('sends once: a second send() returns the same answers without another request', async () => {
    app = await startApp('koa3');
    const batch = createBatch({ endpoint: `${app.url}/batch`, dialect });
    void batch.add('/items/1');
    const first = batch.send();
    const second = batch.send();
    expect(second).toBe(first);
    const responses = await second;
    expect([responses.length, responses[0]?.status, await responses[0]?.json()]).toEqual([1, 200, { id: '1' }]);
    expect(outerBatches(app)).toEqual(['POST /batch']);
  });

  it('refuses add() once the batch was sent', async () => {
    app = await startApp('express5');
    const batch = createBatch({ endpoint: `${app.url}/batch`, dialect });
    void batch.add('/items/1');
    const sent = batch.send();
    expect(() => batch.add('/items/2')).toThrow(
      'inbatch: this batch was already sent; create another with createBatch().',
    );
    expect((await sent).map((response) => response.status)).toEqual([200]);
  });

  it('resolves an empty batch to no answers without sending anything', async () => {
    app = await startApp('express5');
    const responses = await createBatch({ endpoint: `${app.url}/batch`, dialect }).send();
    expect(responses).toEqual([]);
    expect(app.hits).toEqual([]);
  });

  it('rejects send() and every add() with the refusal when the server refuses the batch', async () => {
    app = await startApp('koa3', { batch: { maxOperations: 1 } });
    const batch = createBatch({ endpoint: `${app.url}/batch`, dialect });
    const first = batch.add('/items/1');
    const second = batch.add('/items/2');
    const sent = batch.send();
    await expect(sent).rejects.toBeInstanceOf(BatchRequestError);
    await expect(sent).rejects.toMatchObject({ status: 413, code: 'batch.too_many_operations' });
    await expect(first).rejects.toBe(await sent.catch((error: unknown) => error));
    await expect(second).rejects.toMatchObject({ status: 413 });
  });

  it('sends nothing when one request can’t be read, rejecting send() and every add()', async () => {
    app = await startApp('express5');
    const batch = createBatch({ endpoint: `${app.url}/batch`, dialect });
    const used = new Request(`${app.url}/echo-text`, { method: 'POST', body: 'once' });
    await used.text();
    const fine = batch.add('/items/1');
    const spent = batch.add(used);
    await expect(batch.send()).rejects.toBeInstanceOf(TypeError);
    await expect(fine).rejects.toBeInstanceOf(TypeError);
    await expect(spent).rejects.toBeInstanceOf(TypeError);
    expect(app.hits).toEqual([]);
  });
});

describe('sendBatch', () => {
  let app: TestServer;
  afterEach(async () => {
    await app.close();
  });

  it('takes URLs, Requests and [input, init] pairs, and answers them in order', async () => {
    app = await startApp('express5');
    const responses = await sendBatch(
      [
        '/items/a',
        new URL(`${app.url}/items/b`),
        new Request(`${app.url}/items/c`),
        ['/echo-text', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'd' }],
      ],
      { endpoint: `${app.url}/batch` },
    );
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    expect(await Promise.all(responses.slice(0, 3).map((response) => response.json()))).toEqual([
      { id: 'a' },
      { id: 'b' },
      { id: 'c' },
    ]);
    expect(await responses[3]?.text()).toBe('text/plain|d');
    expect(outerBatches(app)).toEqual(['POST /batch']);
  });

  it('uses the fetch it is given for the outer request', async () => {
    app = await startApp('koa3');
    const seen: string[] = [];
    const responses = await sendBatch(['/items/1'], {
      endpoint: `${app.url}/batch`,
      fetch: (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        seen.push(`${init?.method} ${url} ${new Headers(init?.headers).get('content-type')?.split(';')[0]}`);
        return fetch(input, init);
      },
    });
    expect([responses[0]?.status, await responses[0]?.json()]).toEqual([200, { id: '1' }]);
    expect(seen).toEqual([`POST ${app.url}/batch multipart/mixed`]);
  });
});
