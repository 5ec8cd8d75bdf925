import { createHmac } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchOptions, JobSummary } from '@inbatch/core';
import { FRAMEWORKS } from '../support/apps.js';
import { startAsyncApp, type AsyncApp } from './apps.js';
import { innerHits, seedOperations, sendJson, waitFor, waitForJob } from './helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

const SECRET = 'whsec-test-1';

/** Options that let the test's loopback receiver in: http, private addresses, its port. */
function loopbackWebhooks(receiver: Receiver, extra: BatchOptions = {}): BatchOptions {
  return {
    webhookAllowHttp: true,
    webhookAllowPrivate: true,
    webhookPorts: [receiver.port],
    webhookRetryDelaysMs: [10, 10],
    ...extra,
  };
}

describe.each(FRAMEWORKS)('webhooks on %s', (framework) => {
  let app: AsyncApp;
  let receiver: Receiver;
  afterEach(async () => {
    await app.close();
    await receiver.close();
  });

  it('calls the callbackUrl once the job ended, with ?uid=<uuid> appended to its own query', async () => {
    receiver = await startReceiver();
    app = await startAsyncApp(framework, loopbackWebhooks(receiver));
    const callbackUrl = `${receiver.url}/hooks/batch?tenant=7`;
    const { uuid } = (await sendJson(app.url, '/batch', seedOperations({ callbackUrl }))).json();
    const [call] = await receiver.waitForCalls(1);
    expect(call).toMatchObject({ method: 'POST', url: `/hooks/batch?tenant=7&uid=${uuid}` });
    expect(call?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(call?.body ?? '')).toEqual({ uuid, status: 'finished' });
    expect((await waitForJob(app.url, uuid)).json().webhook).toEqual({ callbackUrl, email: null });
  });

  it('signs the call with an HMAC-SHA256 of "<timestamp>.<body>" when a secret is set', async () => {
    receiver = await startReceiver();
    app = await startAsyncApp(framework, loopbackWebhooks(receiver, { webhookSecret: SECRET }));
    await sendJson(app.url, '/batch', seedOperations({ callbackUrl: `${receiver.url}/signed` }));
    const [call] = await receiver.waitForCalls(1);
    const timestamp = String(call?.headers['x-inbatch-timestamp']);
    expect(timestamp).toMatch(/^\d{10}$/);
    const expected = createHmac('sha256', SECRET).update(`${timestamp}.${call?.body}`).digest('hex');
    expect(call?.headers['x-inbatch-signature']).toBe(`sha256=${expected}`);
  });

  it('sends no signature headers when no secret is set', async () => {
    receiver = await startReceiver();
    app = await startAsyncApp(framework, loopbackWebhooks(receiver));
    await sendJson(app.url, '/batch', seedOperations({ callbackUrl: `${receiver.url}/plain` }));
    const [call] = await receiver.waitForCalls(1);
    expect(call?.headers['x-inbatch-signature']).toBeUndefined();
    expect(call?.headers['x-inbatch-timestamp']).toBeUndefined();
  });

  it('retries a failed call with backoff, and stops once it is delivered', async () => {
    receiver = await startReceiver();
    receiver.answerWith(503, 500);
    app = await startAsyncApp(framework, loopbackWebhooks(receiver));
    const { uuid } = (
      await sendJson(app.url, '/batch', seedOperations({ callbackUrl: `${receiver.url}/retry` }))
    ).json();
    const calls = await receiver.waitForCalls(3);
    await delay(60);
    expect(calls.map((call) => call.url)).toEqual(Array(3).fill(`/retry?uid=${uuid}`));
  });

  it('gives up after the last retry', async () => {
    receiver = await startReceiver();
    receiver.answerWith(503, 503, 503, 503);
    app = await startAsyncApp(framework, loopbackWebhooks(receiver));
    await sendJson(app.url, '/batch', seedOperations({ callbackUrl: `${receiver.url}/down` }));
    await receiver.waitForCalls(3);
    await delay(80);
    expect(receiver.calls).toHaveLength(3);
  });

  it('stops calling a callback host after 5 failed calls in a row, and goes on calling other hosts', async () => {
    receiver = await startReceiver();
    const down = await startReceiver();
    try {
      down.answerWith(...Array<number>(6).fill(503));
      app = await startAsyncApp(framework, {
        ...loopbackWebhooks(receiver, { webhookRetryDelaysMs: [] }),
        webhookPorts: [receiver.port, down.port],
      });
      const submitTo = async (callbackUrl: string) => {
        const { uuid } = (await sendJson(app.url, '/batch', seedOperations({ callbackUrl }))).json();
        await waitForJob(app.url, uuid);
        return uuid as string;
      };
      for (let failed = 1; failed <= 5; failed++) {
        await submitTo(`${down.url}/down`);
        await down.waitForCalls(failed);
      }
      // The breaker of the down host is open: this job's call is never made…
      const skipped = await submitTo(`${down.url}/down`);
      // …while a host that answers is still called (and this call goes out after the skipped one would have).
      const called = await submitTo(`${receiver.url}/up`);
      await receiver.waitForCalls(1);
      expect(receiver.calls.map((call) => call.url)).toEqual([`/up?uid=${called}`]);
      expect(down.calls).toHaveLength(5);
      expect(down.calls.map((call) => call.url)).not.toContain(`/down?uid=${skipped}`);
    } finally {
      await down.close();
    }
  });

  it('follows no redirect and does not retry one', async () => {
    receiver = await startReceiver();
    receiver.answerWith(302);
    app = await startAsyncApp(framework, loopbackWebhooks(receiver));
    await sendJson(app.url, '/batch', seedOperations({ callbackUrl: `${receiver.url}/moved` }));
    await receiver.waitForCalls(1);
    await delay(80);
    expect(receiver.calls.map((call) => call.url.split('?')[0])).toEqual(['/moved']);
  });

  it('hands the email and the summary to onComplete, and sends no mail itself', async () => {
    receiver = await startReceiver();
    const completed: JobSummary[] = [];
    app = await startAsyncApp(framework, { onComplete: (job) => void completed.push(job) });
    const { uuid } = (await sendJson(app.url, '/batch', seedOperations({ email: 'ops@example.com' }))).json();
    await waitFor(() => completed.length === 1, 'onComplete');
    expect(completed[0]).toMatchObject({
      id: uuid,
      kind: 'operations',
      state: 'succeeded',
      progress: { total: 3, done: 3, failed: 0, cancelled: 0 },
      webhook: { email: 'ops@example.com' },
    });
    expect(completed[0]?.owner).toMatch(/^[0-9a-f]{64}$/);
  });
});

