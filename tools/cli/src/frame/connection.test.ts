import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAddress, resolveConnection } from './connection.js';
import { parseDurationMs } from './duration.js';

describe('resolveConnection', () => {
  it("uses the local stack's port of each service by default", () => {
    expect(resolveConnection('router', {}, {}, '30s')).toEqual({
      service: 'router',
      address: '127.0.0.1:8000',
      timeoutMs: 30_000,
    });
    expect(resolveConnection('model-server', {}, {}, '30s').address).toBe('127.0.0.1:8001');
    expect(resolveConnection('trace-store', {}, {}, '30s').address).toBe('127.0.0.1:8006');
  });

  it('takes the flag, else the service variable, else SIGHTLINE_ADDRESS', () => {
    const env = { SIGHTLINE_ROUTER_ADDRESS: 'r:1', SIGHTLINE_ADDRESS: 'all:2' };
    expect(resolveConnection('router', { address: 'f:3' }, env, '30s').address).toBe('f:3');
    expect(resolveConnection('router', {}, env, '30s').address).toBe('r:1');
    expect(resolveConnection('model-server', {}, env, '30s').address).toBe('all:2');
  });

  it('names the flag or variable of a malformed address or timeout', () => {
    expect(() => resolveConnection('router', { address: 'nohost' }, {}, '30s')).toThrow(
      '--address: expected host:port with a port in 1-65535, got "nohost"',
    );
    expect(() => resolveConnection('router', {}, { SIGHTLINE_ROUTER_ADDRESS: 'h:99999' }, '30s')).toThrow(
      /^SIGHTLINE_ROUTER_ADDRESS:/,
    );
    expect(() => resolveConnection('router', {}, { SIGHTLINE_TIMEOUT: 'soon' }, '30s')).toThrow(
      /^SIGHTLINE_TIMEOUT:/,
    );
    expect(
      resolveConnection('router', { timeout: '250ms' }, { SIGHTLINE_TIMEOUT: '9s' }, '30s').timeoutMs,
    ).toBe(250);
  });

  it('reads TLS files, turns TLS on for any TLS flag, and sends a token', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cli-tls-'));
    const ca = path.join(dir, 'ca.pem');
    writeFileSync(ca, 'PEM');
    expect(resolveConnection('router', { tls: true }, {}, '30s').tls).toEqual({});
    expect(resolveConnection('router', { tlsCa: ca, tlsServerName: 'svc' }, {}, '30s').tls).toEqual({
      ca: Buffer.from('PEM'),
      serverName: 'svc',
    });
    expect(resolveConnection('router', {}, { SIGHTLINE_TOKEN: 't0k' }, '30s').token).toBe('t0k');
    expect(() => resolveConnection('router', { tlsCa: path.join(dir, 'missing.pem') }, {}, '30s')).toThrow(
      /^--tls-ca .*missing\.pem: cannot read the file \(ENOENT\)$/,
    );
    expect(() => resolveConnection('router', { tlsCert: ca }, {}, '30s')).toThrow(
      '--tls-cert and --tls-key: give both',
    );
    expect(() => resolveConnection('router', { token: ' ' }, {}, '30s')).toThrow(
      '--token: must not be empty',
    );
  });
});

describe('checkAddress', () => {
  it.each(['127.0.0.1:8000', 'localhost:1', '[::1]:8000', 'dns:///svc.ns:8000', 'unix:/tmp/s.sock'])(
    'accepts %s',
    (address) => {
      expect(checkAddress(address, '--address')).toBe(address);
    },
  );
  it.each(['8000', 'host:', 'host:0', ':8000', 'a b:1'])('refuses %s', (address) => {
    expect(() => checkAddress(address, '--address')).toThrow(/^--address: expected host:port/);
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['30', 30_000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDurationMs(text, '--timeout')).toBe(ms);
  });
  it.each(['0', '0.0001ms', '-1s', '5x', '', '25h'])('refuses %j', (text) => {
    expect(() => parseDurationMs(text, '--timeout')).toThrow(/^--timeout: /);
  });
});
