/**
 * Every model's annotation queue: the six operations the RPCs call, the hooks the data plane
 * calls as predictions, feedback and outlier scores arrive, and the queues' documents in the
 * store. Each operation first sweeps its queue (ended leases, expired items), then changes the
 * queue in memory and returns once the changed documents are written.
 */
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '@sightline/errors';
import type { FeedbackRecord, PredictionRecord, Truth } from '../domain/records.js';
import type { AnnotationOptions } from './annotation-options.js';
import { resolveAnnotationOptions } from './annotation-options.js';
import {
  AnnotationQueue,
  type Candidate,
  compareKeys,
  decodePageToken,
  encodePageToken,
  type ItemRecord,
  itemIdOf,
  itemView,
  rowKey,
  type WaitingCandidate,
} from './annotation-queue.js';
import type {
  AnnotationAnswer,
  AnnotationFeedbackOutcome,
  AnnotationFeedbackPort,
  AnnotationHooks,
  AnnotationItemStateName,
  AnnotationItemView,
  ItemReason,
  PredictedRowView,
  QueueSettingsInput,
  QueueView,
  ReceivedOutlierScores,
  StoredFeedback,
  StoredPrediction,
} from './annotation-types.js';
import {
  leastConfidentReason,
  outlierReason,
  predictedRowView,
  shadowReason,
  uniformReason,
} from './priority.js';
import {
  type AnnotationDocuments,
  allDocuments,
  ITEMS_COLLECTION,
  itemDocumentId,
  itemFromJson,
  itemToJson,
  QUEUES_COLLECTION,
  type QueueDocument,
  queueDocumentId,
} from './queue-documents.js';
import { MAX_NAME_LENGTH, resolveQueueSettings } from './queue-settings.js';
import { inputBytes, sliceRowInputs } from './row-inputs.js';
import { rowSampled, rowUniform } from './row-sampling.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1_000;
export const MAX_LEASE_ITEMS = 100;
/** How often the predictions hook sweeps a queue (the RPCs sweep at every call): expired items free their room. */
const HOOK_SWEEP_INTERVAL_MS = 1_000;
/** Models whose task the queues remember (for LEAST_CONFIDENT's check at PutAnnotationQueue). */
const MAX_KNOWN_MODELS = 10_000;

export interface AnnotationQueuesDeps {
  readonly documents: AnnotationDocuments;
  readonly feedback: AnnotationFeedbackPort;
  readonly now?: () => number;
  readonly options?: Partial<AnnotationOptions>;
}

export interface ListItemsInput {
  readonly states?: readonly AnnotationItemStateName[];
  readonly pageSize?: number;
  readonly pageToken?: string;
}

export interface LeaseInput {
  readonly annotator: string;
  readonly maxItems?: number;
  readonly leaseMs?: number;
}

export interface AnswerResult {
  readonly item: AnnotationItemView;
  /** Unset for a skip. */
  readonly feedback?: AnnotationFeedbackOutcome;
}

interface ModelTask {
  readonly task: 'classification' | 'regression';
  readonly withProbabilities: boolean;
}

function checkModelName(modelName: string): void {
  if (modelName === '') throw new InvalidArgumentError('model_name: required');
  if (modelName.length > MAX_NAME_LENGTH)
    throw new InvalidArgumentError(
      `model_name: must be at most ${MAX_NAME_LENGTH} characters, got ${modelName.length}`,
    );
}

export class AnnotationQueues implements AnnotationHooks {
  readonly options: AnnotationOptions;
  readonly #queues = new Map<string, AnnotationQueue>();
  readonly #tasks = new Map<string, ModelTask>();
  /** Items whose answer is being stored: the feedback hook must not call them labelled elsewhere. */
  readonly #answering = new Set<string>();
  #writes: Promise<void> = Promise.resolve();
  readonly #now: () => number;
  #unreadable = 0;

  private constructor(private readonly deps: AnnotationQueuesDeps) {
    this.options = resolveAnnotationOptions(deps.options);
    this.#now = deps.now ?? Date.now;
  }

