import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MERCHANT_BATCH_BODY, demoCommands, demoText } from '@inbatch/example-inventory';
import { send, type Reply } from '../../test/support/http.js';
import {
  EXAMPLES,
  listeningUrl,
  runCurl,
  runShell,
  startApp,
  startIndex,
  type Example,
  type StartedIndex,
} from './helpers.js';

const INVALID_JSON = { error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } };
const DEMO_AUTH = { authorization: 'Bearer demo-token' };

function expectSeedAnswer(parts: Awaited<ReturnType<typeof runCurl>>) {
  expect(parts.map((part) => [part.contentId, part.status])).toEqual([
    ['<response-get:online:en:US:123456>', 200],
    ['<response-post:online:en:US:123456>', 400],
  ]);
  expect(parts[0]?.json()).toMatchObject({ regionalInventories: [{ region: 'west' }] });
  expect(parts[1]?.json()).toEqual(INVALID_JSON);
}

/** The command of one dialect, as the demo prints it for `baseUrl`. */
function commandFor(baseUrl: string, dialect: string): string {
  const found = demoCommands(baseUrl).find((command) => command.dialect.startsWith(dialect));
  if (found === undefined) throw new Error(`the demo prints no ${dialect} command`);
  return found.command;
}

/** GETs a job's status until it has ended (the demo's jobs take milliseconds). */
async function endedJob(baseUrl: string, id: string, isRunning: (reply: Reply) => boolean): Promise<Reply> {
  for (;;) {
    const reply = await send(baseUrl, `/batch/${id}`, { headers: DEMO_AUTH });
    if (!isRunning(reply)) return reply;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the demo', () => {
  it('sends the Merchant seed’s body byte for byte, invalid JSON included', () => {
    const seed = readFileSync(new URL('../../test/fixtures/seeds/merchant-en.request.txt', import.meta.url), 'utf8');
    expect(MERCHANT_BATCH_BODY).toBe(seed);
  });

  it('prints one command per dialect, each with what its answer shows', () => {
    expect(demoCommands('http://localhost:3000').map((command) => command.dialect.split(' ')[0])).toEqual([
      'multipart/mixed',
      'JSON',
      'operations',
      'bulk',
    ]);
    for (const { shows } of demoCommands('http://localhost:3000')) expect(shows).not.toBe('');
  });
});

describe.each(EXAMPLES)('each printed command, run in a shell ($name example)', (example: Example) => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let baseUrl: string;
  beforeAll(async () => {
    app = await startApp(example);
    baseUrl = `http://localhost:${new URL(app.url).port}`;
  });
  afterAll(async () => {
    await app.close();
  });

  it('multipart: the Merchant seed at /batch/inventories/v1beta answers 200, then the app’s 400 for its typo', async () => {
    expectSeedAnswer(await runCurl(commandFor(baseUrl, 'multipart')));
  });

  it('JSON: answers create, read, again 200, gone 404 and after-gone 424', async () => {
    const answer = JSON.parse(await runShell(commandFor(baseUrl, 'JSON')));
    expect(answer.responses.map((response: { id: string; status: number }) => [response.id, response.status])).toEqual([
      ['create', 200],
      ['read', 200],
      ['again', 200],
      ['gone', 404],
      ['after-gone', 424],
    ]);
    expect(answer.responses[2].body.productId).toBe('42');
  });

  it('operations: answers 201 with a uuid, whose job shows page 1, the perPage refusal and the POST', async () => {
    const { uuid } = JSON.parse(await runShell(commandFor(baseUrl, 'operations')));
    const status = await endedJob(baseUrl, uuid, (reply) => ['pending', 'running'].includes(reply.json().status));
    expect(status.json().status).toBe('finished');
    const responses = status.json().responses;
    expect(responses.map((response: { statusCode: number }) => response.statusCode)).toEqual([200, 400, 201]);
    expect(JSON.parse(responses[0].body)).toMatchObject({ page: 1, perPage: 10 });
    expect(JSON.parse(responses[1].body).error.code).toBe('batch.part.query_limit');
    expect(JSON.parse(responses[2].body)).toEqual({ name: 'Product 3' });
  });

  it('bulk: answers 202 with a batchId, whose job is SUCCESS with the item INSERTed', async () => {
    const { batchId } = JSON.parse(await runShell(commandFor(baseUrl, 'bulk')));
    const status = await endedJob(baseUrl, batchId, (reply) => reply.status === 206);
    expect([status.status, status.json().status]).toEqual([200, 'SUCCESS']);
    expect(status.json().data).toEqual([
      expect.objectContaining({
        asin: 'ASINXYZXPTO1',
        countryCode: 'US',
        percACoS: 2.7,
        status: { success: true, message: 'successfully', process: 'INSERT' },
      }),
    ]);
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

  it('prints where it listens, then the commands for that address', () => {
    const url = listeningUrl(started.stdout) ?? 'none';
    expect(started.stdout).toBe(
      `inbatch ${example.name} example listening on ${url}; send it a batch in each dialect:\n${demoText(url)}\n`,
    );
  });

  it('answers its printed multipart command with one 200 part and one 400 part', async () => {
    const printed = started.stdout.slice(
      started.stdout.indexOf('curl '),
      started.stdout.indexOf("--batch_inventory--\n'") + 22,
    );
    expectSeedAnswer(await runCurl(printed));
  });
});
