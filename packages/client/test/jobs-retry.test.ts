/**
 * Safe retries: every submit carries an Idempotency-Key, and a submit repeated after a lost
 * answer (a network error, a proxy's 5xx) comes back with the job the first attempt made.
 * The server really receives and runs the first attempt; only its answer is lost on the way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BatchRequestError, submitJob, type FetchFunction } from '@inbatch/client';
import { startAsyncApp, type AsyncApp } from '../../../test/async/apps.js';
import { innerHits, waitFor } from '../../../test/async/helpers.js';

const FRAMEWORKS = ['express5', 'koa3'] as const;
const ALICE = { authorization: 'Bearer alice' };

interface Attempt {
  key: string | null;
  /** What the server answered, before the wrapper lost it. */
  status: number;
  body: string;
  replayed: string | null;
}

/** A fetch that delivers each submit to the server, then loses the first `lose` answers with `how`. */
function lossy(how: 'network' | 'bad-gateway', lose = 1) {
  const attempts: Attempt[] = [];
  const wrapped: FetchFunction = async (input, init) => {
    const answer = await fetch(input, init);
    const method = init?.method ?? 'GET';
    if (method !== 'POST' && method !== 'PATCH') return answer;
    const body = await answer.text();
    attempts.push({
      key: new Headers(init?.headers).get('idempotency-key'),
      status: answer.status,
      body,
      replayed: answer.headers.get('idempotent-replayed'),
    });
    if (attempts.length <= lose) {
      if (how === 'network') throw new TypeError('fetch failed: socket hang up');
      return new Response('<html>502 Bad Gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } });
    }
    return new Response(body, { status: answer.status, headers: answer.headers });
  };
  return { fetch: wrapped, attempts };
}

describe.each(FRAMEWORKS)('submit retries on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });
  const endpoint = () => `${app.url}/batch`;

  it('makes one job when the answer to a running operations submit is lost to a network error', async () => {
    app = await startAsyncApp(framework);
    const { fetch, attempts } = lossy('network');
    const job = await submitJob(
      { operations: [{ operationId: 'create', method: 'POST', endpoint: '/gate/once' }] },
      { endpoint: endpoint(), headers: ALICE, fetch },
    );
    expect(attempts.map((attempt) => attempt.status)).toEqual([201, 201]);
    expect(attempts[1]?.replayed).toBe('true');
    expect(attempts[0]?.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(attempts[1]?.key).toBe(attempts[0]?.key);
    expect(job.id).toBe(JSON.parse(attempts[0]?.body ?? '').uuid);
    await waitFor(() => app.hits.includes('POST /gate/once'), 'the operation');
    app.gates.open('once');
    expect((await job.wait()).responses.map((response) => response.statusCode)).toEqual([201]);
    expect(innerHits(app.hits)).toEqual(['POST /gate/once']);
  });

  it('makes one bulk job when a proxy answers 502 to the first attempt', async () => {
    app = await startAsyncApp(framework, { bulk: { masterlist: { method: 'PUT', url: '/v2/masterlist/{asin}' } } });
    const { fetch, attempts } = lossy('bad-gateway');
    const job = await submitJob(
      { bulk: 'masterlist', items: [{ asin: 'NEW1' }] },
      { endpoint: endpoint(), headers: ALICE, fetch, idempotencyKey: 'order-42' },
    );
    expect(attempts.map((attempt) => [attempt.key, attempt.status, attempt.replayed])).toEqual([
      ['order-42', 202, null],
      ['order-42', 202, 'true'],
    ]);
    expect(job.id).toBe(JSON.parse(attempts[0]?.body ?? '').batchId);
    expect((await job.wait()).status).toBe('SUCCESS');
    expect(innerHits(app.hits)).toEqual(['PUT /v2/masterlist/NEW1']);
  });

  it('gives up after `retries` and rejects with the last failure; the job the server made stays findable by key', async () => {
    app = await startAsyncApp(framework);
    const { fetch, attempts } = lossy('network', 2);
    const error = await submitJob(
      { requests: ['/items/1'] },
      { endpoint: endpoint(), headers: ALICE, fetch, retries: 1, idempotencyKey: 'k-1' },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BatchRequestError);
    expect(error).toMatchObject({ failure: 'network' });
    expect(attempts).toHaveLength(2);
    // The same key later (a page reload, say) still finds that one job.
    const again = await submitJob(
      { requests: ['/items/1'] },
      { endpoint: endpoint(), headers: ALICE, idempotencyKey: 'k-1' },
    );
    expect(again.id).toBe(JSON.parse(attempts[0]?.body ?? '').uuid);
    await again.wait();
    expect(innerHits(app.hits)).toEqual(['GET /items/1']);
  });

  it('does not retry a refusal: 422 when the same key comes with another batch', async () => {
    app = await startAsyncApp(framework);
    const first = await submitJob(
      { requests: ['/items/1'] },
      { endpoint: endpoint(), headers: ALICE, idempotencyKey: 'k-2' },
    );
    await first.wait();
    const { fetch, attempts } = lossy('network', 0);
    const error = await submitJob(
      { requests: ['/items/2'] },
      { endpoint: endpoint(), headers: ALICE, idempotencyKey: 'k-2', fetch },
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ failure: 'refused', status: 422, code: 'batch.idempotency_key_reused' });
    expect(attempts).toHaveLength(1);
  });
});

describe('submitJob options', () => {
  it('makes a UUIDv4 key without crypto.randomUUID, as on a page served over plain HTTP', async () => {
    const keys: Array<string | null> = [];
    const jobId = crypto.randomUUID();
    // Only the key is under test here: the answer is a submit's 201, with no server behind it.
    const answering: FetchFunction = (_input, init) => {
      keys.push(new Headers(init?.headers).get('idempotency-key'));
      return Promise.resolve(Response.json({ uuid: jobId }, { status: 201 }));
    };
    const original = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(crypto), 'randomUUID');
    Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true });
    try {
      for (let i = 0; i < 2; i++) {
        await submitJob({ operations: [] }, { endpoint: 'http://127.0.0.1:9/batch', fetch: answering });
      }
    } finally {
      delete (crypto as { randomUUID?: unknown }).randomUUID;
    }
    expect(original).toBeDefined();
    expect(typeof crypto.randomUUID).toBe('function');
    for (const key of keys)
      expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('refuses a bad idempotency key or retry count before sending anything', async () => {
    const options = { endpoint: 'http://127.0.0.1:9/batch' };
    await expect(submitJob({ requests: ['/x'] }, { ...options, idempotencyKey: 'two\nlines' })).rejects.toThrow(
      'inbatch submitJob: idempotencyKey must be 1 to 255 printable ASCII characters.',
    );
    await expect(submitJob({ requests: ['/x'] }, { ...options, retries: -1 })).rejects.toThrow(
      'inbatch submitJob: retries must be a whole number ≥ 0, got -1.',
    );
  });
});
