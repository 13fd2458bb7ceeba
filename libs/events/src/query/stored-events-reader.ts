/**
 * The stored events a consumer service (drift, outlier) reads for history and stored
 * references: another process's file store (the router's `<data-dir>/events`), opened
 * read-only. The directory may appear after the service starts (the router creates it), so
 * it is checked when a read begins, not at start.
 */
import { stat } from 'node:fs/promises';
import { FailedPreconditionError } from '@sightline/errors';
import type { EventLogger } from '../event-logger.js';
import { FileEventStore } from '../file-store/file-event-store.js';
import { FileStoreEventReader } from './file-store-event-reader.js';

/** Options of {@link openStoredEventsReader}. */
export interface StoredEventsReaderOptions {
  /** The store's directory, resolved. */
  readonly directory: string;
  /** The setting naming it (`--events-dir`), in the refusal when it does not exist. */
  readonly setting: string;
  /** Most stored events one query scans, and the setting behind it. */
  readonly maxEventsScanned: number;
  readonly maxEventsScannedSetting: string;
  readonly logger: EventLogger;
}

/** A read-only file store, its reader and the check a read begins with. */
export interface StoredEventsReader {
  readonly store: FileEventStore;
  readonly reader: FileStoreEventReader;
  /** @throws FailedPreconditionError naming the setting when the directory does not exist (yet). */
  check(): Promise<void>;
}

/** Opens the file store at `options.directory` read-only for history reads. */
export async function openStoredEventsReader(
  options: StoredEventsReaderOptions,
): Promise<StoredEventsReader> {
  const { directory } = options;
  const store = await FileEventStore.open({ directory, readOnly: true, logger: options.logger });
  return {
    store,
    reader: new FileStoreEventReader(store, directory, {
      maxEventsScanned: options.maxEventsScanned,
      maxEventsScannedSetting: options.maxEventsScannedSetting,
    }),
    check: async () => {
      const isDirectory = await stat(directory).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!isDirectory) {
        throw new FailedPreconditionError(
          `${options.setting} ${directory}: no such directory; history and fits from events read the router's stored events there (the router's <data-dir>/events)`,
        );
      }
    },
  };
}
