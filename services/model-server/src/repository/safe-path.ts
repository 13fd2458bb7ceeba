import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, NotFoundError } from '@sightline/errors';

/**
 * Checks that `name` is one plain path segment, safe to join under a directory: no
 * separators, no `.`/`..`, no leading dot (hidden files), no NUL, not absolute. Model
 * names come from remote callers (RepositoryModelLoad), so this is the first wall against
 * path traversal; the realpath check in {@link resolveInside} is the second.
 *
 * @param what - what the segment names, for the message (e.g. `model name`).
 * @throws InvalidArgumentError naming the rule that was broken.
 */
export function assertSafeSegment(segment: string, what: string): void {
  const reason = unsafeSegmentReason(segment);
  if (reason !== undefined) {
    throw new InvalidArgumentError(`${what} ${JSON.stringify(segment)}: ${reason}`);
  }
}

function unsafeSegmentReason(segment: string): string | undefined {
  if (segment.length === 0) return 'must not be empty';
  if (segment.includes('\0')) return 'must not contain NUL';
  if (segment.includes('/') || segment.includes('\\')) return 'must not contain "/" or "\\"';
  // A drive prefix (C:) makes the name absolute or drive-relative on Windows.
  if (path.isAbsolute(segment) || /^[a-zA-Z]:/.test(segment)) return 'must not be an absolute path';
  if (segment.includes('..')) return 'must not contain ".."';
  if (segment.startsWith('.')) return 'must not start with "."';
  return undefined;
}

/** True when `child` is `parent` itself or lies below it (both already resolved). */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Resolves `parts` under `realRoot` through every symlink (fs.realpath) and checks the result
 * still lies inside `realRoot`. A symlink that leaves the root is refused: the repository is
 * the only tree an operator allowed the server to read.
 *
 * @param realRoot - an already realpath-resolved directory.
 * @param what - what is being resolved, for messages (e.g. `model "iris" version 1`).
 * @throws NotFoundError when the path does not exist; InvalidArgumentError when it leaves the root.
 */
export async function resolveInside(
  realRoot: string,
  parts: readonly string[],
  what: string,
): Promise<string> {
  const joined = path.join(realRoot, ...parts);
  let resolved: string;
  try {
    resolved = await realpath(joined);
  } catch (error) {
    if (isNodeError(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) {
      throw new NotFoundError(`${what}: ${joined} does not exist`, { cause: error });
    }
    throw error;
  }
  if (!isInside(realRoot, resolved)) {
    throw new InvalidArgumentError(
      `${what}: ${joined} resolves to ${resolved}, outside the directory ${realRoot}; symlinks must stay inside it`,
    );
  }
  return resolved;
}

/** Narrows an unknown error to a Node system error with a `code`. */
export function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
