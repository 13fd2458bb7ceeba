/**
 * Feeds an in-process EventSource (the local stack's bus) into a service's ingress queue.
 * The bus has no retry: a batch the queue cannot take is counted as refused and dropped.
 */
import type { EventSource, EventSubscription } from '../event-source.js';
import type { IngressObserver } from './cloudevents-ingress.js';
import type { EventIngressQueue } from './event-ingress-queue.js';

/** Subscribes `queue` to `source`, telling `observer` what was queued or refused. */
export function feedIngressQueue(
  source: EventSource,
  queue: EventIngressQueue,
  observer: IngressObserver,
): EventSubscription {
  return source.subscribe((events) => {
    const result = queue.offer(events);
    if (result.accepted) observer.received(result.queued, result.duplicates);
    else observer.refused(result.reason);
  });
}
