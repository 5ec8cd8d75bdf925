import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkCallbackUrl, resolveOptions, type BatchOptions, type Resolver } from '@inbatch/core';
import { HostBreaker } from '../src/webhook/breaker.js';
import { deliverWebhook } from '../src/webhook/deliver.js';

// Webhook SSRF on parsed and resolved addresses (THREATS T26, V12), beyond the loopback
// spellings of callback-url.test.ts: the private and metadata ranges in every numeric
// form, names a stub resolver points inside, and a name that rebinds between check and call.

const webhook = (options: BatchOptions = {}) => resolveOptions(options).webhook;
const resolvesTo =
  (...addresses: string[]): Resolver =>
  () =>
    Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

describe('callback URLs in numeric forms', () => {
  it.each([
    ['https://167772161/', 'private'], // 10.0.0.1, decimal
    ['https://012.0.0.1/', 'private'], // 10.0.0.1, octal
    ['https://0xa.0.0.1/', 'private'], // 10.0.0.1, hex
    ['https://3232235777/', 'private'], // 192.168.1.1
    ['https://0xc0.0xa8.1.1/', 'private'],
    ['https://0300.0250.1.1/', 'private'],
    ['https://[::ffff:10.0.0.1]/', 'private'],
    ['https://[::ffff:c0a8:101]/', 'private'],
    ['https://2852039166/', 'metadata'], // 169.254.169.254
    ['https://0xa9fea9fe/', 'metadata'],
    ['https://0251.0376.0251.0376/', 'metadata'],
    ['https://169.254.43518/', 'metadata'],
    ['https://[::ffff:a9fe:a9fe]/', 'metadata'],
    ['https://[::ffff:169.254.169.254]/', 'metadata'],
    ['https://0/', 'reserved'],
    ['https://[::]/', 'reserved'],
  ])('refuses %s as a %s address whatever it is spelled', async (url, kind) => {
    await expect(checkCallbackUrl(url, webhook(), resolvesTo())).rejects.toMatchObject({
      code: 'batch.callback_forbidden',
      message: expect.stringContaining(kind),
    });
  });

  it('refuses the metadata address in every form even with webhookAllowPrivate', async () => {
    for (const url of ['https://2852039166/', 'https://[::ffff:a9fe:a9fe]/', 'https://0xa9fea9fe/']) {
      await expect(
        checkCallbackUrl(url, webhook({ webhookAllowPrivate: true }), resolvesTo()),
        url,
      ).rejects.toMatchObject({ code: 'batch.callback_forbidden' });
    }
  });
});

describe('callback names a resolver points inside', () => {
  it.each([
    ['10.1.2.3', 'private'],
    ['192.168.0.10', 'private'],
    ['fd00::5', 'private'],
    ['::ffff:192.168.0.10', 'private'],
    ['169.254.169.254', 'metadata'],
    ['fe80::1', 'link-local'],
    ['127.0.0.53', 'loopback'],
  ])('refuses a name that resolves to %s (%s)', async (address, kind) => {
    await expect(
      checkCallbackUrl('https://hooks.example/', webhook(), resolvesTo('93.184.216.34', address)),
    ).rejects.toMatchObject({ code: 'batch.callback_forbidden', message: expect.stringContaining(kind) });
  });
});

describe('a callback name that rebinds between the check and the call', () => {
  it('calls the address that was checked: the connection is pinned, the name is not looked up again', async () => {
    let calls = 0;
    let host: string | undefined;
    const receiver = createServer((req, res) => {
      calls++;
      host = req.headers.host;
      res.statusCode = 204;
      res.end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    // First answer: the receiver (allowed: loopback with webhookAllowPrivate). Every later
    // answer: an address that must never be reached. The system resolver doesn't know the name.
    let lookups = 0;
    const rebinding: Resolver = () => {
      lookups++;
      return Promise.resolve([{ address: lookups === 1 ? '127.0.0.1' : '10.255.255.1', family: 4 }]);
    };
    try {
      const delivered = await deliverWebhook(
        `http://rebind.example:${port}/hook`,
        { uuid: 'a5d6b0a2-6f1e-4c55-9a31-1f6f4d1a0b7e', status: 'finished' },
        {
          options: webhook({ webhookAllowHttp: true, webhookAllowPrivate: true, webhookPorts: [port] }),
          breaker: new HostBreaker({ now: () => Date.now() }),
          resolve: rebinding,
        },
      );
      expect(delivered).toBe(true);
      expect([calls, lookups]).toEqual([1, 1]);
      expect(host).toBe(`rebind.example:${port}`);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});
