import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  DeadlineExceededError,
  FailedPreconditionError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
} from '@sightline/errors';
import {
  DEFAULT_LIST_TIMEOUT_MS,
  isHiddenPath,
  MAX_LISTED_OBJECTS,
  type ObjectChecksum,
  type ObjectSource,
  type RemoteObject,
} from './object-source.js';
import { GCS_S3_ENDPOINT } from './repository-location.js';

/** How an S3-compatible store is reached. Credentials are never here: the SDK's chain finds them. */
export interface S3SourceOptions {
  readonly uri: string;
  readonly bucket: string;
  /** Empty or ending in `/`. */
  readonly prefix: string;
  /** A custom endpoint (MinIO, Ceph, GCS interop); the SDK's AWS endpoint when absent. */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible stores need. */
  readonly forcePathStyle?: boolean | undefined;
  /** Attempts per request (the SDK's standard retry with backoff). */
  readonly maxAttempts?: number | undefined;
  /** Longest wait for one listing page, retries included, in ms (--repository-list-timeout-ms). */
  readonly listTimeoutMs?: number | undefined;
}

/** The endpoint, region and style a `gs://` repository is read with, unless overridden. */
export function gcsDefaults(options: S3SourceOptions): S3SourceOptions {
  return {
    ...options,
    endpoint: options.endpoint ?? GCS_S3_ENDPOINT,
    region: options.region ?? 'auto',
    forcePathStyle: options.forcePathStyle ?? true,
  };
}

/**
 * An S3 (or S3-compatible) bucket prefix read through the AWS SDK for JavaScript v3.
 * Credentials come from the SDK's default chain only (environment, shared files, web
 * identity, instance metadata).
 */
export class S3ObjectSource implements ObjectSource {
  readonly uri: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #listTimeoutMs: number;

  constructor(options: S3SourceOptions) {
    this.uri = options.uri;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix;
    this.#listTimeoutMs = options.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS;
    this.#client = new S3Client({
      endpoint: options.endpoint,
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? false,
      maxAttempts: options.maxAttempts ?? 3,
    });
  }

  async list(path = ''): Promise<RemoteObject[]> {
    const objects: RemoteObject[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      const signal = AbortSignal.timeout(this.#listTimeoutMs);
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#prefix + path,
            ContinuationToken: token,
          }),
          { abortSignal: signal },
        );
      } catch (error) {
        if (signal.aborted) {
          throw new DeadlineExceededError(
            `listing ${this.uri}${path}: no answer within ${this.#listTimeoutMs} ms (--repository-list-timeout-ms)`,
            { cause: error },
          );
        }
        throw storageError(error, `listing ${this.uri}${path}`);
      }
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined || item.Key.endsWith('/')) continue; // folder markers
        const relative = item.Key.slice(this.#prefix.length);
        if (isHiddenPath(relative)) continue;
        objects.push({ path: relative, size: item.Size ?? 0, checksum: checksumOfEtag(item.ETag ?? '') });
      }
      if (objects.length > MAX_LISTED_OBJECTS) {
        throw new ResourceExhaustedError(
          `listing ${this.uri}${path}: more than ${MAX_LISTED_OBJECTS} objects; point --repository at the model repository's prefix`,
        );
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return objects;
  }

  async open(object: RemoteObject, signal: AbortSignal): Promise<Readable> {
    try {
      const answer = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + object.path }),
        { abortSignal: signal },
      );
      const body = answer.Body;
      if (!(body instanceof Readable)) {
        throw new UnavailableError(`${this.uri}${object.path}: the store answered no body`);
      }
      return body;
    } catch (error) {
      throw storageError(error, `${this.uri}${object.path}`);
    }
  }

  /** Closes the SDK's connections. */
  destroy(): void {
    this.#client.destroy();
  }
}

/**
 * An S3 ETag is the content's MD5 for a single-part, unencrypted upload; a multipart one
 * (`"<hex>-<parts>"`) or a KMS-encrypted one is not, and only the size can be checked.
 */
export function checksumOfEtag(etag: string): ObjectChecksum {
  const bare = etag.replaceAll('"', '');
  return /^[0-9a-f]{32}$/i.test(bare)
    ? { kind: 'md5', hex: bare.toLowerCase() }
    : { kind: 'size-only', etag: bare };
}

/** The SDK's error as a Sightline error whose sentence says what failed and why. */
export function storageError(error: unknown, what: string): Error {
  if (!(error instanceof Error)) return new UnavailableError(`${what}: ${String(error)}`);
  {
    const code = error.name;
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const detail = `${code}${status ? ` (HTTP ${status})` : ''}: ${error.message}`;
    const options = { cause: error };
    switch (code) {
      case 'NoSuchBucket':
        return new FailedPreconditionError(`${what}: the bucket does not exist (${detail})`, options);
      case 'NoSuchKey':
      case 'NotFound':
        return new NotFoundError(`${what}: not found (${detail})`, options);
      case 'InvalidAccessKeyId':
      case 'SignatureDoesNotMatch':
      case 'ExpiredToken':
      case 'InvalidToken':
        return new UnauthenticatedError(`${what}: the store refused the credentials (${detail})`, options);
      case 'CredentialsProviderError':
        // Nothing reached the store: the chain found no credentials anywhere.
        return new UnauthenticatedError(
          `${what}: no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role (${detail})`,
          options,
        );
      case 'AccessDenied':
      case 'Forbidden':
        return new PermissionDeniedError(`${what}: access denied (${detail})`, options);
      case 'AbortError':
        return new UnavailableError(`${what}: aborted (${detail})`, options);
      default:
        if (status === 403) return new PermissionDeniedError(`${what}: access denied (${detail})`, options);
        return new UnavailableError(`${what}: ${detail}`, options);
    }
  }
}
