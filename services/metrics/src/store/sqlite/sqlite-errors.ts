/**
 * SQLite's raw errors as the service's: a full disk and a damaged file are conditions an
 * operator must act on, so they get a sentence naming the store file and what to do, and a
 * status a client understands (RESOURCE_EXHAUSTED, UNAVAILABLE) instead of an internal error.
 */
import { ResourceExhaustedError, UnavailableError } from '@sightline/errors';

/** The error to throw for `error` raised while using the store file `file`. */
export function mapSqliteError(file: string, error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error;
  if (code === 'SQLITE_FULL')
    return new ResourceExhaustedError(
      `metrics store "${file}": the disk of the data directory is full (SQLITE_FULL); free space there or shorten the retention, which deletes old data first.`,
      { cause: error, field: 'file' },
    );
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB')
    return new UnavailableError(
      `metrics store "${file}": the database file is damaged (${code}); stop the service and restore the data directory from a backup, or move the file aside to start empty.`,
      { cause: error, field: 'file' },
    );
  if (code.startsWith('SQLITE_IOERR'))
    return new UnavailableError(
      `metrics store "${file}": the disk of the data directory failed a read or write (${code}); check the volume.`,
      { cause: error, field: 'file' },
    );
  return error;
}

/** Whether `error` is SQLite's "the disk is full". */
export const isDiskFull = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === 'SQLITE_FULL';
