import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { BatchError } from '../errors.js';
import type { ResolvedWebhookOptions } from '../options.js';
import { classifyAddress, isCallbackAddressAllowed } from './address.js';

/** Resolves a host name to every address it has (A and AAAA). */
export type Resolver = (hostname: string) => Promise<ReadonlyArray<{ address: string; family: number }>>;

/** Node's resolver (getaddrinfo, as the connection itself would use: /etc/hosts included), every record. */
export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** A callback URL that passed every check, with the addresses it may be reached at. */
export interface CheckedCallback {
  url: URL;
  /** The host without IPv6 brackets, as written after URL parsing. */
  hostname: string;
  port: number;
  /** Every address the host resolved to; all of them allowed. The connection is pinned to the first. */
  addresses: ReadonlyArray<{ address: string; family: number }>;
}

function forbidden(message: string): BatchError {
  return new BatchError('batch.callback_forbidden', message);
}

/**
 * Checks a webhook `callbackUrl` (THREATS T26): parsed with the WHATWG parser first, so
 * `2130706433`, `0177.0.0.1`, `127.1`, `[::ffff:127.0.0.1]` are judged as the loopback
 * addresses they become (V12); https only unless allowed; no credentials in the URL; an
 * allowed port; and **every** address the host resolves to must be public (or loopback
 * / private when `webhookAllowPrivate`). Link-local, metadata and reserved addresses are
 * never allowed. Runs at submit and again before each call (DNS may change: rebinding).
 */
export async function checkCallbackUrl(
  raw: string,
  options: ResolvedWebhookOptions,
  resolve: Resolver = systemResolver,
): Promise<CheckedCallback> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw forbidden('The callback URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowHttp)) {
    throw forbidden(`The callback URL must use ${options.allowHttp ? 'http: or https:' : 'https:'}.`);
  }
  if (url.username !== '' || url.password !== '') throw forbidden('The callback URL may not carry credentials.');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (!options.ports.has(port)) {
    throw forbidden(`The callback URL's port must be one of ${[...options.ports].join(', ')}.`);
  }
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: ReadonlyArray<{ address: string; family: number }>;
  if (isIP(hostname) !== 0) {
    addresses = [{ address: hostname, family: isIP(hostname) }];
  } else {
    try {
      addresses = await resolve(hostname);
    } catch {
      throw forbidden(`The callback host ${hostname} could not be resolved.`);
    }
  }
  if (addresses.length === 0) throw forbidden(`The callback host ${hostname} has no address.`);
  for (const { address } of addresses) {
    const kind = classifyAddress(address);
    if (!isCallbackAddressAllowed(kind, options.allowPrivate)) {
      throw forbidden(`The callback host ${hostname} resolves to ${address}, a ${kind} address.`);
    }
  }
  return { url, hostname, port, addresses };
}
