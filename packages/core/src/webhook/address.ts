import { BlockList, isIP } from 'node:net';

/** What kind of address a callback resolved to. */
export type AddressKind = 'public' | 'loopback' | 'private' | 'metadata' | 'link-local' | 'reserved';

type Range = readonly [network: string, prefix: number];

// Checked in this order, so ::1 reads as loopback before ::/96 reads as reserved, and a
// metadata address before the private or link-local range it sits in. IPv4 rules also
// match IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`, written `::ffff:7f00:1` after
// URL parsing; THREATS V12): Node's BlockList checks the embedded address.
const RANGES: ReadonlyArray<readonly [Exclude<AddressKind, 'public'>, ReadonlyArray<Range>, ReadonlyArray<Range>]> = [
  ['loopback', [['127.0.0.0', 8]], [['::1', 128]]],
  [
    'metadata',
    // AWS/GCP/Azure (169.254.169.254), AWS over IPv6, Alibaba Cloud.
    [
      ['169.254.169.254', 32],
      ['100.100.100.200', 32],
    ],
    [['fd00:ec2::254', 128]],
  ],
  ['link-local', [['169.254.0.0', 16]], [['fe80::', 10]]],
  [
    'private',
    [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
      ['100.64.0.0', 10], // carrier-grade NAT
    ],
    [['fc00::', 7]],
  ],
  [
    'reserved',
    [
      ['0.0.0.0', 8], // "this network": 0.0.0.0 reaches the local host on Linux
      ['192.0.0.0', 24],
      ['192.0.2.0', 24],
      ['192.88.99.0', 24],
      ['198.18.0.0', 15],
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
      ['224.0.0.0', 4], // multicast
      ['240.0.0.0', 4], // reserved, and 255.255.255.255
    ],
    [
      ['::', 96], // unspecified and IPv4-compatible (::127.0.0.1)
      ['64:ff9b::', 96], // NAT64: embeds any IPv4 address, loopback included
      ['64:ff9b:1::', 48],
      ['100::', 64],
      ['2001::', 23], // Teredo and other IETF assignments
      ['2001:db8::', 32],
      ['2002::', 16], // 6to4: embeds an IPv4 address
      ['3fff::', 20],
      ['fec0::', 10],
      ['ff00::', 8], // multicast
    ],
  ],
];

const LISTS = RANGES.map(([kind, v4, v6]) => {
  const list = new BlockList();
  for (const [network, prefix] of v4) list.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of v6) list.addSubnet(network, prefix, 'ipv6');
  return [kind, list] as const;
});

/** Classifies an IP address (IPv6 without brackets); anything that is not an address reads as reserved. */
export function classifyAddress(address: string): AddressKind {
  const family = isIP(address);
  if (family === 0) return 'reserved';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of LISTS) if (list.check(address, type)) return kind;
  return 'public';
}

/** Whether a callback may reach an address: public ones, and loopback/private ones when allowed. */
export function isCallbackAddressAllowed(kind: AddressKind, allowPrivate: boolean): boolean {
  return kind === 'public' || (allowPrivate && (kind === 'loopback' || kind === 'private'));
}
