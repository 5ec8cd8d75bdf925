import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { ResolvedWebhookOptions } from '../options.js';
import { Semaphore } from '../scheduler.js';
import { breakerHostOf, type HostBreaker } from './breaker.js';
import { checkCallbackUrl, systemResolver, type CheckedCallback, type Resolver } from './callback-url.js';

/** What a webhook call says: the job and how it ended. */
export interface WebhookPayload {
  uuid: string;
  status: string;
}

/**
 * The outcome of one call: done, worth retrying, answered but not worth retrying, or not
 * sent at all (the URL no longer passes its checks: DNS changed or fails).
 */
type Attempt = 'delivered' | 'retry' | 'give-up' | 'unsendable';

// THREATS §1.1: connect 3 s, read at most 4 KiB, 16 calls at once across all jobs.
const CONNECT_TIMEOUT_MS = 3000;
const MAX_READ_BYTES = 4096;
/** Webhook calls in flight at once, across every job of the process (THREATS T27). */
export const webhookSlots = new Semaphore(16);

/** The callback URL with `uid=<id>` appended to its own query (the operations seed's `?uid=`). */
export function callbackTarget(url: URL, id: string): string {
  const query = url.search === '' || url.search === '?' ? '?' : `${url.search}&`;
  return `${url.pathname}${query}uid=${encodeURIComponent(id)}`;
}

/** `X-Inbatch-Signature`: HMAC-SHA256 over `<timestamp>.<body>`, hex, prefixed `sha256=`. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

function jittered(delay: number): number {
  return Math.round(delay * (0.8 + Math.random() * 0.4));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function classify(response: IncomingMessage): Attempt {
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return 'delivered';
  // A redirect is never followed (it could point inside the network: THREATS T26), nor retried.
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'give-up';
}

/** One call, pinned to an address that was checked just before (no second DNS lookup to rebind). */
async function attempt(
  raw: string,
  payload: WebhookPayload,
  options: ResolvedWebhookOptions,
  resolve: Resolver,
): Promise<Attempt> {
  let checked: CheckedCallback;
  try {
    checked = await checkCallbackUrl(raw, options, resolve);
  } catch {
    return 'unsendable';
  }
  const { url, hostname, port } = checked;
  const { address, family } = checked.addresses[0] as { address: string; family: number };
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    host: url.host,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': 'inbatch-webhook',
  };
  if (options.secret !== undefined) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    headers['x-inbatch-timestamp'] = timestamp;
    headers['x-inbatch-signature'] = signWebhook(options.secret, timestamp, body);
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Attempt>((settle) => {
    let done = false;
    const finish = (outcome: Attempt): void => {
      if (done) return;
      done = true;
      clearTimeout(total);
      clearTimeout(connecting);
      request.destroy();
      settle(outcome);
    };
    const request = send({
      host: address,
      family,
      port,
      path: callbackTarget(url, payload.uuid),
      method: 'POST',
      headers,
      agent: false,
      // Certificates are checked against the name in the URL, not the pinned address.
      ...(url.protocol === 'https:' && isIP(hostname) === 0 ? { servername: hostname } : {}),
    });
    const total = setTimeout(() => finish('retry'), options.timeoutMs);
    const connecting = setTimeout(() => finish('retry'), Math.min(CONNECT_TIMEOUT_MS, options.timeoutMs));
    request.once('socket', (socket) => {
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connecting));
    });
    request.once('error', () => finish('retry'));
    request.once('response', (response) => {
      const outcome = classify(response);
      // The answer's body is never kept (THREATS T26); a little is read so the peer sees it taken.
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_READ_BYTES) finish(outcome);
      });
      response.once('end', () => finish(outcome));
      response.once('error', () => finish(outcome));
    });
    request.end(body);
  });
}

/** How a webhook is delivered: the options, the breaker of the middleware, and (for tests) the resolver. */
export interface WebhookDelivery {
  options: ResolvedWebhookOptions;
  breaker: HostBreaker;
  /** @default systemResolver */
  resolve?: Resolver;
}

/**
 * Calls a job's `callbackUrl` once it ended: `POST` with `{"uuid","status"}` and
 * `?uid=<uuid>` appended, retried after each of `retryDelaysMs` (jittered ±20 %) on a
 * network error, a timeout, 408, 429 or 5xx. Every call first asks the host's breaker:
 * while it is open the delivery gives up without a call. Answers whether the call was
 * delivered. Never rejects.
 */
export async function deliverWebhook(
  callbackUrl: string,
  payload: WebhookPayload,
  { options, breaker, resolve = systemResolver }: WebhookDelivery,
): Promise<boolean> {
  let host: string;
  try {
    host = breakerHostOf(new URL(callbackUrl));
  } catch {
    return false;
  }
  for (let index = 0; index <= options.retryDelaysMs.length; index++) {
    if (index > 0) await sleep(jittered(options.retryDelaysMs[index - 1] as number));
    await webhookSlots.acquire();
    let outcome: Attempt;
    try {
      // Asked once a slot is held: calls queued behind a host that just opened don't go out.
      if (!breaker.admit(host)) return false;
      outcome = await attempt(callbackUrl, payload, options, resolve).catch((): Attempt => 'unsendable');
    } finally {
      webhookSlots.release();
    }
    // Any answer (2xx, a redirect, a 4xx not retried) shows the host is up.
    if (outcome === 'delivered' || outcome === 'give-up') breaker.succeeded(host);
    else breaker.failed(host);
    if (outcome === 'delivered') return true;
    if (outcome !== 'retry') return false;
  }
  return false;
}
