/**
 * A throwaway PKI for TLS tests, made with the `openssl` command in a temporary directory:
 * a CA, a server certificate for 127.0.0.1, localhost and models.test, a client
 * certificate, and a second CA that signed none of them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Days the certificates are valid: they live for one test run. */
const VALID_DAYS = '2';

/** PEM files (paths for the servers' flags, contents for the SDK). */
export interface TestPki {
  readonly file: (name: string) => string;
  readonly ca: Buffer;
  readonly otherCa: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  remove(): void;
}

/** Creates the PKI (about a second of openssl). */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdk-tls-'));
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
  const selfSigned = (name: string) =>
    openssl(
      'req',
      '-x509',
      ...newKey(name),
      '-out',
      `${name}.pem`,
      '-days',
      VALID_DAYS,
      '-subj',
      `/CN=${name}`,
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
      VALID_DAYS,
      '-extfile',
      `${name}.ext`,
    );
  };
  selfSigned('ca');
  selfSigned('other-ca');
  issue('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:models.test\nextendedKeyUsage=serverAuth\n');
  issue('client', 'extendedKeyUsage=clientAuth\n');
  const read = (name: string) => readFileSync(file(name));
  return {
    file,
    ca: read('ca.pem'),
    otherCa: read('other-ca.pem'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
