/** The settings of a `HostBreaker`. */
export interface HostBreakerOptions {
  /** The clock, in ms (injected so tests need no timers). */
  now: () => number;
  /**
   * Consecutive failed calls to a host that open its breaker.
   * @default 5
   */
  failureThreshold?: number;
  /**
   * How long an open breaker refuses calls before it lets one trial call through.
   * @default 60000
   */
  cooldownMs?: number;
  /**
   * Hosts tracked at once; past it the one that failed least recently is forgotten, so
   * callback URLs naming endless hosts can't grow the map (THREATS T27).
   * @default 1000
   */
  maxHosts?: number;
}

/** The defaults of `HostBreaker`. */
export const HOST_BREAKER_DEFAULTS = { failureThreshold: 5, cooldownMs: 60_000, maxHosts: 1000 } as const;

interface HostState {
  /** Consecutive failed calls. */
  failures: number;
  /** When the breaker opened (or reopened after a failed trial); undefined while closed. */
  openedAt: number | undefined;
  /** Whether the one half-open trial call is out. */
  trialOut: boolean;
}

/** `hostname:port` of a callback URL, lower case, the port spelled out: the key the breaker counts under. */
export function breakerHostOf(url: URL): string {
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  return `${url.hostname.toLowerCase()}:${port}`;
}

/**
 * A per-host circuit breaker for webhook calls (THREATS T27: a dead or tarpit callback
 * host must not keep taking sockets and retries). It counts *calls* (attempts), not
 * deliveries: a host that fails `failureThreshold` calls in a row opens, so the retries
 * still queued for it, and other jobs' deliveries to it, give up without a call; a burst
 * of jobs calling back to one dead host costs a handful of calls, not jobs × attempts.
 * After `cooldownMs` one trial call goes through (half-open): an answer closes the
 * breaker, a failure reopens it for another cooldown.
 *
 * Only failing hosts are tracked: an answered call forgets its host.
 */
export class HostBreaker {
  private readonly now: () => number;
  private readonly failureThreshold: number;
  private readonly cooldownMs: number;
  private readonly maxHosts: number;
  /** Insertion order is the order of last failure, oldest first. */
  private readonly hosts = new Map<string, HostState>();

  constructor(options: HostBreakerOptions) {
    this.now = options.now;
    this.failureThreshold = options.failureThreshold ?? HOST_BREAKER_DEFAULTS.failureThreshold;
    this.cooldownMs = options.cooldownMs ?? HOST_BREAKER_DEFAULTS.cooldownMs;
    this.maxHosts = options.maxHosts ?? HOST_BREAKER_DEFAULTS.maxHosts;
  }

  /**
   * Whether a call to `host` may go out now. True while closed; false while open; once
   * the cooldown passed, true for one trial call (then false until it is settled).
   * Every admitted call must be settled with `succeeded` or `failed`.
   */
  admit(host: string): boolean {
    const state = this.hosts.get(host);
    if (state === undefined || state.openedAt === undefined) return true;
    if (state.trialOut || this.now() - state.openedAt < this.cooldownMs) return false;
    state.trialOut = true;
    return true;
  }

  /** The host answered: the breaker closes and the host is forgotten. */
  succeeded(host: string): void {
    this.hosts.delete(host);
  }

  /** A call failed (no answer, a timeout, 408, 429, 5xx): one more failure; a failed trial reopens the breaker. */
  failed(host: string): void {
    const state = this.hosts.get(host) ?? { failures: 0, openedAt: undefined, trialOut: false };
    // Re-inserted so the map's order stays by last failure and eviction drops the stalest host.
    this.hosts.delete(host);
    state.failures++;
    if (state.trialOut || state.failures >= this.failureThreshold) {
      state.openedAt = this.now();
      state.trialOut = false;
    }
    this.hosts.set(host, state);
    if (this.hosts.size > this.maxHosts) {
      const stalest = this.hosts.keys().next().value;
      if (stalest !== undefined) this.hosts.delete(stalest);
    }
  }

  /** How many hosts are tracked. */
  get size(): number {
    return this.hosts.size;
  }
}