  /** Opens the queues kept in the store. */
  static async open(deps: AnnotationQueuesDeps): Promise<AnnotationQueues> {
    const queues = new AnnotationQueues(deps);
    for await (const { json } of allDocuments(deps.documents, QUEUES_COLLECTION)) {
      const doc = readDocument(json, (text) => JSON.parse(text) as QueueDocument);
      if (!doc?.settings?.modelName) {
        queues.#unreadable++;
        continue;
      }
      queues.#queues.set(
        doc.settings.modelName,
        new AnnotationQueue(doc.settings, doc.createMs, doc.updateMs, { ...doc.counts }, queues.options),
      );
    }
    // Items whose queue is gone (a crash between a queue's deletes) are removed now.
    const orphans: string[] = [];
    for await (const { id, json } of allDocuments(deps.documents, ITEMS_COLLECTION)) {
      const read = readDocument(json, itemFromJson);
      if (!read) {
        queues.#unreadable++;
        continue;
      }
      const { modelName, item } = read;
      const queue = queues.#queues.get(modelName);
      if (queue) queue.adopt(item);
      else orphans.push(id);
    }
    for (const id of orphans) await deps.documents.deleteDocument(ITEMS_COLLECTION, id);
    return queues;
  }

  /**
   * Documents `open` could not read (left in the store, untouched, for a person to look at):
   * the service logs this once at start; the queues work without them.
   */
  get unreadableDocuments(): number {
    return this.#unreadable;
  }

  // ---- the RPCs' operations ----------------------------------------------------------

  async putQueue(input: QueueSettingsInput): Promise<{ queue: QueueView; created: boolean }> {
    const settings = resolveQueueSettings(input, this.options);
    if (settings.policy === 'least_confident') {
      const known = this.#tasks.get(settings.modelName);
      if (known?.task === 'regression')
        throw new FailedPreconditionError(
          `queue.policy: LEAST_CONFIDENT needs class probabilities, and model "${settings.modelName}" is a regression model`,
        );
      if (known && !known.withProbabilities)
        throw new FailedPreconditionError(
          `queue.policy: LEAST_CONFIDENT needs class probabilities, and model "${settings.modelName}" logs none`,
        );
    }
    const now = this.#now();
    const existing = this.#queues.get(settings.modelName);
    if (!existing && this.#queues.size >= this.options.maxQueues)
      throw new ResourceExhaustedError(
        `queue: ${this.options.maxQueues} annotation queues exist, the most --max-annotation-queues allows; delete one first`,
      );
    const queue =
      existing ??
      new AnnotationQueue(
        settings,
        now,
        now,
        { answered: 0, skipped: 0, dropped: 0, expired: 0, labelledElsewhere: 0 },
        this.options,
      );
    queue.settings = settings;
    queue.updateMs = now;
    queue.settingsDirty = true;
    this.#queues.set(settings.modelName, queue);
    queue.sweep(now);
    queue.trimToCapacity();
    await this.#flush(queue);
    return { queue: queue.view(now), created: existing === undefined };
  }

  async getQueue(modelName: string): Promise<QueueView> {
    const queue = this.#queue(modelName);
    const now = this.#now();
    queue.sweep(now);
    await this.#flush(queue);
    return queue.view(now);
  }

  /** Deletes the queue and its items (answered items already are feedback). */
  async deleteQueue(modelName: string): Promise<void> {
    const queue = this.#queue(modelName);
    this.#queues.delete(modelName);
    for (const itemId of [...queue.items.keys()]) queue.remove(itemId);
    await this.#write(async () => {
      for (const itemId of queue.deleted)
        await this.deps.documents.deleteDocument(ITEMS_COLLECTION, itemDocumentId(modelName, itemId));
      await this.deps.documents.deleteDocument(QUEUES_COLLECTION, queueDocumentId(modelName));
    });
    queue.deleted.clear();
  }

  async listItems(
    modelName: string,
    input: ListItemsInput = {},
  ): Promise<{ items: AnnotationItemView[]; nextPageToken: string }> {
    const queue = this.#queue(modelName);
    const pageSize = input.pageSize || DEFAULT_PAGE_SIZE;
    if (!Number.isSafeInteger(pageSize) || pageSize < 0 || pageSize > MAX_PAGE_SIZE)
      throw new InvalidArgumentError(`page_size: must be at most ${MAX_PAGE_SIZE}, got ${pageSize}`);
    const after = input.pageToken ? decodePageToken(input.pageToken) : undefined;
    const states = new Set<AnnotationItemStateName>(
      input.states && input.states.length > 0 ? input.states : ['open', 'leased'],
    );
    const now = this.#now();
    queue.sweep(now);
    await this.#flush(queue);
    const ordered = queue.ordered(states);
    const start = after ? ordered.findIndex((item) => compareKeys(queue.sortKey(item), after) > 0) : 0;
    const page = start < 0 ? [] : ordered.slice(start, start + pageSize);
    const last = page.at(-1);
    const more = start >= 0 && start + pageSize < ordered.length;
    return {
      items: page.map(itemView),
      nextPageToken: more && last ? encodePageToken(queue.sortKey(last)) : '',
    };
  }

  async leaseItems(modelName: string, input: LeaseInput): Promise<AnnotationItemView[]> {
    const queue = this.#queue(modelName);
    if (input.annotator === '') throw new InvalidArgumentError('annotator: required');
    if (input.annotator.length > MAX_NAME_LENGTH)
      throw new InvalidArgumentError(
        `annotator: must be at most ${MAX_NAME_LENGTH} characters, got ${input.annotator.length}`,
      );
    const maxItems = input.maxItems || 1;
    if (!Number.isSafeInteger(maxItems) || maxItems < 0 || maxItems > MAX_LEASE_ITEMS)
      throw new InvalidArgumentError(`max_items: must be at most ${MAX_LEASE_ITEMS}, got ${maxItems}`);
    const leaseMs = input.leaseMs ?? this.options.defaultLeaseMs;
    if (!(Number.isFinite(leaseMs) && leaseMs > 0 && leaseMs <= this.options.maxLeaseMs))
      throw new InvalidArgumentError(
        `lease: must be above 0 and at most ${this.options.maxLeaseMs / 1000}s, got ${leaseMs / 1000}s`,
      );
    const now = this.#now();
    queue.sweep(now);
    const leased = queue.lease(input.annotator, maxItems, now + leaseMs);
    await this.#flush(queue);
    return leased.map(itemView);
  }

  async answerItem(
    modelName: string,
    itemId: string,
    annotator: string,
    answer: AnnotationAnswer | undefined,
  ): Promise<AnswerResult> {
    const queue = this.#queue(modelName);
    if (itemId === '') throw new InvalidArgumentError('item_id: required');
    if (annotator.length > MAX_NAME_LENGTH)
      throw new InvalidArgumentError(
        `annotator: must be at most ${MAX_NAME_LENGTH} characters, got ${annotator.length}`,
      );
    if (!answer)
      throw new InvalidArgumentError(
        'answer: exactly one of label, values, reward and skip is required (rule "answer.set")',
      );
    const now = this.#now();
    queue.sweep(now);
    const item = queue.items.get(itemId);
    if (!item)
      throw new NotFoundError(`item_id: no item "${itemId}" in the annotation queue of model "${modelName}"`);
    queue.checkAnswerable(item, annotator, answer.kind === 'skip', now);
    if (answer.kind === 'skip') {
      if (item.state !== 'skipped') queue.close(item, 'skipped', annotator, now);
      await this.#flush(queue);
      return { item: itemView(item) };
    }
    checkTruth(item, answer.truth);
    const key = `${modelName}\u0000${itemId}`;
    this.#answering.add(key);
    let outcome: AnnotationFeedbackOutcome | undefined;
    try {
      const record: FeedbackRecord = {
        requestId: item.requestId,
        modelName: '',
        row: item.row,
        truth: answer.truth,
        observedMs: now,
        receivedMs: now,
      };
      [outcome] = await this.deps.feedback.recordFeedback([record]);
    } finally {
      this.#answering.delete(key);
    }
    if (!outcome) throw new Error('the feedback port answered no outcome for one feedback item');
    if (outcome.status === 'rejected')
      throw new InvalidArgumentError(
        outcome.reason ?? `answer: the prediction of request "${item.requestId}" refutes it`,
      );
    // The item may have left while the feedback was stored (its queue deleted, or expired).
    if (this.#queues.get(modelName) === queue && queue.items.get(itemId) === item) {
      queue.close(item, 'answered', annotator, this.#now());
      await this.#flush(queue);
    }
    return { item: itemView(item), feedback: outcome };
  }

  /** Ends run-out leases and expires old items in every queue (the core's periodic loop may call it). */
  async sweep(): Promise<void> {
    const now = this.#now();
    for (const queue of this.#queues.values()) {
      queue.sweep(now);
      await this.#flush(queue);
    }
  }

  // ---- the hooks ---------------------------------------------------------------------

  async predictionsStored(items: readonly StoredPrediction[]): Promise<void> {
    const touched = new Set<AnnotationQueue>();
    const now = this.#now();
    for (const stored of items) {
      this.#rememberTask(stored.record);
      for (const queue of this.#queues.values()) {
        if (now - queue.lastSweepMs >= HOOK_SWEEP_INTERVAL_MS) queue.sweep(now);
        if (queue.settings.policy === 'shadow_disagreement' && queue.isShadow(stored.record)) {
          this.#offerShadowRows(queue, stored.record, now);
          touched.add(queue);
        } else if (queue.matches(stored.record)) {
          this.#offerRows(queue, stored, now);
          touched.add(queue);
        }
      }
    }
    for (const queue of touched) await this.#flush(queue);
  }

  async feedbackStored(items: readonly StoredFeedback[]): Promise<void> {
    const now = this.#now();
    for (const queue of this.#queues.values()) {
      let changed = false;
      for (const feedback of items) {
        const itemId = itemIdOf(feedback.requestId, feedback.row);
        if (this.#answering.has(`${queue.settings.modelName}\u0000${itemId}`)) continue;
        changed =
          queue.labelledElsewhere(feedback.requestId, feedback.row, feedback.modelName, now) || changed;
      }
      if (changed) await this.#flush(queue);
    }
  }

  async outlierScoresReceived(event: ReceivedOutlierScores): Promise<void> {
    const now = this.#now();
    for (const queue of this.#queues.values()) {
      const s = queue.settings;
      if (s.policy !== 'outliers_first' || s.outlierDetector !== event.detector) continue;
      event.instanceScores.forEach((score, row) => {
        if (
          !Number.isFinite(score) ||
          !rowSampled(this.options.samplingSeed, event.requestId, row, s.sampleRate)
        )
          return;
        const key = rowKey(event.requestId, row);
        const waiting = queue.waitingRows.take(key, now);
        if (waiting) queue.offer(waiting, outlierReason(score, s.outlierDetector), now);
        else queue.waitingPartners.put(key, { kind: 'score', score }, now);
      });
      await this.#flush(queue);
    }
  }

  // ---- internals ---------------------------------------------------------------------

  #queue(modelName: string): AnnotationQueue {
    checkModelName(modelName);
    const queue = this.#queues.get(modelName);
    if (!queue) throw new NotFoundError(`model_name: model "${modelName}" has no annotation queue`);
    return queue;
  }

  #rememberTask(record: PredictionRecord): void {
    if (this.#tasks.has(record.modelName)) return;
    if (this.#tasks.size >= MAX_KNOWN_MODELS) {
      const oldest = this.#tasks.keys().next().value;
      if (oldest !== undefined) this.#tasks.delete(oldest);
    }
    this.#tasks.set(record.modelName, {
      task: record.task,
      withProbabilities: record.rows.some((row) => (row.probabilities?.length ?? 0) > 0),
    });
  }

  /** The queue's model rows: scored now (UNIFORM, LEAST_CONFIDENT) or when their partner arrives. */
  #offerRows(queue: AnnotationQueue, stored: StoredPrediction, now: number): void {
    const { record } = stored;
    const s = queue.settings;
    const seed = this.options.samplingSeed;
    const labelled = new Set(stored.labelledRows ?? []);
    for (const row of record.rows) {
      if (labelled.has(row.row) || !rowSampled(seed, record.requestId, row.row, s.sampleRate)) continue;
      const prediction = predictedRowView(row, record.classes);
      const base = {
        itemId: itemIdOf(record.requestId, row.row),
        series: { modelName: record.modelName, modelVersion: record.modelVersion, node: record.node },
        requestId: record.requestId,
        row: row.row,
        predictionMs: record.timeMs,
        task: record.task,
        prediction,
      };
      const slice = () => sliceRowInputs(stored.inputs, row.row, this.options.maxInputBytes);
      let reason: ItemReason | undefined;
      if (s.policy === 'uniform')
        reason = uniformReason(rowUniform(seed, 'reservoir', record.requestId, row.row));
      else if (s.policy === 'least_confident') reason = leastConfidentReason(prediction);
      else {
        const key = rowKey(record.requestId, row.row);
        const partner = queue.waitingPartners.take(key, now);
        if (!partner) {
          const { inputs, truncated } = slice();
          const waiting: WaitingCandidate = { ...base, inputs, truncated };
          queue.waitingRows.put(key, waiting, now, inputBytes(inputs));
          continue;
        }
        reason = this.#partnerReason(queue, record.task, prediction, partner);
        if (reason && partner.kind === 'shadow') {
          const candidate: Candidate & { shadowPrediction: PredictedRowView } = {
            ...base,
            inputs: slice,
            shadowPrediction: partner.row,
          };
          queue.offer(candidate, reason, now);
          continue;
        }
      }
      if (reason) queue.offer({ ...base, inputs: slice }, reason, now);
    }
  }

  /** The shadow's rows: each pairs with the model's waiting row, or waits for it. */
  #offerShadowRows(queue: AnnotationQueue, record: PredictionRecord, now: number): void {
    const seed = this.options.samplingSeed;
    for (const row of record.rows) {
      if (!rowSampled(seed, record.requestId, row.row, queue.settings.sampleRate)) continue;
      const key = rowKey(record.requestId, row.row);
      const shadow = predictedRowView(row, record.classes);
      const waiting = queue.waitingRows.take(key, now);
      if (!waiting) {
        queue.waitingPartners.put(key, { kind: 'shadow', row: shadow }, now);
        continue;
      }
      const reason = shadowReason(waiting.task, waiting.prediction, shadow, queue.settings.shadow);
      if (reason) queue.offer({ ...waiting, shadowPrediction: shadow } as WaitingCandidate, reason, now);
    }
  }

  #partnerReason(
    queue: AnnotationQueue,
    task: 'classification' | 'regression',
    prediction: PredictedRowView,
    partner: { kind: 'score'; score: number } | { kind: 'shadow'; row: PredictedRowView },
  ): ItemReason | undefined {
    if (partner.kind === 'score') return outlierReason(partner.score, queue.settings.outlierDetector);
    return shadowReason(task, prediction, partner.row, queue.settings.shadow);
  }

  /** Writes the queue's changed documents, in call order across all callers. */
  async #flush(queue: AnnotationQueue): Promise<void> {
    const modelName = queue.settings.modelName;
    // A queue deleted while this caller awaited must not be written back.
    if (this.#queues.get(modelName) !== queue) return;
    const puts = [...queue.dirty].flatMap((itemId) => {
      const item = queue.items.get(itemId);
      return item ? [{ itemId, json: itemToJson(modelName, item) }] : [];
    });
    const deletes = [...queue.deleted];
    const queueJson =
      queue.settingsDirty || puts.length > 0 || deletes.length > 0 ? queueToJson(queue) : undefined;
    queue.dirty.clear();
    queue.deleted.clear();
    queue.settingsDirty = false;
    if (!queueJson) return;
    await this.#write(async () => {
      const documents = this.deps.documents;
      for (const { itemId, json } of puts)
        await documents.putDocument(ITEMS_COLLECTION, itemDocumentId(modelName, itemId), json);
      for (const itemId of deletes)
        await documents.deleteDocument(ITEMS_COLLECTION, itemDocumentId(modelName, itemId));
      await documents.putDocument(QUEUES_COLLECTION, queueDocumentId(modelName), queueJson);
    });
  }

  /** Runs `write` after every earlier write, so documents land in the order they changed. */
  #write(write: () => Promise<void>): Promise<void> {
    const next = this.#writes.then(write);
    this.#writes = next.catch(() => {});
    return next;
  }
}

