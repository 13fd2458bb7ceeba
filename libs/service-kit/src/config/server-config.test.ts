import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  describeConfig,
  loadConfig,
  serverConfigSchema,
  toEnvName,
  toFlagName,
} from './server-config.js';

const schema = serverConfigSchema({ grpcPort: 8001, httpPort: 9001 }).extend({
  repository: z.string().min(1).describe('model repository directory'),
  strict: z.stringbool().default(false).describe('a switch'),
});

describe('loadConfig', () => {
  it('writes out every default', () => {
    const config = loadConfig(schema, { flags: { repository: 'examples/models' } });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      grpcPort: 8001,
      httpPort: 9001,
      maxReceiveMessageBytes: 64 * 1024 * 1024,
      shutdownGraceMs: 30_000,
      logLevel: 'info',
      tlsRequireClientCert: false,
      repository: 'examples/models',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lets flags win over environment variables, which win over defaults', () => {
    const config = loadConfig(schema, {
      flags: { grpcPort: '7001', repository: 'r' },
      env: {
        SIGHTLINE_GRPC_PORT: '6001',
        SIGHTLINE_HTTP_PORT: '6002',
        SIGHTLINE_TLS_REQUIRE_CLIENT_CERT: 'false',
      },
    });
    expect(config.grpcPort).toBe(7001);
    expect(config.httpPort).toBe(6002);
    expect(config.tlsRequireClientCert).toBe(false);
  });

  it('lists every problem with the flag or variable, the rule and the value', () => {
    let caught: unknown;
    try {
      loadConfig(schema, {
        flags: { grpcPort: 'eighty', bogus: '1' },
        env: { SIGHTLINE_HTTP_PORT: '70000' },
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toMatch(/--grpc-port: .*got "eighty"/);
    expect(problems).toMatch(/SIGHTLINE_HTTP_PORT: .*got "70000"/);
    expect(problems).toMatch(/--bogus: unknown setting/);
    expect(problems).toMatch(/--repository \(SIGHTLINE_REPOSITORY\)/);
  });
});

describe('names', () => {
  it('derives flag and variable names from keys', () => {
    expect(toFlagName('maxReceiveMessageBytes')).toBe('max-receive-message-bytes');
    expect(toEnvName('maxReceiveMessageBytes')).toBe('SIGHTLINE_MAX_RECEIVE_MESSAGE_BYTES');
  });

  it('describes every setting with its default for --help and docs', () => {
    const rows = describeConfig(schema);
    const grpc = rows.find((r) => r.flag === '--grpc-port');
    expect(grpc).toMatchObject({ env: 'SIGHTLINE_GRPC_PORT', defaultValue: 8001 });
    expect(grpc?.description).toMatch(/gRPC port/);
    expect(rows.find((r) => r.flag === '--repository')?.defaultValue).toBeUndefined();
  });

  it('reads a bare switch (true from the command line) as true, for every boolean setting', () => {
    const bare = loadConfig(schema, { flags: { repository: 'r', strict: true, tlsRequireClientCert: true } });
    expect(bare.strict).toBe(true);
    expect(bare.tlsRequireClientCert).toBe(true);
    expect(loadConfig(schema, { flags: { repository: 'r', strict: 'false' } }).strict).toBe(false);
    // A bare flag that needs a value is still refused, naming it.
    expect(() => loadConfig(schema, { flags: { repository: true } })).toThrow(/--repository/);
    const rows = describeConfig(schema);
    expect(rows.filter((r) => r.boolean).map((r) => r.flag)).toEqual([
      '--tls-require-client-cert',
      '--strict',
    ]);
  });
});
