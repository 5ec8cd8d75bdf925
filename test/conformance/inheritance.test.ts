import { afterEach, describe, expect, it } from 'vitest';
import { CONFORMANCE_FRAMEWORKS, startApp, type TestServer } from '../support/apps.js';
import { sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

describe.each(CONFORMANCE_FRAMEWORKS)('outer headers and query, on %s', (framework) => {
  let app: TestServer;
  afterEach(async () => {
    await app.close();
  });

  it('applies outer headers to every inner request, and lets the inner request’s own header win', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/whoami' },
        { method: 'GET', url: '/whoami', headers: { Authorization: 'Bearer inner', 'Accept-Language': 'pt-BR' } },
      ]),
      { headers: { Authorization: 'Bearer outer', 'Accept-Language': 'en', 'X-Tenant': 'acme' } },
    );
    const [first, second] = reply.parts.map((part) => part.json().headers);
    expect(first).toMatchObject({ authorization: 'Bearer outer', 'accept-language': 'en', 'x-tenant': 'acme' });
    expect(second).toMatchObject({ authorization: 'Bearer inner', 'accept-language': 'pt-BR', 'x-tenant': 'acme' });
  });

  it('never copies Content-* or hop-by-hop outer headers into inner requests', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/whoami' }]), {
      headers: {
        'Content-Language': 'de',
        'Content-MD5': 'x',
        Connection: 'keep-alive',
        'Keep-Alive': 'timeout=5',
        'Proxy-Authorization': 'Basic eA==',
        'X-HTTP-Method-Override': 'DELETE',
      },
    });
    const seen = reply.parts[0]?.json();
    expect(seen.method).toBe('GET');
    for (const name of [
      'content-type',
      'content-length',
      'content-language',
      'content-md5',
      'connection',
      'keep-alive',
      'proxy-authorization',
      'x-http-method-override',
      'transfer-encoding',
    ]) {
      expect(seen.headers[name], name).toBeUndefined();
    }
  });

  it('keeps the part headers (Content-Type: application/http, Content-ID) out of the inner request', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/whoami', contentId: '<who>' }]));
    const seen = reply.parts[0]?.json();
    expect(seen.headers['content-id']).toBeUndefined();
    expect(seen.headers['content-type']).toBeUndefined();
  });

  it('applies outer query parameters to every inner URL, and lets the inner value win', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/whoami' },
        { method: 'GET', url: '/whoami?lang=pt&page=2' },
      ]),
      { path: '/batch?lang=en&tenant=acme' },
    );
    const [first, second] = reply.parts.map((part) => part.json());
    expect(first.query).toEqual({ lang: 'en', tenant: 'acme' });
    expect(second.query).toEqual({ lang: 'pt', page: '2', tenant: 'acme' });
    expect(second.url).toBe('/whoami?lang=pt&page=2&tenant=acme');
  });

  it('keeps each answer’s own headers: a Set-Cookie reaches neither the other parts nor the outer answer', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/set-cookie/first' },
        { method: 'GET', url: '/items/1' },
        { method: 'GET', url: '/set-cookie/second' },
      ]),
    );
    expect(reply.headers['set-cookie']).toBeUndefined();
    expect(reply.parts.map((part) => part.headers['set-cookie'])).toEqual([
      ['first=1; Path=/'],
      undefined,
      ['second=1; Path=/'],
    ]);
  });

  it('ignores an inner Cookie header by default, so a batch acts as one session (THREATS T20)', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/whoami' },
        { method: 'GET', url: '/whoami', headers: { Cookie: 'sid=inner' } },
      ]),
      { headers: { Cookie: 'sid=outer' } },
    );
    expect(reply.parts.map((part) => part.json().headers.cookie)).toEqual(['sid=outer', 'sid=outer']);
  });

  it('with allowInnerCookie, lets an inner Cookie header replace the outer one for that operation only', async () => {
    app = await startApp(framework, { batch: { allowInnerCookie: true } });
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/whoami' },
        { method: 'GET', url: '/whoami', headers: { Cookie: 'sid=inner' } },
      ]),
      { headers: { Cookie: 'sid=outer' } },
    );
    expect(reply.parts.map((part) => part.json().headers.cookie)).toEqual(['sid=outer', 'sid=inner']);
  });
});
