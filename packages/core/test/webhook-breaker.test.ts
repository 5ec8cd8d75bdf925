import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveOptions, type Resolver } from '@inbatch/core';
import { breakerHostOf, HOST_BREAKER_DEFAULTS, HostBreaker } from '../src/webhook/breaker.js';
import { deliverWebhook } from '../src/webhook/deliver.js';

const HOST = 'hooks.example:443';
const { failureThreshold, cooldownMs } = HOST_BREAKER_DEFAULTS;

/** A breaker on a clock the test moves by hand. */
function breakerAt(start = 1_000_000, options: { maxHosts?: number } = {}) {
  const clock = { now: start };
  const breaker = new HostBreaker({ now: () => clock.now, ...options });
  return { breaker, clock };
}

function failTimes(breaker: HostBreaker, host: string, times: number): void {
  for (let i = 0; i < times; i++) breaker.failed(host);
}

describe('HostBreaker', () => {
  it(`stays closed through ${failureThreshold - 1} failures in a row and opens on the ${failureThreshold}th`, () => {
    const { breaker } = breakerAt();
    failTimes(breaker, HOST, failureThreshold - 1);
    expect(breaker.admit(HOST)).toBe(true);
    breaker.failed(HOST);
    expect(breaker.admit(HOST)).toBe(false);
  });

  it('counts failures in a row only: an answer in between starts the count again', () => {
    const { breaker } = breakerAt();
    failTimes(breaker, HOST, failureThreshold - 1);
    breaker.succeeded(HOST);
    failTimes(breaker, HOST, failureThreshold - 1);
    expect(breaker.admit(HOST)).toBe(true);
  });

  it('refuses every call while open, until the cooldown has passed', () => {
    const { breaker, clock } = breakerAt();
    failTimes(breaker, HOST, failureThreshold);
    clock.now += cooldownMs - 1;
    expect(breaker.admit(HOST)).toBe(false);
    expect(breaker.admit(HOST)).toBe(false);
  });

  it('lets exactly one trial call through after the cooldown, and closes when it is answered', () => {
    const { breaker, clock } = breakerAt();
    failTimes(breaker, HOST, failureThreshold);
    clock.now += cooldownMs;
    expect(breaker.admit(HOST)).toBe(true);
    expect(breaker.admit(HOST)).toBe(false);
    breaker.succeeded(HOST);
    expect(breaker.admit(HOST)).toBe(true);
    expect(breaker.admit(HOST)).toBe(true);
    expect(breaker.size).toBe(0);
  });

  it('reopens for a whole cooldown when the trial call fails', () => {
    const { breaker, clock } = breakerAt();
    failTimes(breaker, HOST, failureThreshold);
    clock.now += cooldownMs;
    expect(breaker.admit(HOST)).toBe(true);
    breaker.failed(HOST);
    clock.now += cooldownMs - 1;
    expect(breaker.admit(HOST)).toBe(false);
    clock.now += 1;
    expect(breaker.admit(HOST)).toBe(true);
  });

  it('keeps hosts apart: another host, or another port of the same host, stays closed', () => {
    const { breaker } = breakerAt();
    failTimes(breaker, HOST, failureThreshold);
    expect(breaker.admit('hooks.example:8443')).toBe(true);
    expect(breaker.admit('other.example:443')).toBe(true);
  });

  it('tracks at most maxHosts hosts, forgetting the one that failed least recently', () => {
    const { breaker } = breakerAt(0, { maxHosts: 3 });
    failTimes(breaker, 'a:443', failureThreshold);
    failTimes(breaker, 'b:443', failureThreshold);
    failTimes(breaker, 'c:443', failureThreshold);
    breaker.failed('a:443'); // a failed again: b is now the stalest
    breaker.failed('d:443');
    expect(breaker.size).toBe(3);
    expect(breaker.admit('b:443')).toBe(true);
    expect(breaker.admit('a:443')).toBe(false);
    expect(breaker.admit('c:443')).toBe(false);
  });

  it('tracks no more than 1000 hosts by default, however many fail', () => {
    const { breaker } = breakerAt();
    for (let i = 0; i < 5000; i++) breaker.failed(`h${i}.example:443`);
    expect(breaker.size).toBe(HOST_BREAKER_DEFAULTS.maxHosts);
  });
});

describe('breakerHostOf', () => {
  it.each([
    ['https://Hooks.EXAMPLE/x', 'hooks.example:443'],
    ['http://hooks.example/x', 'hooks.example:80'],
    ['https://hooks.example:8443/x?a=1', 'hooks.example:8443'],
    ['https://hooks.example:443/x', 'hooks.example:443'],
    ['https://[::1]:8443/x', '[::1]:8443'],
    ['https://2130706433/x', '127.0.0.1:443'],
  ])('keys %s as %s', (url, host) => {
    expect(breakerHostOf(new URL(url))).toBe(host);
  });
});

describe('deliverWebhook with a breaker', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
    server = undefined;
  });

  it('gives up at once while the host is open: no lookup, no call', async () => {
    const { breaker } = breakerAt();
    failTimes(breaker, HOST, failureThreshold);
    const lookups: string[] = [];
    const resolve: Resolver = (hostname) => {
      lookups.push(hostname);
      return Promise.resolve([{ address: '203.0.113.9', family: 4 }]);
    };
    const delivered = await deliverWebhook(
      'https://hooks.example/x',
      { uuid: 'u', status: 'finished' },
      { options: resolveOptions({}).webhook, breaker, resolve },
    );
    expect(delivered).toBe(false);
    expect(lookups).toEqual([]);
  });

  it('stops retrying a host once its breaker opened, mid-delivery', async () => {
    let calls = 0;
    server = createServer((_req, res) => {
      calls++;
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const options = resolveOptions({
      webhookAllowHttp: true,
      webhookAllowPrivate: true,
      webhookPorts: [port],
      webhookRetryDelaysMs: Array<number>(9).fill(0),
    }).webhook;
    const { breaker } = breakerAt();
    const resolve: Resolver = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    const url = `http://dead.example:${port}/hook`;
    const payload = { uuid: 'u', status: 'failed' };

    expect(await deliverWebhook(url, payload, { options, breaker, resolve })).toBe(false);
    expect(calls).toBe(failureThreshold);
    expect(await deliverWebhook(url, payload, { options, breaker, resolve })).toBe(false);
    expect(calls).toBe(failureThreshold);
  });

  it('counts a callback that no longer resolves against its host', async () => {
    const { breaker } = breakerAt();
    let lookups = 0;
    const resolve: Resolver = () => {
      lookups++;
      return Promise.reject(new Error('ENOTFOUND'));
    };
    const options = resolveOptions({ webhookRetryDelaysMs: [] }).webhook;
    for (let i = 0; i <= failureThreshold; i++) {
      await deliverWebhook('https://gone.example/x', { uuid: 'u', status: 'finished' }, { options, breaker, resolve });
    }
    expect(lookups).toBe(failureThreshold);
  });
});
