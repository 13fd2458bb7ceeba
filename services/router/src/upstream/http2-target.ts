/**
 * The upstream targets the HTTP/2 unary channel handles, and their name resolution. Only
 * plain `host:port` forms are taken (`host:port`, `[v6]:port`, `dns:///host:port`,
 * `dns:host:port`); every other gRPC target form (`unix:`, `ipv4:` lists, `xds:`, a DNS
 * authority in `dns://server/...`, a missing port) stays with grpc-js, which knows them all.
 */
import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';

/** A parsed target: where to connect and what to send as `:authority`. */
export interface Http2Target {
  /** Host name or IP literal (an IPv6 literal without brackets). */
  readonly host: string;
  readonly port: number;
  /** `host:port` as the target wrote it (IPv6 in brackets): the `:authority` header. */
  readonly authority: string;
}

const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;
const PORT = /^[0-9]{1,5}$/;

/** The target's host and port, or undefined when the HTTP/2 channel does not handle it. */
export function parseHttp2Target(target: string): Http2Target | undefined {
  let rest = target;
  if (rest.startsWith('dns:///')) rest = rest.slice('dns:///'.length);
  else if (rest.startsWith('dns://'))
    return undefined; // a DNS server authority: grpc-js's
  else if (rest.startsWith('dns:')) rest = rest.slice('dns:'.length);
  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0 || rest[end + 1] !== ':') return undefined;
    host = rest.slice(1, end);
    portText = rest.slice(end + 2);
    if (isIP(host) !== 6) return undefined;
  } else {
    const colon = rest.indexOf(':');
    if (colon < 0 || rest.indexOf(':', colon + 1) >= 0) return undefined;
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (!HOST_NAME.test(host)) return undefined;
  }
  if (!PORT.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65_535) return undefined;
  return { host, port, authority: isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}` };
}

/** One resolved address. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to all its addresses (`dns.promises.lookup` with `all: true`). */
export type AddressLookup = (host: string, options: { all: true }) => Promise<readonly ResolvedAddress[]>;

/** The system resolver, as grpc-js's DNS resolver uses it. */
export const systemLookup: AddressLookup = (host, options) => dnsPromises.lookup(host, options);

/**
 * Shortest time between two resolutions of one target, in ms: grpc-js's
 * `grpc.dns_min_time_between_resolutions_ms` default, so a failing upstream never turns
 * into a DNS query per call.
 */
export const DEFAULT_MIN_RESOLUTION_INTERVAL_MS = 30_000;

/**
 * Shortest time between two tries to resolve a target that has no known address yet, in
 * ms (grpc-js's initial reconnection backoff): calls in between fail with the last reason.
 */
export const UNRESOLVED_RETRY_INTERVAL_MS = 1_000;

/**
 * How old a name's resolution may get before the next call refreshes it in the background,
 * in ms (0: only after a failure, as grpc-js does). A Kubernetes headless service gains
 * addresses when the model-server scales up; without a refresh, long-lived connections
 * would keep every call on the old pods until one of them failed.
 */
export const DEFAULT_ADDRESS_REFRESH_INTERVAL_MS = 30_000;

/**
 * A target's current addresses: resolved on first use, resolved again when asked after a
 * connection failed (at most every `minIntervalMs`) and, in the background, once the last
 * resolution is `refreshIntervalMs` old. An IP literal is never looked up.
 */
export class TargetResolver {
  private addresses: readonly ResolvedAddress[] = [];
  private pending: Promise<readonly ResolvedAddress[]> | undefined;
  private lastStartMs = Number.NEGATIVE_INFINITY;
  private stale = true;
  private lastError: Error | undefined;
  private readonly literal: boolean;

  constructor(
    private readonly target: Http2Target,
    private readonly lookup: AddressLookup,
    private readonly minIntervalMs: number,
    private readonly refreshIntervalMs = 0,
  ) {
    const family = isIP(target.host);
    this.literal = family !== 0;
    if (this.literal) {
      this.addresses = [{ address: target.host, family }];
      this.stale = false;
    }
  }

  /** Asks for a new resolution (after a connection failure); rate-limited. */
  markStale(): void {
    if (!this.literal) this.stale = true;
  }

  /**
   * The addresses to use now: the known ones, or a new resolution when they are stale and
   * the interval has passed (or none are known yet). Rejects only when nothing is known.
   */
  current(): readonly ResolvedAddress[] | Promise<readonly ResolvedAddress[]> {
    if (this.pending) return this.addresses.length > 0 ? this.addresses : this.pending;
    const now = Date.now();
    if (!this.stale) {
      if (this.refreshIntervalMs > 0 && now - this.lastStartMs >= this.refreshIntervalMs && !this.literal) {
        // In the background: this call and those until it ends use the known addresses
        // (resolve() keeps them when the lookup fails).
        this.lastStartMs = now;
        this.pending = this.resolve();
      }
      return this.addresses;
    }
    const sinceLast = now - this.lastStartMs;
    if (this.addresses.length > 0 && sinceLast < this.minIntervalMs) return this.addresses;
    if (this.addresses.length === 0 && this.lastError && sinceLast < UNRESOLVED_RETRY_INTERVAL_MS) {
      return Promise.reject(this.lastError);
    }
    this.lastStartMs = now;
    this.pending = this.resolve();
    return this.pending;
  }

  private async resolve(): Promise<readonly ResolvedAddress[]> {
    try {
      const found = await this.lookup(this.target.host, { all: true });
      if (found.length === 0) throw new Error('no addresses');
      this.addresses = found.map(({ address, family }) => ({ address, family }));
      this.stale = false;
      return this.addresses;
    } catch (error) {
      // Keep serving the last known addresses; with none, the call fails with the reason.
      if (this.addresses.length > 0) return this.addresses;
      this.lastError = new Error(
        `Name resolution failed for target dns:${this.target.authority}: ${(error as Error).message}`,
      );
      throw this.lastError;
    } finally {
      this.pending = undefined;
    }
  }
}
