/** Channel credentials and the channel options TLS needs, from the resolved TLS settings. */
import { type ChannelCredentials, type ChannelOptions, credentials } from '@grpc/grpc-js';
import type { TlsOptions } from './options.js';

/** Plaintext when `tls` is unset; TLS (mTLS with cert and key) otherwise. */
export function channelCredentials(tls: TlsOptions | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  return credentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert));
}

/** `serverName` as the options that make grpc-js check the certificate against it. */
export function tlsChannelOptions(tls: TlsOptions | undefined): ChannelOptions {
  if (tls?.serverName === undefined) return {};
  return { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName };
}

function pem(value: string | Uint8Array | undefined): Buffer | null {
  if (value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}
