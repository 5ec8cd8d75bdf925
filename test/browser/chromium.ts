import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's `chromium` package (`apt-get install -y chromium`); `CHROMIUM_PATH` points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Playwright makes a fresh profile directory for each launch (it refuses --user-data-dir).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether to skip the browser tests: only on a developer machine without Chromium. With
 * `CI=true` they always run, so a missing browser fails the build instead of hiding.
 */
export const SKIP_BROWSER = !existsSync(CHROMIUM) && process.env.CI !== 'true';

if (SKIP_BROWSER) {
  console.warn(
    `\n!! test/browser skipped: no Chromium at ${CHROMIUM}. Install it (apt-get install -y chromium) ` +
      'or set CHROMIUM_PATH. With CI=true these tests never skip.\n',
  );
}

/** Starts headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 20_000 });
}
