import type { InferenceEvent } from './inference-event.js';

/**
 * A consumer of the event stream (a detector, the metrics service). Called with batches
 * in delivery order. Delivery is at least once (a sink retry, a broker redelivery), so a
 * subscriber that must not count twice deduplicates by `eventId`.
 */
export type EventSubscriber = (events: readonly InferenceEvent[]) => void | Promise<void>;

/** Ends a subscription. */
export interface EventSubscription {
  unsubscribe(): void;
}

/**
 * Where consumers get events, whatever the transport: {@link InProcessEventBus} in the
 * local stack, {@link CloudEventsEventSource} behind a Knative Trigger in production.
 */
export interface EventSource {
  subscribe(subscriber: EventSubscriber): EventSubscription;
}
