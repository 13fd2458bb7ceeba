import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, NotFoundError } from '@sightline/errors';

/** True when `child` is `parent` itself or lies below it (both already resolved). */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Turns a filesystem error about `relative` into the error family: a missing path is
 * NotFoundError, a symlink loop or a path too long for the filesystem InvalidArgumentError
 * (both come from what a caller named or an operator laid out, never from the server).
 * Messages name the path relative to the repository, never an absolute one: answers go to
 * remote callers. Anything else is returned as it is.
 */
export function filesystemError(error: unknown, relative: string, what: string): unknown {
  if (!isNodeError(error)) return error;
  switch (error.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new NotFoundError(`${what}: ${relative} does not exist`, { cause: error });
    case 'ELOOP':
      return new InvalidArgumentError(`${what}: ${relative} is a symlink loop`, { cause: error });
    case 'ENAMETOOLONG':
      return new InvalidArgumentError(`${what}: ${relative} is a path too long for the filesystem`, {
        cause: error,
      });
    default:
      return error;
  }
}

/**
 * Resolves `parts` under `realRoot` through every symlink (fs.realpath) and checks the result
 * still lies inside `realRoot`. A symlink that leaves the root is refused: the repository is
 * the only tree an operator allowed the server to read.
 *
 * @param realRoot - an already realpath-resolved directory.
 * @param what - what is being resolved, for messages (e.g. `model "iris" version 1`).
 * @throws NotFoundError when the path does not exist; InvalidArgumentError when it leaves the
 *   root, loops or is too long. Messages name `parts`, never an absolute path.
 */
export async function resolveInside(
  realRoot: string,
  parts: readonly string[],
  what: string,
): Promise<string> {
  const joined = path.join(realRoot, ...parts);
  const relative = parts.join('/');
  let resolved: string;
  try {
    resolved = await realpath(joined);
  } catch (error) {
    throw filesystemError(error, relative, what);
  }
  if (!isInside(realRoot, resolved)) {
    throw new InvalidArgumentError(
      `${what}: ${relative} resolves outside the directory it belongs to; symlinks must stay inside it`,
    );
  }
  return resolved;
}

/** Narrows an unknown error to a Node system error with a `code`. */
export function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
