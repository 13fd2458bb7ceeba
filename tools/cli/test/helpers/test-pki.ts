/**
 * A throwaway PKI for the TLS test, made with `openssl` in a temporary directory: a CA, a
 * server certificate for 127.0.0.1 and models.test, and a client certificate, all signed by
 * the CA. (The router's and the SDK's tests make the same; a shared one in a lib's testing
 * entry point would replace the three.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The PEM files' paths. */
export interface TestPki {
  /** `ca.pem`, `server.pem`, `server.key`, `client.pem`, `client.key`. */
  readonly file: (name: string) => string;
  remove(): void;
}

/** Creates the PKI (about a second of openssl). */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const newKey = (name: string) => [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
  ];
  openssl(
    'req',
    '-x509',
    ...newKey('ca'),
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const issue = (name: string, extensions: string) => {
    openssl('req', ...newKey(name), '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(file(`${name}.ext`), extensions);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  issue('server', 'subjectAltName=IP:127.0.0.1,DNS:models.test\nextendedKeyUsage=serverAuth\n');
  issue('client', 'extendedKeyUsage=clientAuth\n');
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
