/**
 * The stores' schema version. Both backends keep it in a one-row `schema_version` table,
 * migrate older schemas forward at open, and refuse a newer one (written by a newer build)
 * rather than guess at its meaning.
 */
import { FailedPreconditionError } from '@sightline/errors';

/** The schema this build writes. */
export const CURRENT_SCHEMA_VERSION = 1;

/** Fails when `found` is newer than this build understands. */
export function refuseNewerSchema(found: number, where: string): void {
  if (found > CURRENT_SCHEMA_VERSION)
    throw new FailedPreconditionError(
      `metrics store ${where}: schema version ${found} is newer than this build's ${CURRENT_SCHEMA_VERSION}; run a newer metrics service or point it at another store.`,
      { field: 'schema_version' },
    );
}
