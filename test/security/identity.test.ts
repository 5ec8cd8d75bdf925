import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { send, sendBatch } from '../support/http.js';
import { buildBatch, type PartSpec } from '../support/multipart.js';
import { startSecurityApp, type SecurityApp } from './apps.js';
import { ATTACKER, BYSTANDER, expectAppAnswers, guardProcess } from './harness.js';

guardProcess();

const items = (count: number, headers?: (index: number) => Record<string, string>): PartSpec[] =>
  Array.from({ length: count }, (_, index) => ({
    method: 'GET',
    url: `/items/${index + 1}`,
    ...(headers === undefined ? {} : { headers: headers(index) }),
  }));

describe.each(FRAMEWORKS)('T13 identity of inner requests, on %s', (framework) => {
  let app: SecurityApp;
  afterEach(async () => {
    await app.close();
  });

  it('T13: gives each client its own rate-limit bucket: one client’s batch can’t use up another’s', async () => {
    // 4 per minute per address; the outer batch request counts as one. Inner requests run one
    // at a time: the limiters' stores count concurrent requests of one key all-or-nothing.
    app = await startSecurityApp(framework, { rateLimit: 4, batch: { concurrency: 1 } });
    const attacker = await sendBatch(app.url, buildBatch(items(5)), { localAddress: ATTACKER });
    expect(attacker.parts.map((part) => part.status)).toEqual([200, 200, 200, 429, 429]);
    const bystander = await sendBatch(app.url, buildBatch(items(2)), { localAddress: BYSTANDER });
    expect(bystander.parts.map((part) => part.status)).toEqual([200, 200]);
    expect(bystander.parts.map((part) => part.json())).toEqual([{ id: '1' }, { id: '2' }]);
    // The attacker's own ordinary requests are limited too: its inner requests counted.
    expect((await send(app.url, '/items/x', { localAddress: ATTACKER })).status).toBe(429);
  });

  it('T13: refuses inner requests from a remote client on a route that only allows 127.0.0.1', async () => {
    app = await startSecurityApp(framework);
    const batch = buildBatch([{ method: 'GET', url: '/local-only' }]);
    const remote = await sendBatch(app.url, batch, { localAddress: ATTACKER });
    expect(remote.parts[0]?.status).toBe(403);
    expect(remote.parts[0]?.json()).toEqual({ local: false, ip: ATTACKER });
    const local = await sendBatch(app.url, batch, { localAddress: '127.0.0.1' });
    expect(local.parts[0]?.json()).toEqual({ local: true });
  });

  it('T13: keeps each client’s address on its own inner requests when two batches run at the same time', async () => {
    app = await startSecurityApp(framework);
    const whoami = (client: string) =>
      buildBatch(
        Array.from({ length: 24 }, (_, index) => ({ method: 'GET', url: `/whoami?client=${client}&n=${index}` })),
      );
    const [first, second] = await Promise.all([
      sendBatch(app.url, whoami('a'), { localAddress: ATTACKER }),
      sendBatch(app.url, whoami('b'), { localAddress: BYSTANDER }),
    ]);
    expect(new Set(first.parts.map((part) => part.json().ip))).toEqual(new Set([ATTACKER]));
    expect(new Set(second.parts.map((part) => part.json().ip))).toEqual(new Set([BYSTANDER]));
    await expectAppAnswers(app.url);
  });
});

describe.each(FRAMEWORKS)('T14 forwarding headers on inner requests, on %s', (framework) => {
  let app: SecurityApp;
  afterEach(async () => {
    await app.close();
  });

  it('T14: inner X-Forwarded-For values can’t split one client into fresh rate-limit buckets, even behind a trusted proxy', async () => {
    app = await startSecurityApp(framework, { rateLimit: 3, trustProxy: true, batch: { concurrency: 1 } });
    const spoofed = (index: number) => ({
      'X-Forwarded-For': `10.0.0.${index + 1}`,
      'X-Real-IP': `10.0.1.${index + 1}`,
    });
    const reply = await sendBatch(app.url, buildBatch(items(4, spoofed)), { localAddress: ATTACKER });
    expect(reply.parts.map((part) => part.status)).toEqual([200, 200, 429, 429]);
  });

  it('T14: drops inner forwarding headers in any case and repetition, so req.ip and req.secure stay the client’s', async () => {
    app = await startSecurityApp(framework, { trustProxy: true });
    const part = '--b\r\nContent-Type: application/http\r\n\r\nGET /whoami HTTP/1.1\r\n';
    const headers = [
      'x-FORWARDED-for: 10.0.0.1',
      'X-Forwarded-For: 10.0.0.2',
      'X-Forwarded-Proto: https',
      'X-Forwarded-Host: evil.example',
      'Forwarded: for=10.0.0.3;proto=https;host=evil.example',
      'X-REAL-IP: 10.0.0.4',
    ];
    const reply = await sendBatch(
      app.url,
      { contentType: 'multipart/mixed; boundary=b', body: `${part}${headers.join('\r\n')}\r\n\r\n\r\n--b--\r\n` },
      { localAddress: ATTACKER },
    );
    const seen = reply.parts[0]?.json();
    expect(seen).toMatchObject({ ip: ATTACKER, secure: false, hostname: '127.0.0.1' });
    for (const name of ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip']) {
      expect(seen.headers[name], name).toBeUndefined();
    }
  });

  it('T14: hands the outer Forwarded and X-Real-IP values on unchanged, whatever the inner request says', async () => {
    app = await startSecurityApp(framework);
    const reply = await sendBatch(
      app.url,
      buildBatch([{ method: 'GET', url: '/whoami', headers: { Forwarded: 'for=10.0.0.1', 'X-Real-IP': '10.0.0.1' } }]),
      { localAddress: ATTACKER, headers: { Forwarded: 'for=203.0.113.9', 'X-Real-IP': '203.0.113.9' } },
    );
    expect(reply.parts[0]?.json().headers).toMatchObject({ forwarded: 'for=203.0.113.9', 'x-real-ip': '203.0.113.9' });
  });
});
