import * as events from '@sightline/events';
import { DEFAULT_BATCH_LINGER_MS } from '@sightline/events';
import { loadConfig, MAX_COALESCED_SPANS } from '@sightline/service-kit';
import { describe, expect, it } from 'vitest';
import * as config from './config.js';
import { DEFAULT_EVENT_BATCH_LINGER_MS, routerConfigSchema } from './config.js';

describe('router settings', () => {
  it("defaults the event batch linger to libs/events' default", () => {
    expect(DEFAULT_EVENT_BATCH_LINGER_MS).toBe(DEFAULT_BATCH_LINGER_MS);
    expect(loadConfig(routerConfigSchema, { flags: {}, env: {} }).eventBatchLingerMs).toBe(
      DEFAULT_BATCH_LINGER_MS,
    );
  });

  it("defaults the event read bounds to libs/events' defaults, each settable by SIGHTLINE_ variable", () => {
    expect({
      maxEventsPerQuery: config.DEFAULT_MAX_EVENTS_PER_QUERY,
      maxEventsScannedPerQuery: config.DEFAULT_MAX_EVENTS_SCANNED_PER_QUERY,
      maxConcurrentQueries: config.DEFAULT_MAX_EVENT_QUERIES,
      maxTails: config.DEFAULT_MAX_EVENT_TAILS,
      tailBufferEvents: config.DEFAULT_EVENT_TAIL_BUFFER,
    }).toEqual(events.resolveEventHistoryLimits());
    const loaded = loadConfig(routerConfigSchema, {
      flags: {},
      env: {
        SIGHTLINE_MAX_EVENTS_PER_QUERY: '5',
        SIGHTLINE_MAX_EVENTS_SCANNED_PER_QUERY: '6',
        SIGHTLINE_MAX_EVENT_QUERIES: '7',
        SIGHTLINE_MAX_EVENT_TAILS: '8',
        SIGHTLINE_EVENT_TAIL_BUFFER: '900',
      },
    });
    expect([
      loaded.maxEventsPerQuery,
      loaded.maxEventsScannedPerQuery,
      loaded.maxEventQueries,
      loaded.maxEventTails,
      loaded.eventTailBuffer,
    ]).toEqual([5, 6, 7, 8, 900]);
    expect(() =>
      loadConfig(routerConfigSchema, { flags: {}, env: { SIGHTLINE_MAX_EVENT_TAILS: '0' } }),
    ).toThrow(/SIGHTLINE_MAX_EVENT_TAILS/);
    // grpc-js reads grpc-timeout into a 32-bit millisecond count: a longer budget would reach
    // the model-server as a deadline already passed.
    expect(
      loadConfig(routerConfigSchema, { flags: { requestTimeoutMs: '2147483647' }, env: {} }).requestTimeoutMs,
    ).toBe(2_147_483_647);
    expect(() =>
      loadConfig(routerConfigSchema, { flags: { requestTimeoutMs: '2147483648' }, env: {} }),
    ).toThrow(/--request-timeout-ms: must be at most 2147483647/);
    // One stored write (500 events) reaches a following tail at once: a smaller buffer would end
    // a tail that keeps up.
    expect(() => loadConfig(routerConfigSchema, { flags: { eventTailBuffer: '499' }, env: {} })).toThrow(
      /--event-tail-buffer: must be at least 500, the events the router stores in one write/,
    );
  });

  it('coalesces at most 257 outlier calls, one per coalesced span the outlier service records, and refuses more', () => {
    const load = (value: string) =>
      loadConfig(routerConfigSchema, { flags: {}, env: { SIGHTLINE_DETECTOR_COALESCE_MAX_CALLS: value } });
    expect(load('257').detectorCoalesceMaxCalls).toBe(MAX_COALESCED_SPANS + 1);
    expect(() => load('258')).toThrow(/SIGHTLINE_DETECTOR_COALESCE_MAX_CALLS/);
  });

  it('takes the linger from the environment and refuses a negative one, naming the variable', () => {
    expect(
      loadConfig(routerConfigSchema, { flags: {}, env: { SIGHTLINE_EVENT_BATCH_LINGER_MS: '0' } })
        .eventBatchLingerMs,
    ).toBe(0);
    expect(() =>
      loadConfig(routerConfigSchema, { flags: {}, env: { SIGHTLINE_EVENT_BATCH_LINGER_MS: '-1' } }),
    ).toThrow(/SIGHTLINE_EVENT_BATCH_LINGER_MS/);
  });

  it('carries byte-path calls over http2 by default, grpc-js when asked, and refuses anything else', () => {
    expect(loadConfig(routerConfigSchema, { flags: {}, env: {} }).upstreamClient).toBe('http2');
    expect(
      loadConfig(routerConfigSchema, { flags: {}, env: { SIGHTLINE_UPSTREAM_CLIENT: 'grpc-js' } })
        .upstreamClient,
    ).toBe('grpc-js');
    expect(
      loadConfig(routerConfigSchema, { flags: { upstreamClient: 'http2' }, env: {} }).upstreamClient,
    ).toBe('http2');
    expect(() =>
      loadConfig(routerConfigSchema, { flags: {}, env: { SIGHTLINE_UPSTREAM_CLIENT: 'curl' } }),
    ).toThrow(/SIGHTLINE_UPSTREAM_CLIENT/);
  });

  it('refreshes upstream DNS answers every 30 s by default; 0 turns it off, negatives are refused', () => {
    expect(loadConfig(routerConfigSchema, { flags: {}, env: {} }).upstreamDnsRefreshMs).toBe(30_000);
    expect(
      loadConfig(routerConfigSchema, { flags: {}, env: { SIGHTLINE_UPSTREAM_DNS_REFRESH_MS: '0' } })
        .upstreamDnsRefreshMs,
    ).toBe(0);
    expect(() => loadConfig(routerConfigSchema, { flags: { upstreamDnsRefreshMs: '-1' }, env: {} })).toThrow(
      /upstream-dns-refresh-ms|SIGHTLINE_UPSTREAM_DNS_REFRESH_MS/,
    );
  });
});

