/**
 * Queues and items as documents of the store's small-document collection, so a restart (or
 * another replica opening the same store) keeps them. Document ids are hashes: model names
 * and request ids may be as long as the store's id limit on their own.
 */
import { createHash } from 'node:crypto';
import type { MetricsStore } from '../store/metrics-store.js';
import type { ItemRecord, LastingCounts } from './annotation-queue.js';
import type { QueueSettings } from './annotation-types.js';

export const QUEUES_COLLECTION = 'annotation-queues';
export const ITEMS_COLLECTION = 'annotation-items';

/** The store methods the queues use. */
export type AnnotationDocuments = Pick<
  MetricsStore,
  'putDocument' | 'getDocument' | 'listDocuments' | 'deleteDocument'
>;

export interface QueueDocument {
  readonly settings: QueueSettings;
  readonly createMs: number;
  readonly updateMs: number;
  readonly counts: LastingCounts;
}

export function queueDocumentId(modelName: string): string {
  return createHash('sha256').update(modelName).digest('hex');
}

export function itemDocumentId(modelName: string, itemId: string): string {
  return createHash('sha256').update(modelName).update('\u0000').update(itemId).digest('hex');
}

/** An item's JSON: inputs as base64. */
export function itemToJson(modelName: string, item: ItemRecord): string {
  return JSON.stringify({
    ...item,
    modelName,
    inputs: item.inputs.map((input) => ({ ...input, raw: Buffer.from(input.raw).toString('base64') })),
  });
}

export function itemFromJson(json: string): { modelName: string; item: ItemRecord } {
  const parsed = JSON.parse(json) as Omit<ItemRecord, 'inputs'> & {
    modelName: string;
    inputs: { name: string; datatype: string; shape: number[]; raw: string }[];
  };
  const { modelName, inputs, ...item } = parsed;
  return {
    modelName,
    item: {
      ...item,
      inputs: inputs.map((input) => ({ ...input, raw: new Uint8Array(Buffer.from(input.raw, 'base64')) })),
    },
  };
}

/** Every document of a collection, a page at a time. */
export async function* allDocuments(
  documents: AnnotationDocuments,
  collection: string,
): AsyncGenerator<{ id: string; json: string }> {
  let after: string | undefined;
  do {
    const page = await documents.listDocuments(collection, after === undefined ? {} : { after });
    for (const document of page.documents) yield document;
    after = page.next;
  } while (after !== undefined);
}
