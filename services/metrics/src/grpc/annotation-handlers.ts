/**
 * The six annotation RPCs of `sightline.metrics.v1.MetricsService`: each converts the message,
 * makes one call on the annotation queues and converts the answer.
 */
import type { metricsV1 } from '@sightline/contracts';
import { type CallKit, decoded, unary } from '@sightline/service-kit';
import type { AnnotationQueues } from '../annotation/annotation-queues.js';
import {
  answerFromMessage,
  durationMs,
  feedbackOutcomeToMessage,
  itemToMessage,
  queueSettingsFromMessage,
  queueToMessage,
  statesFromMessage,
} from '../contract/annotation-messages.js';

const SERVICE = 'sightline.metrics.v1.MetricsService';

/** What the annotation handlers need. */
export interface AnnotationDeps {
  readonly queues: Pick<
    AnnotationQueues,
    'putQueue' | 'getQueue' | 'deleteQueue' | 'listItems' | 'leaseItems' | 'answerItem'
  >;
}

export type AnnotationMethods =
  | 'putAnnotationQueue'
  | 'getAnnotationQueue'
  | 'deleteAnnotationQueue'
  | 'listAnnotationItems'
  | 'leaseAnnotationItems'
  | 'answerAnnotationItem';

export function annotationHandlers(
  kit: CallKit,
  deps: AnnotationDeps,
): Pick<metricsV1.MetricsServiceServer, AnnotationMethods> {
  const m = (name: string) => `${SERVICE}/${name}`;
  const { queues } = deps;
  return {
    putAnnotationQueue: unary(
      kit,
      m('PutAnnotationQueue'),
      async (message: metricsV1.PutAnnotationQueueRequest) => {
        const req = decoded(message, 'PutAnnotationQueueRequest');
        const { queue, created } = await queues.putQueue(queueSettingsFromMessage(req.queue));
        return { queue: queueToMessage(queue), created };
      },
    ),
    getAnnotationQueue: unary(
      kit,
      m('GetAnnotationQueue'),
      async (message: metricsV1.GetAnnotationQueueRequest) => {
        const req = decoded(message, 'GetAnnotationQueueRequest');
        return { queue: queueToMessage(await queues.getQueue(req.modelName)) };
      },
    ),
    deleteAnnotationQueue: unary(
      kit,
      m('DeleteAnnotationQueue'),
      async (message: metricsV1.DeleteAnnotationQueueRequest) => {
        const req = decoded(message, 'DeleteAnnotationQueueRequest');
        await queues.deleteQueue(req.modelName);
        return {};
      },
    ),
    listAnnotationItems: unary(
      kit,
      m('ListAnnotationItems'),
      async (message: metricsV1.ListAnnotationItemsRequest) => {
        const req = decoded(message, 'ListAnnotationItemsRequest');
        const page = await queues.listItems(req.modelName, {
          states: statesFromMessage(req.states),
          pageSize: req.pageSize,
          pageToken: req.pageToken,
        });
        return { items: page.items.map(itemToMessage), nextPageToken: page.nextPageToken };
      },
    ),
    leaseAnnotationItems: unary(
      kit,
      m('LeaseAnnotationItems'),
      async (message: metricsV1.LeaseAnnotationItemsRequest) => {
        const req = decoded(message, 'LeaseAnnotationItemsRequest');
        const leaseMs = durationMs(req.lease);
        const items = await queues.leaseItems(req.modelName, {
          annotator: req.annotator,
          maxItems: req.maxItems,
          ...(leaseMs === undefined ? {} : { leaseMs }),
        });
        return { items: items.map(itemToMessage) };
      },
    ),
    answerAnnotationItem: unary(
      kit,
      m('AnswerAnnotationItem'),
      async (message: metricsV1.AnswerAnnotationItemRequest) => {
        const req = decoded(message, 'AnswerAnnotationItemRequest');
        const result = await queues.answerItem(
          req.modelName,
          req.itemId,
          req.annotator,
          answerFromMessage(req),
        );
        return {
          item: itemToMessage(result.item),
          ...(result.feedback
            ? { feedback: feedbackOutcomeToMessage(result.feedback, result.item.row) }
            : {}),
        };
      },
    ),
  };
}
