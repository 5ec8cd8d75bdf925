import { readFile, rm } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { BINARY, expressApp, listen, type Recorder } from '../support/apps.js';
import { buildClientForBrowser } from './build-client.js';
import { launchChromium, SKIP_BROWSER } from './chromium.js';

interface Outcome {
  status: number;
  statusText: string;
  contentType: string | null;
  bytes: number[];
}

// Runs in the page: the same requests directly and through batchFetch, in both dialects.
// A string, as the page is not typed with the DOM library.
const IN_PAGE = `(async () => {
  const { batchFetch } = await import('/client/index.js');
  const bytes = new Uint8Array(256).map((_, i) => i);
  const requests = [
    ['/items/1'],
    ['/echo', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ a: [1, 'ü'] }) }],
    ['/echo-text', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hé\\r\\n' }],
    ['/echo-bytes', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: bytes }],
    ['/binary'],
    ['/items/1', { method: 'HEAD' }],
    ['/nowhere'],
  ];
  const read = async (response) => ({
    status: response.status,
    statusText: response.statusText,
    contentType: response.headers.get('content-type'),
    bytes: [...new Uint8Array(await response.arrayBuffer())],
  });
  const result = { direct: [] };
  for (const [path, init] of requests) result.direct.push(await read(await fetch(path, init)));
  for (const dialect of ['multipart', 'json']) {
    const api = batchFetch({ endpoint: '/batch', dialect });
    const responses = await Promise.all(requests.map(([path, init]) => api(path, init)));
    result[dialect] = await Promise.all(responses.map(read));
  }
  return result;
})()`;

type Outcomes = { direct: Outcome[]; multipart: Outcome[]; json: Outcome[] };

describe.skipIf(SKIP_BROWSER)('batchFetch in headless Chromium', () => {
  let clientDir: string | undefined;
  let server: Awaited<ReturnType<typeof listen>> | undefined;
  let browser: Browser | undefined;
  let running: Promise<Outcomes> | undefined;
  const recorder: Recorder = { hits: [], events: [] };

  // Awaited by each test rather than run in beforeAll, so a browser that can't start
  // fails (and counts) every test instead of leaving them reported as skipped.
  const run = async (): Promise<Outcomes> => {
    const dir = await buildClientForBrowser();
    clientDir = dir;
    const app = expressApp('express5', recorder);
    // The test app, plus an empty page and the client's modules on the same origin.
    server = await listen((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const file = normalize(path.slice('/client/'.length));
      if (path === '/blank') {
        res.setHeader('Content-Type', 'text/html');
        res.end('<!doctype html><link rel="icon" href="data:,"><title>blank</title>');
      } else if (path.startsWith('/client/') && !file.startsWith('..')) {
        readFile(join(dir, file)).then(
          (source) => {
            res.setHeader('Content-Type', 'text/javascript');
            res.end(source);
          },
          () => {
            res.statusCode = 404;
            res.end();
          },
        );
      } else {
        app(req, res);
      }
    });
    browser = await launchChromium();
    const page: Page = await browser.newPage();
    await page.goto(`${server.url}/blank`);
    return page.evaluate<Outcomes>(IN_PAGE);
  };
  const outcomes = (): Promise<Outcomes> => (running ??= run());

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (clientDir !== undefined) await rm(clientDir, { recursive: true, force: true });
  });

  it.each(['multipart', 'json'] as const)(
    'answers like a direct fetch in the %s dialect: statuses, types and bytes',
    async (dialect) => {
      const result = await outcomes();
      expect(result[dialect]).toEqual(result.direct);
    },
  );

  it('round-trips JSON, text and every byte value', async () => {
    const result = await outcomes();
    const text = (outcome: Outcome | undefined) => Buffer.from(outcome?.bytes ?? []).toString();
    for (const dialect of ['multipart', 'json'] as const) {
      const [item, echo, echoText, echoBytes, binary, head, missing] = result[dialect];
      expect([item?.status, JSON.parse(text(item))]).toEqual([200, { id: '1' }]);
      expect([echo?.status, JSON.parse(text(echo)).body]).toEqual([201, { a: [1, 'ü'] }]);
      expect([echoText?.status, text(echoText)]).toEqual([200, 'text/plain|hé\r\n']);
      expect([echoBytes?.status, echoBytes?.bytes]).toEqual([200, [...BINARY]]);
      expect([binary?.status, binary?.bytes]).toEqual([200, [...BINARY]]);
      expect([head?.status, head?.bytes]).toEqual([200, []]);
      expect(missing?.status).toBe(404);
    }
  });

  it('sends the seven calls of each dialect as one POST /batch', async () => {
    await outcomes();
    expect(recorder.hits.filter((hit) => hit === 'POST /batch')).toEqual(['POST /batch', 'POST /batch']);
  });
});
