import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MERCHANT_BATCH_BODY, curlCommand } from '@inbatch/example-inventory';
import { runCurl, startApp, startIndex, type StartedIndex, EXAMPLES } from './helpers.js';

const INVALID_JSON = { error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } };

function expectSeedAnswer(parts: Awaited<ReturnType<typeof runCurl>>) {
  expect(parts.map((part) => [part.contentId, part.status])).toEqual([
    ['<response-get:online:en:US:123456>', 200],
    ['<response-post:online:en:US:123456>', 400],
  ]);
  expect(parts[0]?.json()).toMatchObject({ regionalInventories: [{ region: 'west' }] });
  expect(parts[1]?.json()).toEqual(INVALID_JSON);
}

describe.each(EXAMPLES)('the curl command ($name example)', (example) => {
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  afterEach(async () => {
    await app?.close();
  });

  it('sends the Merchant seed’s body byte for byte, invalid JSON included', () => {
    const seed = readFileSync(new URL('../../test/fixtures/seeds/merchant-en.request.txt', import.meta.url), 'utf8');
    expect(MERCHANT_BATCH_BODY).toBe(seed);
  });

  it('answers with one 200 part and one 400 part when run in a shell', async () => {
    app = await startApp(example);
    const { port } = new URL(app.url);
    const parts = await runCurl(curlCommand(`http://localhost:${port}`));
    expectSeedAnswer(parts);
  });
});

describe.each(EXAMPLES)('src/index.ts ($name example)', (example) => {
  let started: StartedIndex;
  beforeAll(async () => {
    started = await startIndex(example);
  });
  afterAll(async () => {
    await started.stop();
  });

  it('prints where it listens, then the curl command for that address', () => {
    const url = new RegExp(`^inbatch ${example.name} example listening on (http://localhost:\\d+);`).exec(
      started.stdout,
    )?.[1];
    expect(started.stdout).toBe(
      `inbatch ${example.name} example listening on ${url}; send it a batch:\n${curlCommand(url ?? 'none')}\n`,
    );
  });

  it('answers its printed curl command with one 200 part and one 400 part', async () => {
    const printed = started.stdout.slice(started.stdout.indexOf('\n') + 1);
    expectSeedAnswer(await runCurl(printed));
  });
});
