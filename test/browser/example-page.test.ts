import { afterAll, describe, expect, it } from 'vitest';
import { SKIP_BROWSER } from './chromium.js';
import { openExamplePage, type ExamplePage } from './example-app.js';

const API_PATHS = ['/inventories/', '/v1/'];

describe.skipIf(SKIP_BROWSER)('the Express example’s page in headless Chromium', () => {
  let example: Promise<ExamplePage> | undefined;

  // Awaited by each test rather than run in beforeAll, so a browser that can't start
  // fails (and counts) every test instead of leaving them reported as skipped.
  const loaded = (): Promise<ExamplePage> =>
    (example ??= openExamplePage('/').then(async (opened) => {
      try {
        await opened.page.waitForSelector('#status:not([data-state="loading"])', { timeout: 15_000 });
      } catch (error) {
        await opened.close();
        throw error;
      }
      return opened;
    }));

  afterAll(async () => {
    await (await example?.catch(() => undefined))?.close();
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
