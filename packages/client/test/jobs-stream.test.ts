/**
 * wait() over the server's event stream (GET {path}/{id} with Accept: text/event-stream):
 * progress in order without polling, the fallback to polling past the stream cap, and a
 * stream the client closes leaving nothing behind on the server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openJob, submitJob, type FetchFunction, type JobProgress } from '@inbatch/client';
import { startAsyncApp, type AsyncApp } from '../../../test/async/apps.js';
import { waitFor } from '../../../test/async/helpers.js';

const FRAMEWORKS = ['express5', 'koa3'] as const;
const ALICE = { authorization: 'Bearer alice-stream' };

function heldOperations(gates: readonly string[]) {
  return {
    operations: gates.map((gate) => ({ operationId: gate, method: 'GET', endpoint: `/gate/${gate}` })),
  };
}

/** The server's timers: the event stream's heartbeat is one per open stream. */
function timers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

/** The steady count of timers: the least over 100 ms, as short-lived ones (a Redis write batch) come and go. */
async function steadyTimers(): Promise<number> {
  let least = timers();
  for (let sample = 0; sample < 20; sample++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    least = Math.min(least, timers());
  }
  return least;
}

/** A fetch that records the Content-Type of every answer to an event-stream request. */
function recording() {
  const streamAnswers: string[] = [];
  const wrapped: FetchFunction = async (input, init) => {
    const answer = await fetch(input, init);
    if (new Headers(init?.headers).get('accept') === 'text/event-stream') {
      streamAnswers.push(`${answer.status} ${answer.headers.get('content-type') ?? ''}`);
    }
    return answer;
  };
  return { fetch: wrapped, streamAnswers };
}

