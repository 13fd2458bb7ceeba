import { DEFAULT_BATCH_LINGER_MS } from '@sightline/events';
import { loadConfig } from '@sightline/service-kit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_BATCH_LINGER_MS, routerConfigSchema } from './config.js';

describe('router settings', () => {
  it("defaults the event batch linger to libs/events' default", () => {
    expect(DEFAULT_EVENT_BATCH_LINGER_MS).toBe(DEFAULT_BATCH_LINGER_MS);
    expect(loadConfig(routerConfigSchema, { flags: {}, env: {} }).eventBatchLingerMs).toBe(
      DEFAULT_BATCH_LINGER_MS,
    );
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
