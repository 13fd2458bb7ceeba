/**
 * The connection flags against a real model-server that requires mutual TLS: the CLI
 * connects with --tls-ca/--tls-cert/--tls-key (or their variables), checks the server's name
 * (--tls-server-name), and fails with one sentence (exit 1) without a client certificate or
 * over plaintext; an unreadable PEM file is a usage error (exit 2). The CLI runs in the
 * test's process; the unreadable file goes through the built CLI as a subprocess too.
 */

import { createTestPki, type TestPki } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStackTrace, runCli, spawnCli } from './helpers/run-cli.js';
import { type RunningService, startService } from './helpers/services.js';

let pki: TestPki;
let server: RunningService;

beforeAll(async () => {
  pki = createTestPki('cli-tls-');
  server = await startService('model-server', [
    '--repository',
    'examples/models',
    '--tls-cert-file',
    pki.file('server.pem'),
    '--tls-key-file',
    pki.file('server.key'),
    '--tls-ca-file',
    pki.file('ca.pem'),
    '--tls-require-client-cert',
  ]);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  pki?.remove();
});

describe('sightline over mutual TLS', () => {
  const mtls = () => [
    '--tls-ca',
    pki.file('ca.pem'),
    '--tls-cert',
    pki.file('client.pem'),
    '--tls-key',
    pki.file('client.key'),
  ];

  it('lists the models with a client certificate, from flags or variables', async () => {
    const run = await runCli(['models', 'list', '--address', server.address, ...mtls(), '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).models.map((m: { name: string }) => m.name)).toContain('iris');
    const fromEnv = await runCli(['models', 'list', '--json'], {
      SIGHTLINE_MODEL_SERVER_ADDRESS: server.address,
      SIGHTLINE_TLS_CA: pki.file('ca.pem'),
      SIGHTLINE_TLS_CERT: pki.file('client.pem'),
      SIGHTLINE_TLS_KEY: pki.file('client.key'),
      SIGHTLINE_TOKEN: 'a-token',
    });
    expect(fromEnv.code).toBe(0);
  });

  it('checks the certificate against --tls-server-name', async () => {
    const named = await runCli([
      'models',
      'list',
      '--address',
      server.address,
      ...mtls(),
      '--tls-server-name',
      'models.test',
    ]);
    expect(named.code).toBe(0);
    const wrong = await runCli([
      'models',
      'list',
      '--address',
      server.address,
      ...mtls(),
      '--tls-server-name',
      'other.test',
      '--timeout',
      '3s',
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^sightline: UNAVAILABLE: /);
  });

  it('fails with one sentence (exit 1) without a client certificate or over plaintext', async () => {
    for (const args of [['--tls-ca', pki.file('ca.pem')], []]) {
      const run = await runCli(['models', 'list', '--address', server.address, '--timeout', '3s', ...args]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^sightline: (UNAVAILABLE|DEADLINE_EXCEEDED|INTERNAL): /);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(hasStackTrace(run.stderr)).toBe(false);
    }
  });

  it('exits 2 for an unreadable PEM file or a certificate without its key', async () => {
    const missingArgs = ['models', 'list', '--address', server.address, '--tls-ca', pki.file('none.pem')];
    for (const missing of [await runCli(missingArgs), await spawnCli(missingArgs)]) {
      expect(missing.code).toBe(2);
      expect(missing.stderr).toBe(
        `sightline: --tls-ca ${pki.file('none.pem')}: cannot read the file (ENOENT)\n`,
      );
    }
    const half = await runCli([
      'models',
      'list',
      '--address',
      server.address,
      '--tls-cert',
      pki.file('client.pem'),
    ]);
    expect(half.code).toBe(2);
    expect(half.stderr).toBe('sightline: --tls-cert and --tls-key: give both for mutual TLS, or neither\n');
  });
});
