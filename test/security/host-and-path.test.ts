import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../support/apps.js';
import { sendBatch, sendJsonBatch } from '../support/http.js';
import { buildBatch, parseAnswer } from '../support/multipart.js';
import { startSecurityApp, type SecurityApp } from './apps.js';
import {
  ATTACKER,
  attackHits,
  expectAppAnswers,
  expectBystanderServed,
  guardProcess,
  lineOf,
  rawExchange,
  refusalBody,
} from './harness.js';

guardProcess();

/** A server an SSRF would reach: it only counts connections. */
async function startDecoy() {
  let connections = 0;
  const server = createServer((_req, res) => res.end('decoy'));
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(FRAMEWORKS)('T15 host and absolute-URL tricks, on %s', (framework) => {
  let app: SecurityApp;
  afterEach(async () => {
    await app.close();
  });

  it('T15: refuses absolute, scheme-relative and backslash targets in their slots and never connects anywhere', async () => {
    app = await startSecurityApp(framework);
    const decoy = await startDecoy();
    try {
      const targets = [
        `http://${decoy.host}/steal`,
        `HTTP://${decoy.host}/steal-upper`,
        `http:/${decoy.host}/steal-one-slash`,
        `http:\\\\${decoy.host}\\steal-backslashes`,
        `//${decoy.host}/steal-scheme-relative`,
        `/\\${decoy.host}/steal-slash-backslash`,
        `\\\\${decoy.host}\\steal-unc`,
        `${decoy.host}/steal-authority`,
      ];
      const batch = buildBatch([
        ...targets.map((url) => ({ method: 'GET', url })),
        { method: 'GET', url: '/items/control' },
      ]);
      const [reply] = await Promise.all([
        sendBatch(app.url, batch, { localAddress: ATTACKER }),
        expectBystanderServed(app.url),
      ]);
      expect(reply.status).toBe(200);
      targets.forEach((url, index) => {
        expect(reply.parts[index]?.status, url).toBe(400);
        expect(reply.parts[index]?.json(), url).toEqual(
          refusalBody('batch.part.target', index + 1, lineOf(batch.body, `GET ${url} `)),
        );
      });
      expect(reply.parts.at(-1)?.json()).toEqual({ id: 'control' });
      expect(attackHits(app)).toEqual(['GET /items/control']);
      expect(decoy.connections()).toBe(0);
      await expectAppAnswers(app.url);
    } finally {
      await decoy.close();
    }
  });

  it('T15: refuses absolute and host-naming URLs sent through the JSON dialect, and never connects anywhere', async () => {
    app = await startSecurityApp(framework);
    const decoy = await startDecoy();
    try {
      const urls = [`http://${decoy.host}/a`, `//${decoy.host}/b`, `\\\\${decoy.host}\\c`, `/\\${decoy.host}/d`];
      const reply = await sendJsonBatch(
        app.url,
        [
          ...urls.map((url, index) => ({ id: `u${index}`, method: 'GET', url })),
          { id: 'host', method: 'GET', url: 'whoami', headers: { Host: decoy.host } },
        ],
        { localAddress: ATTACKER },
      );
      expect(reply.status).toBe(200);
      urls.forEach((url, index) => {
        expect(reply.responses[index]?.body, url).toEqual(
          refusalBody('batch.part.target', index + 1, null, { operationId: `u${index}` }),
        );
      });
      expect(reply.responses.at(-1)?.body).toMatchObject({
        hostname: '127.0.0.1',
        headers: { host: new URL(app.url).host },
      });
      expect(decoy.connections()).toBe(0);
      expect(attackHits(app)).toEqual(['GET /whoami']);
    } finally {
      await decoy.close();
    }
  });

  it('T15: takes the Host from the outer request even when an inner request repeats Host in other spellings', async () => {
    app = await startSecurityApp(framework);
    const body =
      '--b\r\nContent-Type: application/http\r\n\r\nGET /whoami HTTP/1.1\r\n' +
      'host: admin.internal\r\nHOST: evil.example:8080\r\nHost:\r\n\r\n\r\n--b--\r\n';
    const reply = await sendBatch(app.url, { contentType: 'multipart/mixed; boundary=b', body });
    const seen = reply.parts[0]?.json();
    expect(seen.hostname).toBe('127.0.0.1');
    expect(seen.headers.host).toBe(new URL(app.url).host);
  });

  it('T15: gives the inner requests of a Host-less HTTP/1.0 batch no Host, never an invented localhost', async () => {
    app = await startSecurityApp(framework);
    const batch = buildBatch([{ method: 'GET', url: '/whoami' }]);
    const reply = await rawExchange(
      app.url,
      `POST /batch HTTP/1.0\r\nContent-Type: ${batch.contentType}\r\nContent-Length: ${batch.body.length}\r\n\r\n`,
      [batch.body],
    );
    expect(reply.status).toBe(200);
    const [part] = parseAnswer(reply.headers['content-type'] ?? '', reply.body);
    const seen = part?.json();
    expect(seen.headers.host).toBeUndefined();
    expect(seen.hostname || undefined).toBeUndefined();
  });

  it('T15: keeps an empty outer Host empty on inner requests, never an invented localhost', async () => {
    app = await startSecurityApp(framework);
    const batch = buildBatch([{ method: 'GET', url: '/whoami' }]);
    const reply = await rawExchange(
      app.url,
      `POST /batch HTTP/1.1\r\nHost:\r\nConnection: close\r\nContent-Type: ${batch.contentType}\r\n` +
        `Content-Length: ${batch.body.length}\r\n\r\n`,
      [batch.body],
    );
    expect(reply.status).toBe(200);
    const [part] = parseAnswer(reply.headers['content-type'] ?? '', reply.body);
    const seen = part?.json();
    expect(seen.headers.host ?? '').toBe('');
    expect(seen.hostname || undefined).toBeUndefined();
  });
});

describe.each(FRAMEWORKS)('T16 path-normalization differentials, on %s', (framework) => {
  let app: SecurityApp;
  afterEach(async () => {
    await app.close();
  });

  it('T16: an allow list of /items (and /whoami) refuses every traversal spelling toward /admin before anything runs', async () => {
    app = await startSecurityApp(framework, { batch: { allow: ['/items', '/whoami'] } });
    const traversals = [
      '/items/../admin/secret',
      '/items/./../admin/secret',
      '/items/%2e%2e/admin/secret',
      '/items/.%2E/admin/secret',
      '/items/..%2fadmin/secret',
      '/items%2f..%2fadmin/secret',
      '/items/..%5cadmin/secret',
      '/items\\..\\admin/secret',
      '/items/1/../../admin/secret',
    ];
    const forbidden = ['/admin/secret', '/ADMIN/secret', '/itemsx', '/%69tems/1'];
    const allowed = ['/ITEMS/1', '/items/2/'];
    const urls = [...traversals, ...forbidden, ...allowed];
    const batch = buildBatch(urls.map((url) => ({ method: 'GET', url })));
    const [reply] = await Promise.all([
      sendBatch(app.url, batch, { localAddress: ATTACKER }),
      expectBystanderServed(app.url),
    ]);
    expect(reply.status).toBe(200);
    urls.forEach((url, index) => {
      const part = reply.parts[index];
      const line = lineOf(batch.body, `GET ${url} `);
      if (traversals.includes(url))
        expect(part?.json(), url).toEqual(refusalBody('batch.part.target', index + 1, line));
      if (forbidden.includes(url)) {
        expect(part?.status, url).toBe(403);
        expect(part?.json(), url).toEqual(refusalBody('batch.part.forbidden_path', index + 1, line));
      }
    });
    expect(reply.parts.slice(-2).map((part) => part.json())).toEqual([{ id: '1' }, { id: '2' }]);
    expect(attackHits(app)).toEqual(['GET /ITEMS/1', 'GET /items/2/']);
  });

  it('T16: percent-encoded letters neither slip past a deny rule unseen nor reach the denied route', async () => {
    app = await startSecurityApp(framework, { batch: { allow: ({ path }) => !/^\/admin(\/|$)/i.test(path) } });
    const reply = await sendBatch(
      app.url,
      buildBatch([
        { method: 'GET', url: '/admin/secret' },
        { method: 'GET', url: '/Admin/Secret' },
        { method: 'GET', url: '/%61dmin/secret' },
        { method: 'GET', url: '/%41DMIN/secret' },
      ]),
    );
    expect(reply.parts.map((part) => part.status)).toEqual([403, 403, 404, 404]);
    for (const part of reply.parts) expect(part.text).not.toContain('secret":true');
    expect(attackHits(app)).toEqual(['GET /%61dmin/secret', 'GET /%41DMIN/secret']);
  });
});