describe('router upstream transport settings', () => {
  const load = (flags: Record<string, string>, env: Record<string, string> = {}) =>
    loadConfig(routerConfigSchema, { flags, env });

  it('takes every gRPC target form as an upstream address and refuses URLs and bad ports, naming the flag', () => {
    for (const address of [
      '127.0.0.1:8001',
      'dns:///model-server:8001',
      'ipv4:127.0.0.1:8001',
      'unix:/run/ms.sock',
    ]) {
      expect(
        loadConfig(routerConfigSchema, { flags: { defaultModelServer: address }, env: {} })
          .defaultModelServer,
      ).toBe(address);
    }
    expect(() =>
      loadConfig(routerConfigSchema, { flags: { defaultModelServer: 'http://127.0.0.1:8001' }, env: {} }),
    ).toThrow(/--default-model-server.*not a gRPC target: the scheme "http"/);
    expect(() =>
      loadConfig(routerConfigSchema, { flags: { outlierAddress: '127.0.0.1:99999' }, env: {} }),
    ).toThrow(/--outlier-address.*port "99999" is not 1-65535/);
  });

  it('takes connect as an upstream client', () => {
    expect(load({ upstreamClient: 'connect' }).upstreamClient).toBe('connect');
  });

  it('defaults to plaintext upstreams and no keepalive PINGs, with a 20 s PING timeout', () => {
    const config = load({});
    expect(config.upstreamTls).toBe(false);
    expect(config.upstreamTlsCaFile).toBeUndefined();
    expect(config.upstreamKeepaliveTimeMs).toBe(0);
    expect(config.upstreamKeepaliveTimeoutMs).toBe(20_000);
  });

  it('reads the TLS files and keepalive from the environment, and refuses a zero PING timeout', () => {
    const config = load(
      {},
      {
        SIGHTLINE_UPSTREAM_TLS_CA_FILE: '/ca.pem',
        SIGHTLINE_UPSTREAM_TLS_CERT_FILE: '/c.pem',
        SIGHTLINE_UPSTREAM_TLS_KEY_FILE: '/k.pem',
        SIGHTLINE_UPSTREAM_KEEPALIVE_TIME_MS: '10000',
      },
    );
    expect([config.upstreamTlsCaFile, config.upstreamTlsCertFile, config.upstreamTlsKeyFile]).toEqual([
      '/ca.pem',
      '/c.pem',
      '/k.pem',
    ]);
    expect(config.upstreamKeepaliveTimeMs).toBe(10_000);
    expect(() => load({ upstreamKeepaliveTimeoutMs: '0' })).toThrow(/upstream-keepalive-timeout-ms/);
  });
});
