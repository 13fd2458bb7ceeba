/**
 * TLS of the router's upstream connections (settings `--upstream-tls`, `--upstream-tls-ca-file`,
 * `--upstream-tls-cert-file`, `--upstream-tls-key-file`): read once at start and handed to
 * every upstream client, so each of them (grpc-js, the HTTP/2 channel, connect) speaks TLS
 * with the same trust and the same client certificate.
 */
import { readFile } from 'node:fs/promises';
import { type ChannelCredentials, credentials } from '@grpc/grpc-js';

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

/**
 * The material of `files`, or undefined for plaintext.
 * @throws Error when only one of the client certificate and its key is set, or a file cannot be read.
 */
export async function loadUpstreamTls(files: UpstreamTlsFiles): Promise<UpstreamTlsMaterial | undefined> {
  if (Boolean(files.certFile) !== Boolean(files.keyFile)) {
    throw new Error('--upstream-tls-cert-file and --upstream-tls-key-file go together (mTLS)');
  }
  if (!files.tls && !files.caFile && !files.certFile) return undefined;
  const read = (path: string | undefined) => (path ? readFile(path) : Promise.resolve(undefined));
  const [ca, cert, key] = await Promise.all([read(files.caFile), read(files.certFile), read(files.keyFile)]);
  return { ca, cert, key };
}

/** grpc-js credentials of `tls` (insecure when undefined). */
export function upstreamCredentials(tls: UpstreamTlsMaterial | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  return credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}
