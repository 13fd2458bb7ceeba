import { NotFoundError } from '@sightline/errors';
import type { VersionPolicy } from '../model/types.js';

/**
 * Picks the versions to serve from those on disk, as Triton's version_policy does:
 * `latest` the highest N present, `all` every one, `specific` exactly those listed.
 *
 * @param modelName - for messages.
 * @param available - version numbers found on disk, in any order.
 * @returns the versions to serve, ascending.
 * @throws NotFoundError when a `specific` version is missing on disk (naming it), or when no
 *   version is present at all.
 */
export function versionsToServe(
  modelName: string,
  policy: VersionPolicy,
  available: readonly number[],
): readonly number[] {
  const sorted = [...new Set(available)].sort((a, b) => a - b);
  if (sorted.length === 0) {
    throw new NotFoundError(
      `model "${modelName}": no version directories found (expected positive integer names such as 1/)`,
    );
  }
  switch (policy.kind) {
    case 'latest':
      return sorted.slice(-policy.numVersions);
    case 'all':
      return sorted;
    case 'specific': {
      const present = new Set(sorted);
      const missing = policy.versions.filter((version) => !present.has(version));
      if (missing.length > 0) {
        throw new NotFoundError(
          `model "${modelName}": version_policy.specific lists ${missing.length === 1 ? 'version' : 'versions'} ${missing.join(', ')}, not found on disk (present: ${sorted.join(', ')})`,
        );
      }
      return [...policy.versions].sort((a, b) => a - b);
    }
  }
}
