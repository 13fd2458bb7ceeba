import { InvalidArgumentError } from '@sightline/errors';

/** Where the model repository lives, as `--repository` names it. */
export type RepositoryLocation =
  | { readonly kind: 'local'; readonly path: string }
  | {
      readonly kind: 's3' | 'gs';
      readonly uri: string;
      readonly bucket: string;
      /** The key prefix, empty or ending in `/`. */
      readonly prefix: string;
    }
  | { readonly kind: 'http'; readonly uri: string; readonly baseUrl: URL };

/**
 * Google Cloud Storage's S3-interoperable (XML API) endpoint: `gs://` repositories are read
 * through it with HMAC keys given as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 */
export const GCS_S3_ENDPOINT = 'https://storage.googleapis.com';

// S3's rule for bucket names (3-63 lowercase letters, digits, dots, hyphens); GCS allows
// underscores too.
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;

/**
 * Parses `--repository`: `s3://bucket[/prefix]`, `gs://bucket[/prefix]`,
 * `http(s)://host/path` (a manifest at `<path>/manifest.json`) or a local directory.
 *
 * @throws InvalidArgumentError naming the flag and the rule.
 */
export function parseRepositoryLocation(value: string): RepositoryLocation {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'local', path: value };
  if (scheme === 's3' || scheme === 'gs') {
    const rest = value.slice(scheme.length + 3);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    let prefix = slash < 0 ? '' : rest.slice(slash + 1);
    if (!BUCKET_PATTERN.test(bucket)) {
      throw new InvalidArgumentError(
        `--repository: bucket "${bucket.slice(0, 80)}" of ${scheme}:// must be 3 to 63 lowercase letters, digits, ".", "_" or "-"`,
      );
    }
    if (prefix.split('/').some((part, i, parts) => part === '..' || (part === '' && i < parts.length - 1))) {
      throw new InvalidArgumentError(
        `--repository: the prefix of ${scheme}://${bucket}/ must not hold "..", or empty parts`,
      );
    }
    if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
    return { kind: scheme, uri: `${scheme}://${bucket}/${prefix}`, bucket, prefix };
  }
  if (scheme === 'http' || scheme === 'https') {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidArgumentError(`--repository: "${value.slice(0, 200)}" is not a valid URL`);
    }
    if (url.search !== '' || url.hash !== '') {
      throw new InvalidArgumentError(
        '--repository: an http(s) repository URL must have no query or fragment',
      );
    }
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    return { kind: 'http', uri: url.href, baseUrl: url };
  }
  throw new InvalidArgumentError(
    `--repository: scheme "${scheme}" is not supported; use s3://, gs://, http://, https:// or a local directory`,
  );
}