// THREATS T26 / V12: every spelling is judged after parsing and resolution.
const FORBIDDEN: ReadonlyArray<[url: string, reason: RegExp]> = [
  ['https://127.0.0.1/hook', /resolves to 127\.0\.0\.1, a loopback address/],
  ['https://2130706433/hook', /resolves to 127\.0\.0\.1, a loopback address/],
  ['https://0177.0.0.1/hook', /resolves to 127\.0\.0\.1, a loopback address/],
  ['https://[::ffff:127.0.0.1]/hook', /resolves to ::ffff:7f00:1, a loopback address/],
  ['https://[::1]/hook', /resolves to ::1, a loopback address/],
  ['https://localhost/hook', /localhost resolves to .*, a loopback address/],
  ['https://10.1.2.3/hook', /a private address/],
  ['https://169.254.169.254/latest/meta-data', /a metadata address/],
  ['https://0/hook', /resolves to 0\.0\.0\.0, a reserved address/],
  ['http://203.0.114.9/hook', /must use https:/],
  ['https://user:pass@203.0.114.9/hook', /may not carry credentials/],
  ['https://203.0.114.9:6379/hook', /port must be one of 443, 8443/],
  ['gopher://203.0.114.9/', /must use https:/],
  ['not a url', /not a valid absolute URL/],
];

describe.each(FRAMEWORKS)('webhook callback URLs refused at submit on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });

  it.each(FORBIDDEN)('refuses %s with 400 batch.callback_forbidden and runs nothing', async (callbackUrl, reason) => {
    app = await startAsyncApp(framework);
    const reply = await sendJson(app.url, '/batch', seedOperations({ callbackUrl }));
    expect(reply.status).toBe(400);
    expect(reply.json().error).toMatchObject({
      code: 'batch.callback_forbidden',
      message: expect.stringMatching(reason),
    });
    expect(innerHits(app.hits)).toEqual([]);
  });

  it('refuses a metadata address even when private addresses are allowed', async () => {
    app = await startAsyncApp(framework, { webhookAllowPrivate: true });
    const reply = await sendJson(app.url, '/batch', seedOperations({ callbackUrl: 'https://169.254.169.254/x' }));
    expect(reply.status).toBe(400);
    expect(reply.json().error).toMatchObject({
      code: 'batch.callback_forbidden',
      message: 'The callback host 169.254.169.254 resolves to 169.254.169.254, a metadata address.',
    });
  });

  it('accepts a loopback callback when private addresses are allowed', async () => {
    app = await startAsyncApp(framework, { webhookAllowPrivate: true, webhookRetryDelaysMs: [] });
    const reply = await sendJson(app.url, '/batch', seedOperations({ callbackUrl: 'https://127.0.0.1/x' }));
    expect(reply.status).toBe(201);
    await waitForJob(app.url, reply.json().uuid);
  });
});
