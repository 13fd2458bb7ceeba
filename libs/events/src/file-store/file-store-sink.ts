import type { EventSink } from '../event-sink.js';
import type { InferenceEvent } from '../inference-event.js';
import type { FileEventStore } from './file-event-store.js';

/** The default sink name of the file store. */
export const FILE_STORE_SINK_NAME = 'file';

/**
 * Delivers events into a {@link FileEventStore}. A retried batch is appended again; the
 * store removes duplicates by event id on read. Closing the sink closes the store.
 */
export class FileStoreSink implements EventSink {
  constructor(
    private readonly store: FileEventStore,
    readonly name: string = FILE_STORE_SINK_NAME,
  ) {}

  write(events: readonly InferenceEvent[]): Promise<void> {
    return this.store.append(events);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
