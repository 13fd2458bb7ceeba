import type { EventLogger } from './event-logger.js';
import type { EventSink } from './event-sink.js';
import type { EventSource, EventSubscriber, EventSubscription } from './event-source.js';
import type { InferenceEvent } from './inference-event.js';

/** The default sink name of the in-process bus. */
export const IN_PROCESS_SINK_NAME = 'in-process';

/**
 * The local stack's fan-out: a sink for the pipeline and a source for consumers in the
 * same process. Each batch goes to every subscriber concurrently. A subscriber that
 * throws is logged and does not fail the batch, because a retry would hand the same
 * events again to the subscribers that did succeed; subscribers own their errors.
 */
export class InProcessEventBus implements EventSink, EventSource {
  private subscribers: EventSubscriber[] = [];

  constructor(
    private readonly logger: EventLogger,
    readonly name: string = IN_PROCESS_SINK_NAME,
  ) {}

  subscribe(subscriber: EventSubscriber): EventSubscription {
    this.subscribers = [...this.subscribers, subscriber];
    return {
      unsubscribe: () => {
        this.subscribers = this.subscribers.filter((s) => s !== subscriber);
      },
    };
  }

  async write(events: readonly InferenceEvent[]): Promise<void> {
    const results = await Promise.allSettled(this.subscribers.map(async (s) => s(events)));
    for (const result of results) {
      if (result.status === 'rejected') {
        this.logger.error('in-process event bus: a subscriber failed', { cause: String(result.reason) });
      }
    }
  }

  async close(): Promise<void> {
    this.subscribers = [];
  }
}
