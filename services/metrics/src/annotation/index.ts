export {
  type AnnotationOptions,
  DEFAULT_ANNOTATION_OPTIONS,
  resolveAnnotationOptions,
} from './annotation-options.js';
export {
  AnnotationQueues,
  type AnnotationQueuesDeps,
  type AnswerResult,
  type LeaseInput,
  type ListItemsInput,
} from './annotation-queues.js';
export type * from './annotation-types.js';
export { type AnnotationDocuments, ITEMS_COLLECTION, QUEUES_COLLECTION } from './queue-documents.js';
