/**
 * TLS and mTLS against real model-servers serving with --tls-* flags: the SDK trusts the
 * given CA, checks the certificate against `serverName`, presents a client certificate,
 * and fails (UNAVAILABLE) where the handshake must fail.
 */

import { createTestPki, type TestPki } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sightline, type SightlineOptions, UnavailableError } from '../src/index.js';
import { type ChildService, startModelServer } from './helpers/child-service.js';

let pki: TestPki;
let tlsServer: ChildService;
let mtlsServer: ChildService;

beforeAll(async () => {
  pki = createTestPki('sdk-tls-');
  const serverTls = ['--tls-cert-file', pki.file('server.pem'), '--tls-key-file', pki.file('server.key')];
  [tlsServer, mtlsServer] = await Promise.all([
    startModelServer(serverTls),
    startModelServer([
      ...serverTls,
      '--tls-ca-file',
      pki.file('ca.pem'),
      '--tls-require-client-cert',
      'true',
    ]),
  ]);
});

afterAll(async () => {
  await Promise.all([tlsServer?.stop(), mtlsServer?.stop()]);
  pki?.remove();
});

/** ServerLive through a fresh client with `options`, no retries, then closed. */
async function live(address: string, options: SightlineOptions): Promise<boolean> {
  const sightline = new Sightline({ ...options, address, retry: { maxAttempts: 1 } });
  try {
    return await sightline.inference.serverLive({ deadlineMs: 10_000 });
  } finally {
    sightline.close();
  }
}

describe('TLS', () => {
  it('calls a TLS server trusting its CA, by IP and by a serverName the certificate names', async () => {
    expect(await live(tlsServer.address, { tls: { ca: pki.ca } })).toBe(true);
    expect(
      await live(tlsServer.address, { tls: { ca: pki.ca.toString('utf8'), serverName: 'models.test' } }),
    ).toBe(true);
    const sightline = new Sightline({ address: tlsServer.address, tls: { ca: pki.ca } });
    try {
      const result = await sightline.inference.infer('iris', { input: [[5.1, 3.5, 1.4, 0.2]] });
      expect(result.output('probabilities').shape).toEqual([1, 3]);
    } finally {
      sightline.close();
    }
  });

  it('fails with UNAVAILABLE for an untrusted CA, a serverName the certificate lacks, or plaintext', async () => {
    await expect(live(tlsServer.address, { tls: { ca: pki.otherCa } })).rejects.toBeInstanceOf(
      UnavailableError,
    );
    await expect(
      live(tlsServer.address, { tls: { ca: pki.ca, serverName: 'other.test' } }),
    ).rejects.toBeInstanceOf(UnavailableError);
    await expect(live(tlsServer.address, {})).rejects.toBeInstanceOf(UnavailableError);
  });
});

describe('mTLS', () => {
  it('presents the client certificate to a server that requires one', async () => {
    expect(
      await live(mtlsServer.address, { tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } }),
    ).toBe(true);
  });

  it('is refused without a client certificate', async () => {
    await expect(live(mtlsServer.address, { tls: { ca: pki.ca } })).rejects.toBeInstanceOf(UnavailableError);
  });
});
