/**
 * A throwaway PKI for TLS tests, made with the `openssl` command in a temporary directory:
 * a self-signed CA, a server certificate for 127.0.0.1, localhost and models.test, and a client
 * certificate, all signed by the CA, plus a second CA that signed none of them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Days the test certificates are valid: they live for one test run. */
const VALID_DAYS = '2';

/** PEM files and their contents. */
export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: Buffer;
  /** A CA that signed nothing here: trusting only it must fail the handshake. */
  readonly otherCa: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  /** Removes the directory. */
  remove(): void;
}

/** Creates the PKI (about a second of openssl). */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'router-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  /** `openssl req` arguments for a new unencrypted P-256 key written to `<name>.key`. */
  const newEcKey = (name: string) => [
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
      ...newEcKey(name),
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
  selfSigned('ca');
  selfSigned('other-ca');
  const issue = (name: string, extensions: string) => {
    openssl('req', ...newEcKey(name), '-out', `${name}.csr`, '-subj', `/CN=${name}`);
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
  issue('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:models.test\nextendedKeyUsage=serverAuth\n');
  issue('client', 'extendedKeyUsage=clientAuth\n');
  const read = (name: string) => readFileSync(file(name));
  return {
    dir,
    caFile: file('ca.pem'),
    ca: read('ca.pem'),
    otherCa: read('other-ca.pem'),
    serverCert: read('server.pem'),
    serverKey: read('server.key'),
    clientCertFile: file('client.pem'),
    clientKeyFile: file('client.key'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
