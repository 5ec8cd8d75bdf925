import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { listen } from '../support/apps.js';
import { createApp } from '../../examples/express/src/app.js';
import { buildClientForBrowser } from './build-client.js';
import { launchChromium, SKIP_BROWSER } from './chromium.js';

const API_PATHS = ['/inventories/', '/v1/'];

interface Loaded {
  page: Page;
  /** `METHOD url` of every HTTP request the server got (inner requests never reach it). */
  hits: string[];
  /** Errors the page logged or threw. */
  pageErrors: string[];
}

describe.skipIf(SKIP_BROWSER)('the Express example’s page in headless Chromium', () => {
  let clientDir: string | undefined;
  let server: Awaited<ReturnType<typeof listen>> | undefined;
  let browser: Browser | undefined;
  let loading: Promise<Loaded> | undefined;

  // Awaited by each test rather than run in beforeAll, so a browser that can't start
  // fails (and counts) every test instead of leaving them reported as skipped.
  const load = async (): Promise<Loaded> => {
    clientDir = await buildClientForBrowser();
    const app = createApp({ clientDir });
    const hits: string[] = [];
    server = await listen((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      app(req, res);
    });
    browser = await launchChromium();
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(server.url);
    await page.waitForSelector('#status:not([data-state="loading"])', { timeout: 15_000 });
    return { page, hits, pageErrors };
  };
  const loaded = (): Promise<Loaded> => (loading ??= load());

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (clientDir !== undefined) await rm(clientDir, { recursive: true, force: true });
  });

  it('renders the data of its three API calls', async () => {
    const { page, pageErrors } = await loaded();
    expect(await page.getAttribute('#status', 'data-state')).toBe('done');
    expect(pageErrors).toEqual([]);
    expect(await page.locator('#inventories li').allTextContents()).toEqual(['west: 95 USD']);
    expect(JSON.parse((await page.textContent('#product')) ?? '')).toEqual({
      parent: 'accounts/123456',
      name: 'US:en:product_id_1',
      targetCountry: 'US',
      contentLanguage: 'en',
      productId: 'product_id_1',
    });
    expect(await page.textContent('#missing')).toBe('404 Product accounts/123456/products/US:en:missing not found.');
  });

  it('sends the three calls as exactly one POST /batch, and none of them on its own', async () => {
    const { page, hits } = await loaded();
    expect(await page.textContent('#status')).toBe('Loaded 3 API calls with 1 HTTP request.');
    expect(hits.filter((hit) => hit.startsWith('POST '))).toEqual(['POST /batch']);
    expect(hits.filter((hit) => API_PATHS.some((path) => hit.includes(path)))).toEqual([]);
  });

  it('loads the page and the client as ES modules from the app', async () => {
    const { hits } = await loaded();
    expect(hits).toContain('GET /');
    expect(hits).toContain('GET /client/index.js');
    expect(hits).toContain('GET /client/batch-fetch.js');
  });
});
