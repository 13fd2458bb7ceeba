/**
 * TLS of the router's upstream connections (settings `--upstream-tls`, `--upstream-tls-ca-file`,
 * `--upstream-tls-cert-file`, `--upstream-tls-key-file`): read and checked once at start and
 * handed to every upstream client, so each of them (grpc-js, the HTTP/2 channel, connect)
 * speaks TLS with the same trust and the same client certificate, and a certificate the
 * upstream's does not chain to is reported naming the setting that decides the trust.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext, connect as tlsConnect } from 'node:tls';
import {
  CallCredentials,
  type ChannelCredentials,
  ChannelCredentials as ChannelCredentialsBase,
  type ChannelOptions,
  credentials,
} from '@grpc/grpc-js';

/** PEM material of a TLS upstream connection. */
export interface UpstreamTlsMaterial {
  /** CA bundle the upstream's certificate must chain to (undefined: the system's roots). */
  readonly ca?: Buffer | undefined;
  /** The router's client certificate chain (mTLS). */
  readonly cert?: Buffer | undefined;
  /** The client certificate's private key (mTLS). */
  readonly key?: Buffer | undefined;
}

/** The upstream TLS settings as configured (file paths). */
export interface UpstreamTlsFiles {
  /** TLS on every upstream connection (implied by any of the files). */
  readonly tls: boolean;
  readonly caFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Reads `file` of setting `flag`, failing with a sentence naming both. */
async function readSetting(flag: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new Error(`${flag}: cannot read ${file}: ${reason}`);
  }
}

/** Checks that `pem` holds at least one parsable PEM certificate and no unparsable one. */
function checkCertificates(flag: string, file: string, pem: Buffer): void {
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error(`${flag}: no PEM certificate in ${file}`);
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new Error(
        `${flag}: certificate ${index + 1} in ${file} is not valid: ${(error as Error).message}`,
      );
    }
  });
}

/**
 * The material of `files`, or undefined for plaintext. Every file is read and checked here,
 * so a wrong setting stops the start instead of failing every call.
 * @throws Error naming the setting: only one of the client certificate and its key set, a
 *   file that cannot be read, one with no PEM certificate (or key), or a key that is not the
 *   certificate's.
 */
export async function loadUpstreamTls(files: UpstreamTlsFiles): Promise<UpstreamTlsMaterial | undefined> {
  if (Boolean(files.certFile) !== Boolean(files.keyFile)) {
    throw new Error('--upstream-tls-cert-file and --upstream-tls-key-file go together (mTLS)');
  }
  if (!files.tls && !files.caFile && !files.certFile) return undefined;
  const read = (flag: string, path: string | undefined) =>
    path ? readSetting(flag, path) : Promise.resolve(undefined);
  const [ca, cert, key] = await Promise.all([
    read('--upstream-tls-ca-file', files.caFile),
    read('--upstream-tls-cert-file', files.certFile),
    read('--upstream-tls-key-file', files.keyFile),
  ]);
  if (ca && files.caFile) checkCertificates('--upstream-tls-ca-file', files.caFile, ca);
  if (cert && files.certFile) checkCertificates('--upstream-tls-cert-file', files.certFile, cert);
  if (key && files.keyFile) {
    try {
      createPrivateKey(key);
    } catch (error) {
      throw new Error(
        `--upstream-tls-key-file: no PEM private key in ${files.keyFile}: ${(error as Error).message}`,
      );
    }
    try {
      createSecureContext({ cert, key });
    } catch (error) {
      throw new Error(
        `--upstream-tls-key-file: ${files.keyFile} is not the key of --upstream-tls-cert-file ${files.certFile}: ${(error as Error).message}`,
      );
    }
  }
  return { ca, cert, key };
}

/** Node's codes of a peer certificate that failed verification (chain or name). */
const UNTRUSTED_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * `error` of a TLS connection to an upstream, with the setting that decides the trust named
 * in front when the upstream's certificate was not trusted
 * (`certificate not trusted by --upstream-tls-ca-file: unable to verify the first certificate`);
 * other errors as they are.
 */
export function explainUpstreamTlsError(error: Error, tls: UpstreamTlsMaterial): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined || !UNTRUSTED_CODES.has(code)) return error;
  const trust = tls.ca
    ? '--upstream-tls-ca-file'
    : 'the system roots (--upstream-tls without --upstream-tls-ca-file)';
  const explained = new Error(`certificate not trusted by ${trust}: ${error.message}`, { cause: error });
  return Object.assign(explained, { code });
}

/** The host of a grpc-js target's path (`host:port`, `[v6]:port`, `a,b` lists): what the certificate must name. */
function targetHost(path: string): string {
  const first = path.split(',')[0] ?? '';
  const bracketed = /^\[([^\]]+)\]/.exec(first);
  if (bracketed) return bracketed[1]!;
  const colon = first.lastIndexOf(':');
  return colon > 0 && first.indexOf(':') === colon ? first.slice(0, colon) : first || 'localhost';
}

/**
 * grpc-js channel credentials over the router's TLS material. Unlike `credentials.createSsl`
 * they send no SNI for an IP literal target (RFC 6066 forbids it; Node warns DEP0123 at
 * every start with an IP upstream) while still checking the certificate against that IP,
 * and a certificate that fails verification reads with the setting that decides the trust.
 */
class UpstreamTlsCredentials extends ChannelCredentialsBase {
  private readonly context: SecureContext;

  constructor(private readonly tls: UpstreamTlsMaterial) {
    super();
    this.context = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key });
  }

  _isSecure(): boolean {
    return true;
  }

  _equals(other: ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector(
    channelTarget: { readonly path: string },
    _options: ChannelOptions,
    callCredentials?: CallCredentials,
  ): ReturnType<ChannelCredentials['_createSecureConnector']> {
    const host = targetHost(channelTarget.path);
    const { context, tls } = this;
    const calls = callCredentials ?? CallCredentials.createEmpty();
    return {
      connect: (socket) =>
        new Promise((resolve, reject) => {
          const secured = tlsConnect(
            {
              socket,
              secureContext: context,
              host,
              ALPNProtocols: ['h2'],
              ...(isIP(host) === 0 && { servername: host }),
            },
            () => resolve({ socket: secured, secure: true }),
          );
          secured.on('error', (error: Error) => reject(explainUpstreamTlsError(error, tls)));
        }),
      waitForReady: () => Promise.resolve(),
      getCallCredentials: () => calls,
      destroy: () => {},
    };
  }
}

/** grpc-js credentials of `tls` (insecure when undefined). */
export function upstreamCredentials(tls: UpstreamTlsMaterial | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  return new UpstreamTlsCredentials(tls);
}
