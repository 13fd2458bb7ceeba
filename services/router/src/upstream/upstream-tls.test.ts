import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestPki } from '@sightline/service-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { loadUpstreamTls } from './upstream-tls.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('loadUpstreamTls', () => {
  it('is plaintext with nothing set, the system roots with --upstream-tls alone, and reads the files given', async () => {
    expect(await loadUpstreamTls({ tls: false })).toBeUndefined();
    expect(await loadUpstreamTls({ tls: true })).toEqual({ ca: undefined, cert: undefined, key: undefined });
    const pki = createTestPki('router-tls-');
    try {
      // A CA file alone implies TLS.
      const material = await loadUpstreamTls({
        tls: false,
        caFile: pki.caFile,
        certFile: pki.clientCertFile,
        keyFile: pki.clientKeyFile,
      });
      expect([material?.ca, material?.cert, material?.key]).toEqual([pki.ca, pki.clientCert, pki.clientKey]);
    } finally {
      pki.remove();
    }
  });

  it('refuses a CA or certificate file with no PEM certificate and a key file with no key, naming the flag', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'upstream-tls-'));
    dirs.push(dir);
    const garbage = path.join(dir, 'garbage.pem');
    await writeFile(garbage, 'not a certificate');
    await expect(loadUpstreamTls({ tls: true, caFile: garbage })).rejects.toThrow(
      `--upstream-tls-ca-file: no PEM certificate in ${garbage}`,
    );
    await expect(loadUpstreamTls({ tls: true, certFile: garbage, keyFile: garbage })).rejects.toThrow(
      `--upstream-tls-cert-file: no PEM certificate in ${garbage}`,
    );
    await expect(loadUpstreamTls({ tls: true, caFile: path.join(dir, 'nope.pem') })).rejects.toThrow(
      `--upstream-tls-ca-file: cannot read ${path.join(dir, 'nope.pem')}: no such file`,
    );
  });

  it('refuses a client certificate without its key, and the reverse', async () => {
    await expect(loadUpstreamTls({ tls: true, certFile: 'c.pem' })).rejects.toThrow(/go together/);
    await expect(loadUpstreamTls({ tls: true, keyFile: 'k.pem' })).rejects.toThrow(/go together/);
  });
});
