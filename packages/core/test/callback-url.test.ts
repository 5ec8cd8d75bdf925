import { describe, expect, it } from 'vitest';
import { checkCallbackUrl, classifyAddress, resolveOptions, type BatchOptions, type Resolver } from '@inbatch/core';

const webhook = (options: BatchOptions = {}) => resolveOptions(options).webhook;
const resolvesTo =
  (...addresses: string[]): Resolver =>
  () =>
    Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'reserved'],
    ['::', 'reserved'],
    ['::7f00:1', 'reserved'],
    ['64:ff9b::7f00:1', 'reserved'],
    ['2002:7f00:1::', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['not-an-ip', 'reserved'],
  ])('classifies %s as %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe('checkCallbackUrl', () => {
  it('accepts a public https URL and answers its checked addresses', async () => {
    const checked = await checkCallbackUrl('https://hooks.example/x?a=1', webhook(), resolvesTo('93.184.216.34'));
    expect(checked.port).toBe(443);
    expect(checked.hostname).toBe('hooks.example');
    expect(checked.addresses).toEqual([{ address: '93.184.216.34', family: 4 }]);
  });

  it('refuses a name when any one of its addresses is private (every A/AAAA record is checked)', async () => {
    await expect(
      checkCallbackUrl('https://mixed.example/', webhook(), resolvesTo('93.184.216.34', '10.0.0.5')),
    ).rejects.toMatchObject({
      code: 'batch.callback_forbidden',
      message: 'The callback host mixed.example resolves to 10.0.0.5, a private address.',
    });
  });

  it('refuses a name whose AAAA record is an IPv4-mapped loopback', async () => {
    await expect(
      checkCallbackUrl('https://sneaky.example/', webhook(), resolvesTo('::ffff:127.0.0.1')),
    ).rejects.toMatchObject({ code: 'batch.callback_forbidden', message: expect.stringMatching(/loopback/) });
  });

  it('judges the parsed host, not the string: every V12 spelling of loopback is refused', async () => {
    for (const url of [
      'https://2130706433/',
      'https://0177.0.0.1/',
      'https://0x7f.1/',
      'https://127.1/',
      'https://①②⑦.0.0.1/',
      'https:\\\\127.0.0.1/',
      'https:/127.0.0.1/',
      'https://[::ffff:127.0.0.1]/',
    ]) {
      await expect(checkCallbackUrl(url, webhook(), resolvesTo()), url).rejects.toMatchObject({
        code: 'batch.callback_forbidden',
        message: expect.stringMatching(/a loopback address\.$/),
      });
    }
  });

  it('refuses a host that does not resolve, or resolves to nothing', async () => {
    const failing: Resolver = () => Promise.reject(new Error('ENOTFOUND'));
    await expect(checkCallbackUrl('https://gone.example/', webhook(), failing)).rejects.toMatchObject({
      message: 'The callback host gone.example could not be resolved.',
    });
    await expect(checkCallbackUrl('https://empty.example/', webhook(), resolvesTo())).rejects.toMatchObject({
      message: 'The callback host empty.example has no address.',
    });
  });

  it('allows loopback and private hosts only with webhookAllowPrivate, and never link-local ones', async () => {
    const open = webhook({ webhookAllowPrivate: true });
    await expect(checkCallbackUrl('https://127.0.0.1/', open)).resolves.toMatchObject({ hostname: '127.0.0.1' });
    await expect(checkCallbackUrl('https://[fd00::1]/', open)).resolves.toMatchObject({ hostname: 'fd00::1' });
    await expect(checkCallbackUrl('https://169.254.10.10/', open)).rejects.toMatchObject({
      message: expect.stringMatching(/a link-local address\.$/),
    });
  });

  it('takes http only with webhookAllowHttp, and only on an allowed port', async () => {
    await expect(checkCallbackUrl('http://93.184.216.34/', webhook())).rejects.toMatchObject({
      message: 'The callback URL must use https:.',
    });
    const http = webhook({ webhookAllowHttp: true, webhookPorts: [80] });
    await expect(checkCallbackUrl('http://93.184.216.34/', http)).resolves.toMatchObject({ port: 80 });
    await expect(checkCallbackUrl('http://93.184.216.34:8080/', http)).rejects.toMatchObject({
      message: "The callback URL's port must be one of 80.",
    });
  });

  it('refuses webhook options that make no sense, at mount', () => {
    expect(() => resolveOptions({ webhookPorts: [0] })).toThrow(/option "webhookPorts"/);
    expect(() => resolveOptions({ webhookRetryDelaysMs: [-1] })).toThrow(/option "webhookRetryDelaysMs"/);
    expect(() => resolveOptions({ webhookSecret: '' })).toThrow(/option "webhookSecret"/);
    expect(() => resolveOptions({ webhookAllowHttp: 'yes' as never })).toThrow(/option "webhookAllowHttp"/);
  });
});
