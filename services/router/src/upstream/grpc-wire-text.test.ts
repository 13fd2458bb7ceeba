import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeGrpcMessage, encodeGrpcMessage, statusOfHttpCode } from './grpc-call-status.js';
import { decodeGrpcTimeout, encodeGrpcTimeout } from './grpc-timeout.js';
import { parseHttp2Target } from './http2-target.js';

const UNIT_MS: Record<string, number> = { m: 1, S: 1_000, M: 60_000, H: 3_600_000 };

describe('grpc-timeout', () => {
  it('never has more than 8 digits, never states less than the budget, nor more by a unit or more', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 99_999_999 * 3_600_000, noNaN: true }), (timeoutMs) => {
        const value = encodeGrpcTimeout(timeoutMs)!;
        const match = /^([0-9]+)([mSMH])$/.exec(value);
        expect(match).not.toBeNull();
        expect(match![1]!.length).toBeLessThanOrEqual(8);
        const stated = decodeGrpcTimeout(value)!;
        const unit = UNIT_MS[match![2]!]!;
        expect(stated).toBeGreaterThanOrEqual(timeoutMs);
        expect(stated - timeoutMs).toBeLessThanOrEqual(unit);
      }),
    );
  });

  it('uses ms below 10^8 ms, and writes a passed deadline as 0m', () => {
    expect(encodeGrpcTimeout(1_500.2)).toBe('1501m');
    expect(encodeGrpcTimeout(99_999_999)).toBe('99999999m');
    expect(encodeGrpcTimeout(100_000_000)).toBe('100000S');
    expect(encodeGrpcTimeout(-5)).toBe('0m');
    expect(encodeGrpcTimeout(1e20)).toBeUndefined();
  });
});

describe('grpc-message', () => {
  it('decoding inverts the spec encoding of any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const encoded = encodeGrpcMessage(text);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeGrpcMessage(encoded)).toBe(text);
      }),
    );
  });

  it('never fails on values that do not decode', () => {
    expect(decodeGrpcMessage('100% sure %zz')).toBe('100% sure %zz');
    expect(decodeGrpcMessage('bad %FF byte')).toBe('bad %FF byte');
    expect(decodeGrpcMessage('%E2%82%AC')).toBe('€');
  });
});

describe('HTTP status mapping', () => {
  it('maps as http-grpc-status-mapping.md says', () => {
    const codes = [400, 401, 403, 404, 429, 502, 503, 504, 500, 418].map((h) => statusOfHttpCode(h).code);
    expect(codes).toEqual([13, 16, 7, 12, 14, 14, 14, 14, 2, 2]);
    expect(statusOfHttpCode(503).details).toBe('Received HTTP status code 503');
  });
});

describe('target parsing', () => {
  it('takes host:port, [v6]:port, dns:///host:port and dns:host:port', () => {
    expect(parseHttp2Target('model-server:8001')).toEqual({
      host: 'model-server',
      port: 8001,
      authority: 'model-server:8001',
    });
    expect(parseHttp2Target('[::1]:8001')).toEqual({ host: '::1', port: 8001, authority: '[::1]:8001' });
    expect(parseHttp2Target('dns:///m.ns.svc.cluster.local:8001')?.authority).toBe(
      'm.ns.svc.cluster.local:8001',
    );
    expect(parseHttp2Target('dns:127.0.0.1:9')?.host).toBe('127.0.0.1');
  });

  it('leaves every other form to grpc-js', () => {
    for (const target of [
      'unix:///tmp/s.sock',
      'unix:s.sock',
      'ipv4:127.0.0.1:1,127.0.0.2:1',
      'xds:///m',
      'dns://8.8.8.8/m:1',
      'model-server',
      '::1:8001',
      '[::1]',
      'm:0',
      'm:65536',
      'm:80x',
      '[not-v6]:1',
      '',
    ]) {
      expect(parseHttp2Target(target), target).toBeUndefined();
    }
  });

  it('round-trips any host name and port through host:port and both dns forms', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    fc.assert(
      fc.property(
        fc.array(label, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 65_535 }),
        (labels, port) => {
          const host = labels.join('.');
          for (const target of [`${host}:${port}`, `dns:///${host}:${port}`, `dns:${host}:${port}`]) {
            expect(parseHttp2Target(target)).toEqual({ host, port, authority: `${host}:${port}` });
          }
        },
      ),
    );
  });
});
