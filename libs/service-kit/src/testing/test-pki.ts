/**
 * A throwaway PKI for TLS tests, made with the `openssl` command in a temporary directory:
 * a self-signed CA, a server certificate for 127.0.0.1, localhost and models.test, and a
 * client certificate, both signed by the CA, plus a second CA that signed none of them.
 * One helper for every package's TLS tests, so that they all trust the same kind of chain.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Days the test certificates are valid: they live for one test run. */
const VALID_DAYS = '2';

/** Names the server certificate is valid for: what the tests dial and the override they set. */
const SERVER_NAMES = 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:models.test';

/** The PEM files: paths for servers' and the CLI's flags, contents for in-process clients. */
export interface TestPki {
  /** The temporary directory holding every file. */
  readonly dir: string;
  /** The path of a file in `dir`: `ca.pem`, `other-ca.pem`, `server.pem`, `server.key`, `client.pem`, `client.key`. */
  readonly file: (name: string) => string;
  /** The path of `ca.pem`. */
  readonly caFile: string;
  /** The CA that signed the server and client certificates. */
  readonly ca: Buffer;
  /** A CA that signed nothing here: trusting only it must fail the handshake. */
  readonly otherCa: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  /** The path of `client.pem`. */
  readonly clientCertFile: string;
  /** The path of `client.key`. */
  readonly clientKeyFile: string;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  /** Removes the directory. */
  remove(): void;
}

/** `openssl req` arguments for a new unencrypted P-256 key written to `<name>.key`. */
function newEcKey(name: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`];
}

/**
 * Creates the PKI (about a second of openssl; needs `openssl` on the PATH).
 * `prefix` names the temporary directory, so a leftover one tells which suite made it.
 */
export function createTestPki(prefix = 'sightline-tls-'): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
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
  selfSigned('ca');
  selfSigned('other-ca');
  issue('server', `${SERVER_NAMES}\nextendedKeyUsage=serverAuth\n`);
  issue('client', 'extendedKeyUsage=clientAuth\n');
  const read = (name: string) => readFileSync(file(name));
  return {
    dir,
    file,
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
