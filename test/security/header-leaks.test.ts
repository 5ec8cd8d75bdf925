import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';
import { startSecurityApp, type SecurityApp } from './apps.js';
import { ATTACKER, expectBystanderServed, guardProcess } from './harness.js';

guardProcess();

// What an attacker-written part would like the app to believe about where the request came from.
const FORGED = {
  Origin: 'https://evil.example',
  Referer: 'https://evil.example/attack',
  'Sec-Fetch-Site': 'same-origin',
  'Sec-Fetch-Mode': 'navigate',
  'Sec-Fetch-Dest': 'document',
  'Sec-Fetch-User': '?1',
};

describe.each(FRAMEWORKS)('T20 outer headers and inner overrides, on %s', (framework) => {
  let app: SecurityApp;
  afterEach(async () => {
    await app.close();
  });

  it('T20: never lets an inner Origin, Referer or Sec-Fetch-* override the outer request’s', async () => {
    app = await startSecurityApp(framework);
    const outer = {
      Origin: 'https://app.example',
      Referer: 'https://app.example/page',
      'Sec-Fetch-Site': 'cross-site',
      'Sec-Fetch-Mode': 'cors',
      'Sec-Fetch-Dest': 'empty',
    };
    const [reply] = await Promise.all([
      sendBatch(app.url, buildBatch([{ method: 'GET', url: '/whoami', headers: FORGED }]), {
        localAddress: ATTACKER,
        headers: outer,
      }),
      expectBystanderServed(app.url),
    ]);
    const seen = reply.parts[0]?.json().headers;
    expect(seen).toMatchObject({
      origin: 'https://app.example',
      referer: 'https://app.example/page',
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'cors',
      'sec-fetch-dest': 'empty',
    });
    expect(seen['sec-fetch-user']).toBeUndefined();
  });

  it('T20: drops an inner Origin, Referer and Sec-Fetch-* when the outer request had none', async () => {
    app = await startSecurityApp(framework);
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/whoami', headers: FORGED }]));
    const seen = reply.parts[0]?.json().headers;
    for (const name of ['origin', 'referer', 'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest', 'sec-fetch-user']) {
      expect(seen[name], name).toBeUndefined();
    }
  });

  it('T20: never passes the outer Content-Type, Content-Length, Content-Encoding or Expect to inner requests', async () => {
    app = await startSecurityApp(framework);
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/whoami' },
        { method: 'POST', url: '/echo' },
      ]),
      { headers: { Expect: '100-continue', 'Content-Encoding': 'identity', 'Content-Language': 'de' } },
    );
    expect(reply.status).toBe(200);
    const seen = reply.parts[0]?.json().headers;
    for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'expect']) {
      expect(seen[name], name).toBeUndefined();
    }
    // A POST without its own body or Content-Type gets neither the outer multipart type nor its length.
    expect(reply.parts[1]?.status).toBe(201);
    expect(reply.parts[1]?.json()).toMatchObject({ contentType: null, contentLength: '0' });
  });

  it('T20: ignores an inner X-HTTP-Method-Override and hop-by-hop headers, so the method and connection stay as sent', async () => {
    app = await startSecurityApp(framework);
    const reply = await sendBatch(
      app.url,
      buildBatch([
        {
          method: 'GET',
          url: '/whoami',
          headers: {
            'X-HTTP-Method-Override': 'DELETE',
            'X-Method-Override': 'DELETE',
            Connection: 'Upgrade',
            Upgrade: 'websocket',
            'Proxy-Authorization': 'Basic eA==',
          },
        },
      ]),
    );
    const seen = reply.parts[0]?.json();
    expect(seen.method).toBe('GET');
    for (const name of [
      'x-http-method-override',
      'x-method-override',
      'connection',
      'upgrade',
      'proxy-authorization',
    ]) {
      expect(seen.headers[name], name).toBeUndefined();
    }
  });
});
