import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONCURRENCIES,
  DEFAULT_DURATION_MS,
  parseBenchArgs,
  ROUTER_DEFAULT_CONCURRENCIES,
  ROUTER_DEFAULT_DURATION_MS,
  suiteDefaults,
} from './cli-args.js';

describe('parseBenchArgs', () => {
  it('defaults to the model-server suite', () => {
    const args = parseBenchArgs([]);
    expect(args.suites).toEqual(['model-server']);
    expect(args.durationMs).toBeUndefined();
    expect(args.concurrencies).toBeUndefined();
    expect(args.setups).toBeUndefined();
  });

  it('gives each suite its own per-point defaults', () => {
    expect(suiteDefaults('model-server')).toEqual({
      durationMs: DEFAULT_DURATION_MS,
      concurrencies: DEFAULT_CONCURRENCIES,
    });
    expect(suiteDefaults('router')).toEqual({
      durationMs: ROUTER_DEFAULT_DURATION_MS,
      concurrencies: ROUTER_DEFAULT_CONCURRENCIES,
    });
  });

  it('takes the upstream clients to compare from the flag, else the environment, and refuses unknown ones', () => {
    expect(parseBenchArgs(['router'], {}).upstreamClients).toBeUndefined();
    expect(parseBenchArgs(['router', '--upstream-clients', 'http2,connect'], {}).upstreamClients).toEqual([
      'http2',
      'connect',
    ]);
    const fromEnv = parseBenchArgs(['router'], { SIGHTLINE_BENCH_UPSTREAM_CLIENTS: 'grpc-js' });
    expect(fromEnv.upstreamClients).toEqual(['grpc-js']);
    expect(() => parseBenchArgs(['router', '--upstream-clients', 'http3'], {})).toThrow(
      /--upstream-clients: unknown client "http3"/,
    );
  });

  it('resolves --baseline-tree to an absolute directory and leaves it unset without the flag', () => {
    expect(parseBenchArgs(['router'], {}).baselineTree).toBeUndefined();
    expect(parseBenchArgs(['router', '--baseline-tree', '/work/old/'], {}).baselineTree).toBe('/work/old');
    expect(parseBenchArgs(['router', '--baseline-tree', 'old'], {}).baselineTree).toBe(
      `${process.cwd()}/old`,
    );
  });

  it('takes the drift history size, unset by default, and refuses a non-positive one', () => {
    expect(parseBenchArgs(['drift']).driftHistoryEvents).toBeUndefined();
    expect(parseBenchArgs(['drift', '--drift-history-events', '20000']).driftHistoryEvents).toBe(20_000);
    expect(() => parseBenchArgs(['drift', '--drift-history-events', '0'])).toThrow(/--drift-history-events/);
    expect(
      parseBenchArgs(['drift', '--drift-history-segment-bytes', '1048576']).driftHistorySegmentBytes,
    ).toBe(1_048_576);
  });

  it('takes the metrics parts, backends and sizes, and refuses an unknown part or backend', () => {
    const defaults = parseBenchArgs(['metrics']);
    expect(defaults.suites).toEqual(['metrics']);
    expect(defaults.metricsParts).toBeUndefined();
    expect(defaults.metricsBackends).toBeUndefined();
    const args = parseBenchArgs([
      'metrics',
      '--metrics-parts',
      'query, kernels',
      '--metrics-backends',
      'sqlite',
      '--metrics-join-items',
      '500',
      '--metrics-kernel-pairs',
      '1000',
    ]);
    expect(args.metricsParts).toEqual(['query', 'kernels']);
    expect(args.metricsBackends).toEqual(['sqlite']);
    expect(args.metricsJoinItems).toBe(500);
    expect(args.metricsKernelPairs).toBe(1000);
    expect(() => parseBenchArgs(['metrics', '--metrics-parts', 'joins,fast'])).toThrow(
      /--metrics-parts: unknown value "fast"/,
    );
    expect(() => parseBenchArgs(['metrics', '--metrics-backends', 'mysql'])).toThrow(
      /--metrics-backends: unknown value "mysql"/,
    );
    expect(() => parseBenchArgs(['metrics', '--metrics-join-items', '0'])).toThrow(/--metrics-join-items/);
  });

  it('takes the drift parts to run, all by default, and refuses an unknown one', () => {
    expect(parseBenchArgs(['outlier']).outlierParts).toBeUndefined();
    expect(parseBenchArgs(['outlier', '--outlier-parts', 'graph, live']).outlierParts).toEqual([
      'graph',
      'live',
    ]);
    expect(() => parseBenchArgs(['outlier', '--outlier-parts', 'graph,fast'])).toThrow(
      /--outlier-parts: unknown part "fast"/,
    );
    expect(parseBenchArgs(['drift']).driftParts).toBeUndefined();
    expect(parseBenchArgs(['drift', '--drift-parts', 'live, probe']).driftParts).toEqual(['live', 'probe']);
    expect(() => parseBenchArgs(['drift', '--drift-parts', 'live,fast'])).toThrow(
      /--drift-parts: unknown part "fast"/,
    );
  });

  it('accepts the router suite and its setups', () => {
    const args = parseBenchArgs(['router', '--setups', 'direct,proxy,router-1-hop']);
    expect(args.suites).toEqual(['router']);
    expect(args.setups).toEqual(['direct', 'proxy', 'router-1-hop']);
  });

  it('reads every flag', () => {
    const args = parseBenchArgs([
      'model-server',
      '--duration-ms',
      '2000',
      '--warmup-ms',
      '0',
      '--concurrency',
      '1,8',
      '--channels',
      '2',
      '--setups',
      'floor,iris-served',
      '--json',
      'out.json',
    ]);
    expect(args).toMatchObject({
      durationMs: 2000,
      warmupMs: 0,
      concurrencies: [1, 8],
      channels: 2,
      setups: ['floor', 'iris-served'],
      jsonPath: 'out.json',
    });
  });

  it('names the flag and the rule on bad input', () => {
    expect(() => parseBenchArgs(['routers'])).toThrow(
      'suite "routers": unknown; expected one of model-server, router',
    );
    expect(() => parseBenchArgs(['--duration-ms', '0'])).toThrow(
      '--duration-ms: expected a positive integer, got 0',
    );
    expect(() => parseBenchArgs(['--warmup-ms', 'x'])).toThrow(
      '--warmup-ms: expected a non-negative integer, got "x"',
    );
    expect(() => parseBenchArgs(['--setups', 'floor,nope'])).toThrow(/--setups: unknown setup "nope"/);
  });
});