/** The document parsed, or undefined when it is not JSON of the expected shape. */
function readDocument<T>(json: string, parse: (json: string) => T): T | undefined {
  try {
    return parse(json);
  } catch {
    return undefined;
  }
}

function queueToJson(queue: AnnotationQueue): string {
  const doc: QueueDocument = {
    settings: queue.settings,
    createMs: queue.createMs,
    updateMs: queue.updateMs,
    counts: { ...queue.counts },
  };
  return JSON.stringify(doc);
}

/** The answer must fit the prediction: a known class, the prediction's value count, finite numbers. */
function checkTruth(item: ItemRecord, truth: Truth): void {
  if (truth.kind === 'label') {
    if (item.task === 'regression')
      throw new InvalidArgumentError(
        `label: model "${item.series.modelName}" is a regression model; answer with values`,
      );
    if (truth.label === '') throw new InvalidArgumentError('label: must not be empty');
    const classes = item.prediction.classes;
    if (classes.length > 0 && !classes.includes(truth.label))
      throw new InvalidArgumentError(
        `label: "${truth.label}" is not one of the model's classes (${classes.join(', ')})`,
      );
  } else if (truth.kind === 'value') {
    if (item.task === 'classification')
      throw new InvalidArgumentError(
        `values: model "${item.series.modelName}" is a classification model; answer with a label`,
      );
    if (truth.values.length === 0)
      throw new InvalidArgumentError('values.values: at least one value is required');
    const bad = truth.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      throw new InvalidArgumentError(`values.values[${bad}]: must be finite, got ${truth.values[bad]}`);
    const expected = item.prediction.values?.length;
    if (expected !== undefined && expected !== truth.values.length)
      throw new InvalidArgumentError(
        `values.values: the prediction has ${expected} value(s), got ${truth.values.length}`,
      );
  } else if (!Number.isFinite(truth.reward))
    throw new InvalidArgumentError(`reward: must be finite, got ${truth.reward}`);
}
