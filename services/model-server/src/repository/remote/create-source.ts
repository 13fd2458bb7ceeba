import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { HttpManifestSource } from './http-manifest-source.js';
import type { ObjectSource } from './object-source.js';
import type { RepositoryLocation } from './repository-location.js';

/** How S3-compatible stores are reached (from --s3-endpoint, --s3-region, --s3-force-path-style). */
export interface S3Settings {
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  readonly forcePathStyle?: boolean | undefined;
}

/**
 * The source that reads a remote location; `destroy` frees its connections. The AWS SDK is
 * imported only here, for s3:// and gs://: loading it costs about a second, which a server
 * on a local or http repository does not pay.
 */
export async function createObjectSource(
  location: Exclude<RepositoryLocation, { kind: 'local' }>,
  s3: S3Settings,
  listTimeoutMs?: number,
): Promise<ObjectSource & { destroy?: () => void }> {
  if (location.kind === 'http') return new HttpManifestSource(location.baseUrl, listTimeoutMs);
  const { gcsDefaults, S3ObjectSource } = await import('./s3-source.js');
  const options = {
    uri: location.uri,
    bucket: location.bucket,
    prefix: location.prefix,
    endpoint: s3.endpoint,
    region: s3.region,
    // Unset means the store's usual style: virtual-hosted for AWS, path-style for GCS.
    forcePathStyle: s3.forcePathStyle || undefined,
    listTimeoutMs,
  };
  return new S3ObjectSource(location.kind === 'gs' ? gcsDefaults(options) : options);
}

/** The default cache directory of a remote repository: one per URI under ~/.cache/sightline/models. */
export function defaultCacheDir(uri: string): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'sightline', 'models', createHash('sha256').update(uri).digest('hex').slice(0, 16));
}