describe.each(FRAMEWORKS)('wait() over the event stream on %s', (framework) => {
  let app: AsyncApp;
  afterEach(async () => {
    await app.close();
  });
  const endpoint = () => `${app.url}/batch`;
  const statusReads = (id: string) => app.hits.filter((hit) => hit === `GET /batch/${id}`).length;

  it('reports each change in order from one stream request, then resolves with the final document', async () => {
    app = await startAsyncApp(framework, { concurrency: 1 });
    const job = await submitJob(heldOperations(['s1', 's2', 's3']), { endpoint: endpoint(), headers: ALICE });
    const seen: JobProgress<'operations'>[] = [];
    const waiting = job.wait({ onProgress: (progress) => seen.push(progress) });
    for (const [index, gate] of ['s1', 's2', 's3'].entries()) {
      await waitFor(() => seen.some((progress) => progress.progress?.done === index), `${index} done`);
      app.gates.open(gate);
    }
    const done = await waiting;
    expect(done.status).toBe('finished');
    expect(done).toEqual(await job.status());
    // The current state first (pending, on a queue), then each change once; the last one comes
    // as the final document.
    const dones = seen.map((progress) => progress.progress?.done);
    expect(dones).toEqual([...dones].sort());
    expect([...new Set(dones)]).toEqual([0, 1, 2]);
    expect(new Set(seen.map((progress) => JSON.stringify(progress))).size).toBe(seen.length);
    expect(seen[0]).toEqual({
      id: job.id,
      kind: 'operations',
      status: expect.stringMatching(/^(pending|running)$/),
      progress: { total: 3, done: 0, failed: 0, cancelled: 0 },
    });
    expect(seen.at(-1)?.status).toBe('running');
    // One request followed the whole job (the status() above is the second): no polling.
    expect(statusReads(job.id)).toBe(2);
  });

  it("gives a bulk job's counts while it runs, which its status document does not have", async () => {
    app = await startAsyncApp(framework, {
      concurrency: 1,
      bulk: { gated: { method: 'GET', url: '/gate/{gate}' } },
    });
    const job = await submitJob({ bulk: 'gated', items: [{ gate: 'b1' }, { gate: 'b2' }] }, { endpoint: endpoint() });
    const seen: JobProgress<'bulk'>[] = [];
    const waiting = job.wait({ onProgress: (progress) => seen.push(progress) });
    await waitFor(() => app.hits.includes('GET /gate/b1'), 'the first item');
    expect(await job.status()).toEqual({ batchId: job.id, status: 'RUNNING' });
    app.gates.open('b1');
    await waitFor(() => seen.some((progress) => progress.progress?.done === 1), 'one item done');
    app.gates.open('b2');
    const done = await waiting;
    expect(done.status).toBe('SUCCESS');
    expect(done.data?.map((item) => item.gate)).toEqual(['b1', 'b2']);
    // PENDING may come first on a queue (and a change coalesced away); the counts come with every event.
    expect(seen.at(-1)?.status).toBe('RUNNING');
    expect(seen.at(-1)?.progress).toEqual({ total: 2, done: 1, failed: 0, cancelled: 0 });
    expect(seen.every((progress) => progress.progress?.total === 2)).toBe(true);
    expect(seen.every((progress) => progress.kind === 'bulk' && progress.id === job.id)).toBe(true);
  });

  it('falls back to polling when the owner already has the most streams open (429 batch.stream_limit)', async () => {
    app = await startAsyncApp(framework);
    const job = await submitJob(heldOperations(['cap']), { endpoint: endpoint(), headers: ALICE });
    // Five other waiters of the same owner hold the five streams it may open.
    const others = Array.from({ length: 5 }, () => new AbortController());
    const holders = recording();
    const follower = openJob(job, { endpoint: endpoint(), headers: ALICE, fetch: holders.fetch });
    const held = others.map((controller) => follower.wait({ signal: controller.signal }).catch(() => undefined));
    await waitFor(() => holders.streamAnswers.length === 5, 'five streams');
    expect(holders.streamAnswers).toEqual(Array(5).fill('200 text/event-stream; charset=utf-8'));

    const mine = recording();
    const seen: JobProgress[] = [];
    const polled = openJob(job, { endpoint: endpoint(), headers: ALICE, fetch: mine.fetch });
    const waiting = polled.wait({ onProgress: (progress) => seen.push(progress) });
    await waitFor(() => seen.length > 0, 'a polled state');
    const readsBefore = statusReads(job.id);
    await waitFor(() => statusReads(job.id) > readsBefore, 'a second poll');
    expect(mine.streamAnswers).toEqual(['429 application/json; charset=utf-8']);
    app.gates.open('cap');
    expect((await waiting).status).toBe('finished');
    for (const controller of others) controller.abort();
    await Promise.all(held);
  });

  it('leaves no timer and no stream slot behind when the client stops waiting', async () => {
    app = await startAsyncApp(framework);
    const job = await submitJob(heldOperations(['leave']), { endpoint: endpoint(), headers: ALICE });
    const { fetch, streamAnswers } = recording();
    const follower = openJob(job, { endpoint: endpoint(), headers: ALICE, fetch });
    // Running (its own timers, such as a queue lock's renewal, started) before counting.
    await waitFor(() => app.hits.includes('GET /gate/leave'), 'the held operation');
    // Three rounds of five: a slot or a heartbeat timer kept by a closed stream would refuse
    // the sixth stream (the cap is 5 per owner) or keep the timer count up.
    for (let round = 0; round < 3; round++) {
      const before = await steadyTimers();
      const controllers = Array.from({ length: 5 }, () => new AbortController());
      const connected = streamAnswers.length;
      const waits = controllers.map((controller) =>
        follower.wait({ signal: controller.signal }).catch((error: unknown) => error),
      );
      await waitFor(() => streamAnswers.length === connected + 5, 'five streams');
      await waitFor(() => timers() >= before + 5, 'five heartbeat timers');
      for (const controller of controllers) controller.abort(new Error('left'));
      expect((await Promise.all(waits)).map((error) => (error as Error).message)).toEqual(Array(5).fill('left'));
      await waitFor(() => timers() <= before, 'the timers cleared');
    }
    expect(streamAnswers).toEqual(Array(15).fill('200 text/event-stream; charset=utf-8'));
    app.gates.open('leave');
    expect((await job.wait()).status).toBe('finished');
  });

  it('rejects with the error an onProgress callback throws, and closes its stream', async () => {
    app = await startAsyncApp(framework);
    const job = await submitJob(heldOperations(['throws']), { endpoint: endpoint(), headers: ALICE });
    const failing = job.wait({
      onProgress: () => {
        throw new Error('render failed');
      },
    });
    await expect(failing).rejects.toThrow('render failed');
    // The server notices the client left (a moment), and its stream slot is free again: five more streams open (the cap is 5 per owner).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { fetch, streamAnswers } = recording();
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const follower = openJob(job, { endpoint: endpoint(), headers: ALICE, fetch });
    const waits = controllers.map((controller) => follower.wait({ signal: controller.signal }).catch(() => undefined));
    await waitFor(() => streamAnswers.length === 5, 'five streams');
    expect(streamAnswers).toEqual(Array(5).fill('200 text/event-stream; charset=utf-8'));
    for (const controller of controllers) controller.abort();
    await Promise.all(waits);
    app.gates.open('throws');
    await job.wait();
  });

  it("answers another owner's stream request 404 JSON, byte for byte the answer to an unknown id", async () => {
    app = await startAsyncApp(framework);
    const job = await submitJob(heldOperations(['other']), { endpoint: endpoint(), headers: ALICE });
    const ask = (id: string) =>
      fetch(`${endpoint()}/${id}`, { headers: { accept: 'text/event-stream', authorization: 'Bearer mallory' } });
    const [theirs, unknown] = await Promise.all([ask(job.id), ask(crypto.randomUUID())]);
    expect([theirs.status, unknown.status]).toEqual([404, 404]);
    expect(theirs.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = await theirs.text();
    expect(JSON.parse(body).error.code).toBe('batch.job_not_found');
    expect(body).toBe(await unknown.text());
    app.gates.open('other');
    await job.wait();
  });

  it('connects again with Last-Event-ID when the stream is cut, and still resolves', async () => {
    app = await startAsyncApp(framework);
    const job = await submitJob(heldOperations(['cut']), { endpoint: endpoint(), headers: ALICE });
    const lastEventIds: Array<string | null> = [];
    let cut = false;
    // The first stream is cut after its first chunk, as a dropped connection would.
    const cutting: FetchFunction = async (input, init) => {
      const answer = await fetch(input, init);
      const headers = new Headers(init?.headers);
      if (headers.get('accept') !== 'text/event-stream') return answer;
      lastEventIds.push(headers.get('last-event-id'));
      if (cut || answer.body === null) return answer;
      cut = true;
      const reader = answer.body.getReader();
      let eventSent = false;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          // The first event goes through; then the connection dies.
          if (eventSent) {
            await reader.cancel();
            controller.error(new TypeError('terminated'));
            return;
          }
          const { value, done } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          eventSent = new TextDecoder().decode(value).includes('event: progress');
          controller.enqueue(value);
        },
      });
      return new Response(body, { status: answer.status, headers: answer.headers });
    };
    const seen: JobProgress[] = [];
    const waiting = openJob(job, { endpoint: endpoint(), headers: ALICE, fetch: cutting }).wait({
      onProgress: (progress) => seen.push(progress),
    });
    await waitFor(() => lastEventIds.length === 2, 'a second stream');
    app.gates.open('cut');
    expect((await waiting).status).toBe('finished');
    expect(lastEventIds).toEqual([null, '0']);
    // The reconnect's first event repeats the current state; each state is reported once.
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((progress) => JSON.stringify(progress))).size).toBe(seen.length);
  });
});
