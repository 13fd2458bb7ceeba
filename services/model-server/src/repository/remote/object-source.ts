import type { Readable } from 'node:stream';

/**
 * Default longest wait for one listing request (an S3 page, the http manifest), in ms: a
 * store that accepts the connection and never answers must not hold the start, the polls
 * and RepositoryModelLoad forever.
 */
export const DEFAULT_LIST_TIMEOUT_MS = 30_000;

/** Most objects one listing of a repository may hold; more is refused as a misconfigured prefix. */
export const MAX_LISTED_OBJECTS = 100_000;

/** How a listed object's content is checked after download. */
export type ObjectChecksum =
  | { readonly kind: 'md5'; readonly hex: string }
  | { readonly kind: 'sha256'; readonly hex: string }
  /** Nothing to compare but the size (an S3 multipart ETag, an encrypted object). */
  | { readonly kind: 'size-only'; readonly etag: string };

/** One file of a remote repository. */
export interface RemoteObject {
  /** The path relative to the repository root, `/`-separated (`iris/1/model.onnx`). */
  readonly path: string;
  readonly size: number;
  readonly checksum: ObjectChecksum;
}

/**
 * A read-only remote model repository: lists its files and streams one. Implementations
 * carry no transport types past this interface; errors are @sightline/errors classes with a
 * sentence naming the object and the reason.
 */
export interface ObjectSource {
  /** The repository URI for messages and ModelMetadata (`s3://bucket/prefix/`). */
  readonly uri: string;
  /**
   * Every file under `path` (a model's directory, `iris/`), or of the whole repository when
   * empty. Hidden files (a part starting with `.`) are left out.
   */
  list(path?: string): Promise<RemoteObject[]>;
  /** The content of one listed file, as a stream; aborted by `signal`. */
  open(object: RemoteObject, signal: AbortSignal): Promise<Readable>;
}

/** True for a path with a hidden part (`.git/x`, `m/.DS_Store`): never mirrored. */
export function isHiddenPath(path: string): boolean {
  return path.split('/').some((part) => part.startsWith('.'));
}
