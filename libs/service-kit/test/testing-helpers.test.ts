import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bindChildService, createTestPki, startChildService } from '../src/testing/index.js';

const FAKE_CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/fake-sightline.mjs');

describe('createTestPki', () => {
  it('issues server and client certificates from its CA and not from the other CA', () => {
    const pki = createTestPki();
    try {
      const ca = new X509Certificate(pki.ca);
      const otherCa = new X509Certificate(pki.otherCa);
      const server = new X509Certificate(pki.serverCert);
      const client = new X509Certificate(pki.clientCert);
      expect(server.verify(ca.publicKey)).toBe(true);
      expect(client.verify(ca.publicKey)).toBe(true);
      expect(server.verify(otherCa.publicKey)).toBe(false);
      expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(server.checkHost('models.test')).toBe('models.test');
      expect(pki.file('server.key')).toBe(path.join(pki.dir, 'server.key'));
      expect(existsSync(pki.clientKeyFile)).toBe(true);
    } finally {
      pki.remove();
    }
    expect(existsSync(pki.dir)).toBe(false);
  });
});

describe('startChildService', () => {
  it('reads the ports from the serving line and stops the child', async () => {
    const child = await startChildService({
      cli: FAKE_CLI,
      cwd: process.cwd(),
      service: 'demo',
      args: ['--x'],
    });
    expect(child.address).toBe('127.0.0.1:50123');
    expect(child.httpPort).toBe(50124);
    expect(child.logged('demo serving')?.args).toEqual([
      '--host',
      '127.0.0.1',
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      '--x',
    ]);
    await child.stop();
    await child.stop();
  });

  it('rejects with the logs when the child exits before serving', async () => {
    await expect(startChildService({ cli: FAKE_CLI, cwd: process.cwd(), service: 'crash' })).rejects.toThrow(
      /crash exited with 3 before serving/,
    );
  });

  it('binds the CLI, directory and base env for a suite', async () => {
    const start = bindChildService({ cli: FAKE_CLI, cwd: process.cwd(), env: { A: '1' } });
    const child = await start('bound', ['--y']);
    expect(child.logged('bound serving')?.args).toContain('--y');
    await child.stop();
  });
});
