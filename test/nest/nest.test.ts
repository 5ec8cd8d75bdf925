import type { RequestListener } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listen } from '../support/apps.js';
import { sendBatch, sendJsonBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';
import { bootstrap, calls } from './app.js';

const GOOD = { Authorization: 'Bearer good' };

describe('NestJS on @nestjs/platform-express with app.use(batch()) in the bootstrap', () => {
  let app: INestApplication;
  let server: Awaited<ReturnType<typeof listen>>;
  beforeEach(async () => {
    calls.length = 0;
    app = await bootstrap();
    server = await listen(app.getHttpAdapter().getInstance() as RequestListener);
  });
  afterEach(async () => {
    await server.close();
    await app.close();
  });

  it('runs the guard for each inner request: the outer token lets them in, an inner forged one is refused with 403', async () => {
    const reply = await sendBatch(
      server.url,
      buildBatch([
        { method: 'GET', url: '/items/1' },
        { method: 'GET', url: '/items/2', headers: { Authorization: 'Bearer forged' } },
      ]),
      { headers: GOOD },
    );
    expect(reply.parts.map((part) => [part.status, part.json()])).toEqual([
      [200, { data: { id: 1 } }],
      [403, { message: 'bad token', error: 'Forbidden', statusCode: 403 }],
    ]);
    expect(calls.filter((call) => call.startsWith('guard'))).toEqual(['guard /items/1', 'guard /items/2']);
  });

  it('runs pipes for each inner request: ParseIntPipe and a body pipe refuse bad input with 400 in their slot only', async () => {
    const reply = await sendJsonBatch(
      server.url,
      [
        { id: 'int', method: 'GET', url: '/items/abc' },
        { id: 'good', method: 'POST', url: '/orders', body: { qty: 3 } },
        { id: 'bad', method: 'POST', url: '/orders', body: { qty: 0 } },
      ],
      { headers: GOOD },
    );
    expect(reply.responses.map((answer) => [answer.id, answer.status, answer.body])).toEqual([
      [
        'int',
        400,
        { message: 'Validation failed (numeric string is expected)', error: 'Bad Request', statusCode: 400 },
      ],
      ['good', 201, { data: { ordered: 3 } }],
      ['bad', 400, { message: 'qty must be a positive integer', error: 'Bad Request', statusCode: 400 }],
    ]);
    expect(calls.filter((call) => call === 'pipe order')).toHaveLength(2);
  });

  it('runs the global interceptor around each inner request, with its own response header', async () => {
    const reply = await sendBatch(
      server.url,
      buildBatch([
        { method: 'GET', url: '/items/5' },
        { method: 'GET', url: '/whoami' },
      ]),
      { headers: GOOD },
    );
    expect(reply.parts.map((part) => [part.json(), part.headers['x-wrapped-for']])).toEqual([
      [{ data: { id: 5 } }, ['/items/5']],
      [{ data: { ok: true } }, ['/whoami']],
    ]);
    expect(calls.filter((call) => call.startsWith('interceptor'))).toEqual([
      'interceptor /items/5',
      'interceptor /whoami',
    ]);
  });

  it('runs the exception filter for the inner request that throws, and only for it', async () => {
    const reply = await sendBatch(
      server.url,
      buildBatch([
        { method: 'GET', url: '/items/404' },
        { method: 'GET', url: '/items/4' },
      ]),
      { headers: GOOD },
    );
    expect(reply.parts.map((part) => [part.status, part.json()])).toEqual([
      [404, { error: 'no_such_item', id: 404 }],
      [200, { data: { id: 4 } }],
    ]);
    expect(calls.filter((call) => call.startsWith('filter'))).toEqual(['filter 404']);
  });

  it('keeps serving ordinary requests through Nest after batches ran (Express’s prototypes untouched)', async () => {
    await sendBatch(server.url, buildBatch([{ method: 'GET', url: '/items/1' }]), { headers: GOOD });
    const direct = await fetch(`${server.url}/items/9`, { headers: GOOD });
    expect(direct.status).toBe(200);
    expect(await direct.json()).toEqual({ data: { id: 9 } });
  });
});
