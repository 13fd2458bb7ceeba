import { describe, expect, it } from 'vitest';
import { DEFAULT_CONCURRENCIES, DEFAULT_DURATION_MS, parseBenchArgs } from './cli-args.js';

describe('parseBenchArgs', () => {
  it('defaults to the model-server suite', () => {
    const args = parseBenchArgs([]);
    expect(args.suites).toEqual(['model-server']);
    expect(args.durationMs).toBe(DEFAULT_DURATION_MS);
    expect(args.concurrencies).toEqual(DEFAULT_CONCURRENCIES);
    expect(args.setups).toBeUndefined();
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
    expect(() => parseBenchArgs(['router'])).toThrow('suite "router": unknown; expected one of model-server');
    expect(() => parseBenchArgs(['--duration-ms', '0'])).toThrow(
      '--duration-ms: expected a positive integer, got 0',
    );
    expect(() => parseBenchArgs(['--warmup-ms', 'x'])).toThrow(
      '--warmup-ms: expected a non-negative integer, got "x"',
    );
    expect(() => parseBenchArgs(['--setups', 'floor,nope'])).toThrow(/--setups: unknown setup "nope"/);
  });
});
