import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DEADLINE_MS,
  DEFAULT_MODEL_SERVER_ADDRESS,
  DEFAULT_ROUTER_ADDRESS,
  resolveOptions,
} from './options.js';

describe('resolveOptions', () => {
  it("defaults to the local stack's addresses and the documented limits", () => {
    const options = resolveOptions();
    expect(options.addressOf('router')).toBe(DEFAULT_ROUTER_ADDRESS);
    expect(options.addressOf('modelServer')).toBe(DEFAULT_MODEL_SERVER_ADDRESS);
    expect(options.deadlineMs).toBe(DEFAULT_DEADLINE_MS);
    expect(options.retry).toEqual({ maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 2000 });
    expect(options.tls).toBeUndefined();
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('uses `address` for every service not named in `addresses`', () => {
    const options = resolveOptions({ address: 'gateway:443', addresses: { modelServer: 'ms:8001' } });
    expect(options.addressOf('router')).toBe('gateway:443');
    expect(options.addressOf('events')).toBe('gateway:443');
    expect(options.addressOf('modelServer')).toBe('ms:8001');
  });

  it('reaches the services the router hosts at the router, and the trace store at its default', () => {
    expect(resolveOptions().addressOf('events')).toBe(DEFAULT_ROUTER_ADDRESS);
    expect(resolveOptions({ addresses: { router: 'r:1' } }).addressOf('events')).toBe('r:1');
    expect(resolveOptions({ addresses: { router: 'r:1', events: 'e:2' } }).addressOf('events')).toBe('e:2');
    expect(resolveOptions().addressOf('traces')).toBe('127.0.0.1:8006');
    expect(resolveOptions().addressOf('drift')).toBe('127.0.0.1:8003');
    expect(resolveOptions().addressOf('outlier')).toBe('127.0.0.1:8002');
    expect(resolveOptions().addressOf('explainer')).toBe('127.0.0.1:8005');
  });

  it('refuses a service with no address and no default, naming the option', () => {
    expect(() => resolveOptions().addressOf('annotator')).toThrow(/^addresses\.annotator: no address/);
  });

  it('pings every 30 s with a 10 s timeout while a call is open, unless told otherwise', () => {
    expect(resolveOptions().channelOptions).toMatchObject({
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 0,
    });
    expect(resolveOptions({ keepaliveTimeMs: 1000, keepaliveTimeoutMs: 500 }).channelOptions).toMatchObject({
      'grpc.keepalive_time_ms': 1000,
      'grpc.keepalive_timeout_ms': 500,
    });
    expect(
      resolveOptions({ keepaliveTimeMs: Number.POSITIVE_INFINITY }).channelOptions['grpc.keepalive_time_ms'],
    ).toBe(-1);
    expect(() => resolveOptions({ keepaliveTimeMs: 0 })).toThrow(/^keepaliveTimeMs: /);
    expect(() => resolveOptions({ keepaliveTimeoutMs: Number.POSITIVE_INFINITY })).toThrow(
      /^keepaliveTimeoutMs: /,
    );
  });

  it('takes deadlineMs Infinity as no deadline', () => {
    expect(resolveOptions({ deadlineMs: Number.POSITIVE_INFINITY }).deadlineMs).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('takes `tls: true` as TLS with the system roots', () => {
    expect(resolveOptions({ tls: true }).tls).toEqual({});
  });

  it.each([
    [{ address: 'http://127.0.0.1:8000' }, /^address: a gRPC target, not a URL/],
    [{ addresses: { router: '' } }, /^addresses\.router: a gRPC target/],
    [{ deadlineMs: 0 }, /^deadlineMs: must be a positive number of ms \(or Infinity for none\), got 0/],
    [{ deadlineMs: Number.NaN }, /^deadlineMs: must be a positive number of ms/],
    [{ retry: { maxAttempts: 0 } }, /^retry\.maxAttempts: must be an integer of 1 or more, got 0/],
    [{ retry: { maxBackoffMs: -1 } }, /^retry\.maxBackoffMs: must be 0 or more ms, got -1/],
    [{ tls: { cert: 'x' } }, /^tls: cert and key go together/],
    [{ token: 'a\nb' }, /^token: must be one line/],
    // grpc-js refused these at the call as INTERNAL, quoting the token in its message.
    [{ token: 'caf\u00e9' }, /^token: must be one line of printable ASCII/],
    [{ token: 'a\tb' }, /^token: must be one line of printable ASCII/],
  ])('refuses %j naming the option', (options, message) => {
    let error: unknown;
    try {
      resolveOptions(options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(message);
  });

  it('accepts the gRPC target forms', () => {
    for (const address of [
      '127.0.0.1:8000',
      'dns:///router.sightline:8000',
      'unix:///tmp/s.sock',
      '[::1]:8000',
    ]) {
      expect(resolveOptions({ address }).addressOf('router')).toBe(address);
    }
  });
});
