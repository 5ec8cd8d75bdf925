import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { batchFetch, BatchRequestError, type BatchFetch, type TypedResponse } from '@inbatch/client';
import { listen, startApp, type TestServer } from '../../../test/support/apps.js';
import { DIALECTS, innerHits, outerBatches } from './helpers.js';

const QUICK_FRAMEWORKS = ['express5', 'koa3'] as const;

describe.each(QUICK_FRAMEWORKS)('batchFetch against %s', (framework) => {
  const servers: { close(): Promise<void> }[] = [];
  const start = async (options?: Parameters<typeof startApp>[1]): Promise<TestServer> => {
    const app = await startApp(framework, options);
    servers.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it.each(DIALECTS)(
    'sends calls made in one tick as exactly one POST /batch (%s), each caller getting its own answer',
    async (dialect) => {
      const app = await start();
      const api = batchFetch({ endpoint: `${app.url}/batch`, dialect });
      const responses = await Promise.all([1, 2, 3, 4, 5].map((id) => api(`/items/${id}`)));
      expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
      expect(await Promise.all(responses.map((response) => response.json()))).toEqual(
        [1, 2, 3, 4, 5].map((id) => ({ id: String(id) })),
      );
      expect(outerBatches(app)).toEqual(['POST /batch']);
      expect(innerHits(app).sort()).toEqual([
        'GET /items/1',
        'GET /items/2',
        'GET /items/3',
        'GET /items/4',
        'GET /items/5',
      ]);
    },
  );

  it('collects calls made in the microtasks of the same tick into the same batch', async () => {
    const app = await start();
    const api = batchFetch({ endpoint: `${app.url}/batch` });
    const first = api('/items/1');
    await Promise.resolve();
    const second = api('/items/2');
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, await a.json(), b.status, await b.json()]).toEqual([200, { id: '1' }, 200, { id: '2' }]);
    expect(outerBatches(app)).toEqual(['POST /batch']);
  });

  it('sends calls made in different ticks as separate batches', async () => {
    const app = await start();
    const api = batchFetch({ endpoint: `${app.url}/batch` });
    const first = api('/items/1');
    await delay(20);
    const second = api('/items/2');
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, await a.json(), b.status, await b.json()]).toEqual([200, { id: '1' }, 200, { id: '2' }]);
    expect(outerBatches(app)).toEqual(['POST /batch', 'POST /batch']);
  });

  it('collects calls made within windowMs into one batch', async () => {
    const app = await start();
    const api = batchFetch({ endpoint: `${app.url}/batch`, windowMs: 200 });
    const first = api('/items/1');
    await delay(20);
    const second = api('/items/2');
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, await a.json(), b.status, await b.json()]).toEqual([200, { id: '1' }, 200, { id: '2' }]);
    expect(outerBatches(app)).toEqual(['POST /batch']);
  });

  it('splits more calls than maxBatchSize into several batches, answering each caller in order', async () => {
    const app = await start();
    const api = batchFetch({ endpoint: `${app.url}/batch`, maxBatchSize: 3 });
    const ids = [1, 2, 3, 4, 5, 6, 7];
    const responses = await Promise.all(ids.map((id) => api(`/items/${id}`)));
    expect(responses.map((response) => response.status)).toEqual(ids.map(() => 200));
    expect(await Promise.all(responses.map((response) => response.json()))).toEqual(
      ids.map((id) => ({ id: String(id) })),
    );
    expect(outerBatches(app)).toEqual(['POST /batch', 'POST /batch', 'POST /batch']);
  });

  it('sends a single call as a batch of one', async () => {
    const app = await start();
    const api = batchFetch({ endpoint: `${app.url}/batch` });
    const response = await api('/items/solo');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'solo' });
    expect(app.hits).toEqual(['POST /batch', 'GET /items/solo']);
  });

  it('sends calls to another origin straight to fetch, unbatched', async () => {
    const app = await start();
    const other = await start();
    const api = batchFetch({ endpoint: `${app.url}/batch` });
    const [local, remote] = await Promise.all([api('/items/here'), api(`${other.url}/items/there`)]);
    expect([local.status, await local.json()]).toEqual([200, { id: 'here' }]);
    expect([remote.status, await remote.json()]).toEqual([200, { id: 'there' }]);
    expect(app.hits).toEqual(['POST /batch', 'GET /items/here']);
    expect(other.hits).toEqual(['GET /items/there']);
  });

  it('sends a call to the batch endpoint itself straight to fetch', async () => {
    const app = await start();
    const api = batchFetch({ endpoint: `${app.url}/batch` });
    const response = await api('/batch', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ requests: [{ id: 'a', method: 'GET', url: '/items/a' }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ responses: [{ id: 'a', status: 200, body: { id: 'a' } }] });
    expect(outerBatches(app)).toEqual(['POST /batch']);
  });

  it.each(DIALECTS)(
    'rejects every caller of a refused batch (%s) with its status and the server’s error',
    async (dialect) => {
      const app = await start({ batch: { maxOperations: 2 } });
      const api = batchFetch({ endpoint: `${app.url}/batch`, dialect, maxBatchSize: 10 });
      const outcomes = await Promise.allSettled([api('/items/1'), api('/items/2'), api('/items/3')]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
      const reasons = outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason as BatchRequestError);
      for (const reason of reasons) {
        expect(reason).toBeInstanceOf(BatchRequestError);
        expect(reason).toMatchObject({
          failure: 'refused',
          status: 413,
          code: 'batch.too_many_operations',
          body: {
            error: { code: 'batch.too_many_operations', message: 'The batch has more than 2 operations.', limit: 2 },
          },
        });
        expect(reason.message).toBe(
          'inbatch: the batch was refused with 413: batch.too_many_operations: The batch has more than 2 operations.',
        );
      }
      expect(innerHits(app)).toEqual([]);
    },
  );

  it('rejects every caller with a network failure carrying the cause when the endpoint is unreachable', async () => {
    const closed = await listen((_req, res) => res.end());
    await closed.close();
    const api = batchFetch({ endpoint: `${closed.url}/batch` });
    const outcomes = await Promise.allSettled([api('/items/1'), api('/items/2')]);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as BatchRequestError;
      expect(reason).toBeInstanceOf(BatchRequestError);
      expect(reason).toMatchObject({ failure: 'network', status: undefined, code: undefined });
      expect(reason.cause).toBeInstanceOf(TypeError);
    }
  });

  it('drops a call aborted before its batch is sent, rejecting it with the abort reason', async () => {
    const app = await start();
    const api = batchFetch({ endpoint: `${app.url}/batch` });
    const controller = new AbortController();
    const aborted = api('/items/gone', { signal: controller.signal });
    const kept = api('/items/kept');
    controller.abort(new Error('changed my mind'));
    await expect(aborted).rejects.toThrow('changed my mind');
    const response = await kept;
    expect([response.status, await response.json()]).toEqual([200, { id: 'kept' }]);
    expect(app.hits).toEqual(['POST /batch', 'GET /items/kept']);
  });

  it('rejects a call whose signal is already aborted without sending anything', async () => {
    const app = await start();
    const api = batchFetch({ endpoint: `${app.url}/batch` });
    await expect(api('/items/1', { signal: AbortSignal.abort(new Error('too late')) })).rejects.toThrow('too late');
    await delay(20);
    expect(app.hits).toEqual([]);
  });

  it('rejects only the call the json dialect can’t carry, and sends the others', async () => {
    const app = await start();
    const api = batchFetch({ endpoint: `${app.url}/batch`, dialect: 'json' });
    const bad = api('/echo', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{not json' });
    const good = api('/items/1');
    await expect(bad).rejects.toThrow(
      "inbatch: POST /echo can't be sent in the json dialect: its body is not valid JSON, yet its Content-Type is application/json; use dialect 'multipart'.",
    );
    const response = await good;
    expect([response.status, await response.json()]).toEqual([200, { id: '1' }]);
    expect(app.hits).toEqual(['POST /batch', 'GET /items/1']);
  });

  it('sends the configured headers on the outer request, which the server applies to every inner one', async () => {
    const app = await start();
    let calls = 0;
    const api = batchFetch({
      endpoint: `${app.url}/batch`,
      headers: () => ({ Authorization: `Bearer token-${++calls}`, 'X-Tenant': 'acme' }),
    });
    const [a, b] = await Promise.all([api('/whoami'), api('/whoami', { headers: { 'X-Tenant': 'inner' } })]);
    const [first, second] = [await a.json(), await b.json()];
    expect([a.status, first.headers.authorization, first.headers['x-tenant']]).toEqual([200, 'Bearer token-1', 'acme']);
    expect([b.status, second.headers.authorization, second.headers['x-tenant']]).toEqual([
      200,
      'Bearer token-1',
      'inner',
    ]);
    expect(calls).toBe(1);
  });

  it('resolves a relative URL against the endpoint outside a browser', async () => {
    const app = await start();
    const api = batchFetch({ endpoint: new URL('/batch', app.url) });
    const response = await api('items/relative?q=1');
    expect([response.status, await response.json(), response.url]).toEqual([
      200,
      { id: 'relative' },
      `${app.url}/items/relative?q=1`,
    ]);
  });

  it('takes a Request as fetch does', async () => {
    const app = await start();
    const api = batchFetch({ endpoint: `${app.url}/batch` });
    const response = await api(
      new Request(`${app.url}/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ from: 'request' }),
      }),
    );
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ body: { from: 'request' }, contentType: 'application/json' });
  });
});

describe('batchFetch options', () => {
  it('refuses a relative endpoint outside a browser with a TypeError naming it', () => {
    expect(() => batchFetch({ endpoint: '/batch' })).toThrow(
      new TypeError('inbatch batchFetch: endpoint must be an absolute URL outside a browser, got "/batch".'),
    );
  });

  it('refuses an unknown dialect, a negative window and a zero batch size', () => {
    const endpoint = 'http://localhost/batch';
    expect(() => batchFetch({ endpoint, dialect: 'xml' as never })).toThrow(
      "inbatch batchFetch: dialect must be 'json' or 'multipart', got \"xml\".",
    );
    expect(() => batchFetch({ endpoint, windowMs: -1 })).toThrow(
      'inbatch batchFetch: windowMs must be a number ≥ 0, got -1.',
    );
    expect(() => batchFetch({ endpoint, maxBatchSize: 0 })).toThrow(
      'inbatch batchFetch: maxBatchSize must be an integer ≥ 1, got 0.',
    );
  });

  it('is typed as a fetch: it can be passed where fetch is expected, and answers standard Responses', () => {
    const api = batchFetch({ endpoint: 'http://localhost/batch' });
    expectTypeOf(api).toExtend<typeof fetch>();
    expectTypeOf(api).returns.toEqualTypeOf<Promise<TypedResponse>>();
    expectTypeOf<TypedResponse>().toExtend<Response>();
    // Compiled, never called: `json()` reads as any (as in the DOM typings) or as the type
    // it is given, so the common reads need no cast.
    const readTyped = async (): Promise<string> => (await (await api('/items/1')).json<{ id: string }>()).id;
    const readUntyped = async (): Promise<string> => (await (await api('/items/1')).json()).id;
    expectTypeOf(readTyped).returns.resolves.toBeString();
    expectTypeOf(readUntyped).returns.resolves.toBeString();
    expectTypeOf<BatchFetch>().parameters.toEqualTypeOf<[input: string | URL | Request, init?: RequestInit]>();
  });
});
