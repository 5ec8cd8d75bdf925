/**
 * The Express example served with the browser build of the client, and a Chromium page on
 * it that records its errors: what each browser test of the example starts from.
 */
import { rm } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { listen } from '../support/apps.js';
import { createApp } from '../../examples/express/src/app.js';
import { buildClientForBrowser } from './build-client.js';
import { launchChromium } from './chromium.js';

export interface ExamplePage {
  page: Page;
  /** `METHOD url` of every HTTP request the server got (inner requests never reach it). */
  hits: string[];
  /** Errors the page logged or threw. */
  pageErrors: string[];
  /** The example's base URL. */
  url: string;
  /** Closes the browser and the server, and deletes the client build. */
  close(): Promise<void>;
}

/** Starts the example and opens `path` in headless Chromium. */
export async function openExamplePage(path: string): Promise<ExamplePage> {
  const clientDir = await buildClientForBrowser();
  const app = createApp({ clientDir });
  const hits: string[] = [];
  const server = await listen((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    app(req, res);
  });
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    await server.close();
    await rm(clientDir, { recursive: true, force: true });
  };
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(`${server.url}${path}`);
    return { page, hits, pageErrors, url: server.url, close };
  } catch (error) {
    await close();
    throw error;
  }
}
