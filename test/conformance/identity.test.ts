import { afterEach, describe, expect, it } from 'vitest';
import { CONFORMANCE_FRAMEWORKS, startApp, type TestServer } from '../support/apps.js';
import { sendBatch } from '../support/http.js';
import { buildBatch } from '../support/multipart.js';

// The client binds to 127.0.0.2, so an inner request that fell back to light-my-request's
// default 127.0.0.1 would show.
const CLIENT = '127.0.0.2';

describe.each(CONFORMANCE_FRAMEWORKS)('who is asking, on %s', (framework) => {
  let app: TestServer;
  afterEach(async () => {
    await app.close();
  });

  it('gives inner requests the outer client’s address, never 127.0.0.1', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/whoami' }]), { localAddress: CLIENT });
    expect(reply.parts[0]?.json()).toMatchObject({ ip: CLIENT, secure: false, protocol: 'http' });
  });

  it('gives inner requests the outer TLS flag, so req.secure / ctx.secure read true', async () => {
    app = await startApp(framework, { https: true });
    const reply = await sendBatch(app.url, buildBatch([{ method: 'GET', url: '/whoami' }]), { localAddress: CLIENT });
    expect(reply.status).toBe(200);
    expect(reply.parts[0]?.json()).toMatchObject({ ip: CLIENT, secure: true, protocol: 'https' });
  });

  it('ignores forwarding headers set on an inner request, even when the app trusts proxies', async () => {
    app = await startApp(framework, { trustProxy: true });
    const reply = await sendBatch(
      app.url,
      buildBatch([
        {
          method: 'GET',
          url: '/whoami',
          headers: {
            'X-Forwarded-For': '10.0.0.1',
            'X-Forwarded-Proto': 'https',
            'X-Forwarded-Host': 'evil.example',
            Forwarded: 'for=10.0.0.2',
            'X-Real-IP': '10.0.0.3',
          },
        },
      ]),
      { localAddress: CLIENT },
    );
    const seen = reply.parts[0]?.json();
    expect(seen).toMatchObject({ ip: CLIENT, secure: false, hostname: '127.0.0.1' });
    expect(seen.headers['x-forwarded-for']).toBeUndefined();
    expect(seen.headers['x-real-ip']).toBeUndefined();
    expect(seen.headers.forwarded).toBeUndefined();
  });

  it('hands on the outer request’s own forwarding headers, so a trusted proxy’s client is the inner client too', async () => {
    app = await startApp(framework, { trustProxy: true });
    const reply = await sendBatch(
      app.url,
      buildBatch([{ method: 'GET', url: '/whoami', headers: { 'X-Forwarded-For': '10.9.9.9' } }]),
      { localAddress: CLIENT, headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' } },
    );
    expect(reply.parts[0]?.json()).toMatchObject({ ip: '203.0.113.7', secure: true });
  });

  it('takes the Host from the outer request, never from an inner Host header', async () => {
    app = await startApp(framework);
    const reply = await sendBatch(
      app.url,
      buildBatch([{ method: 'GET', url: '/whoami', headers: { Host: 'admin.internal' } }]),
    );
    const seen = reply.parts[0]?.json();
    expect(seen.hostname).toBe('127.0.0.1');
    expect(seen.headers.host).toBe(new URL(app.url).host);
  });
});
