import { afterAll, describe, expect, it } from 'vitest';
import { SKIP_BROWSER } from './chromium.js';
import { openExamplePage, type ExamplePage } from './example-app.js';

const JOB_PATH = /^\/batch\/([0-9a-f-]{36})$/;

describe.skipIf(SKIP_BROWSER)('the Express example’s jobs page in headless Chromium', () => {
  let example: ExamplePage | undefined;
  afterAll(async () => {
    await example?.close();
  });

  it('draws a bulk job’s progress bar live from the event stream up to 100 %, then lists every item’s result', async () => {
    example = await openExamplePage('/jobs.html');
    const { page, hits, pageErrors } = example;
    await page.waitForSelector('#start:not([disabled])', { timeout: 15_000 });
    // Every value the bar takes, as the page sets it (page code as a string: no DOM types here).
    await page.evaluate(`{
      const bar = document.getElementById('bar');
      window.barValues = [];
      new MutationObserver(() => window.barValues.push(bar.value)).observe(bar, { attributes: true, attributeFilter: ['value'] });
    }`);
    await page.click('#start');
    await page.waitForSelector('#status[data-state="done"], #status[data-state="failed"]', { timeout: 30_000 });
    expect(pageErrors).toEqual([]);
    expect(await page.textContent('#status')).toBe('PARTIAL: 19 of 20 items succeeded.');

    const values = await page.evaluate<number[]>('window.barValues');
    expect(await page.evaluate<number>("document.getElementById('bar').value")).toBe(100);
    expect(values.at(-1)).toBe(100);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    // It moved: the bar showed the job part done, not only empty and full.
    expect(values.some((value) => value > 0 && value < 100)).toBe(true);

    const items = await page.locator('#results li').allTextContents();
    expect(items).toHaveLength(20);
    expect(items[0]).toBe('SKU-01: ✓ restocked 10');
    expect(items[6]).toBe('SKU-07: ✗ quantity of SKU-07 must be a whole number ≥ 0');
    expect(await page.locator('#results li.failed').count()).toBe(1);

    // One submit, one stream request that followed the whole job (no polling), one download.
    expect(hits.filter((hit) => hit.startsWith('PATCH '))).toEqual(['PATCH /process/restock']);
    const statusReads = hits.filter((hit) => JOB_PATH.test(hit.slice(hit.indexOf(' ') + 1)));
    expect(statusReads).toHaveLength(1);
    const id = JOB_PATH.exec(statusReads[0]?.split(' ')[1] ?? '')?.[1];
    expect(hits).toContain(`GET /batch/${id}/jsonl`);
  });
});
