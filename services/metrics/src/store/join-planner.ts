/**
 * The join rules, shared by both backends: given what the store holds for the request ids
 * of one call, it works out item by item what to store and which pairs appear or change.
 * The backend loads the state, runs the planner and writes `writes` in the same transaction,
 * so the rules are written (and tested) once.
 *
 * Which feedback judges a prediction row: feedback naming the prediction's model beats
 * feedback naming its graph node, which beats unnamed ('') feedback. The winner does not
 * depend on arrival order, so any interleaving of the same items ends in the same pairs.
 */
import type {
  FeedbackRecord,
  JoinedPair,
  PredictionRecord,
  PredictionRow,
  Truth,
} from '../domain/records.js';
import type { FeedbackOutcome, ReplacedPair } from './metrics-store.js';
import {
  decodeTruth,
  encodePredictionRow,
  encodeTruth,
  feedbackKeyOf,
  pairFromStored,
  pairKeyOf,
  type StoredPair,
} from './record-codec.js';
import type { ItemProblem } from './record-validation.js';

/** A feedback row as both backends store it. */
export interface StoredFeedback {
  readonly requestId: string;
  readonly modelName: string;
  readonly row: number;
  readonly truthJson: string;
  readonly observedMs: number;
  readonly receivedMs: number;
  /** Whether it has judged a prediction row (joined feedback never expires). */
  readonly joined: boolean;
}

/** What the planner needs of a stored prediction. */
export interface StoredPrediction {
  readonly record: PredictionRecord;
}

/** What the backend loaded for the call's request ids. */
export interface LoadedState {
  /** Stored predictions of the call's request ids (feedback calls). */
  readonly predictions: readonly PredictionRecord[];
  /** Stored feedback of the call's request ids. */
  readonly feedback: readonly StoredFeedback[];
  /** Stored pairs of the call's request ids (feedback calls). */
  readonly pairs: readonly StoredPair[];
  /** Which of the call's event ids are stored already (prediction calls). */
  readonly knownEventIds: ReadonlySet<string>;
  /**
   * How many predictions are stored per request id (prediction calls, which do not load the
   * predictions themselves); feedback calls count the loaded `predictions`.
   */
  readonly predictionCounts?: ReadonlyMap<string, number>;
}

/** What to write, each the final state of its row. */
export interface PlannedWrites {
  readonly predictions: PredictionRecord[];
  readonly feedback: Map<string, StoredFeedback>;
  readonly pairs: Map<string, StoredPair>;
}

/** How strongly feedback naming `modelName` judges `prediction`: -1 when it does not. */
export function feedbackRank(prediction: PredictionRecord, modelName: string): number {
  if (modelName === '') return 0;
  if (modelName === prediction.modelName) return 2;
  if (prediction.node !== '' && modelName === prediction.node) return 1;
  return -1;
}

export class JoinPlanner {
  readonly writes: PlannedWrites = { predictions: [], feedback: new Map(), pairs: new Map() };
  private readonly predictionsByRequest = new Map<string, PredictionRecord[]>();
  private readonly feedback = new Map<string, StoredFeedback>();
  private readonly pairs = new Map<string, StoredPair>();
  private readonly knownEventIds: Set<string>;
  private readonly built = new WeakMap<StoredPair, JoinedPair>();
  private readonly truths = new Map<string, Truth>();
  private readonly predictionCounts: Map<string, number>;
  /** Each prediction's rows by row index, so a feedback item finds its row without a scan. */
  private readonly rowIndex = new WeakMap<PredictionRecord, Map<number, PredictionRow>>();

  constructor(
    state: LoadedState,
    private readonly nowMs: number,
    /** Predictions one request id may hold (StoreLimits.maxPredictionsPerRequest). */
    private readonly maxPredictionsPerRequest: number,
    /** Whether a truth the prediction refutes is rejected (see {@link refutation}); stores set it. */
    private readonly refuteTruths = true,
  ) {
    this.predictionCounts = new Map(state.predictionCounts ?? []);
    for (const p of state.predictions) {
      this.predictionsOf(p.requestId).push(p);
      if (!state.predictionCounts)
        this.predictionCounts.set(p.requestId, (this.predictionCounts.get(p.requestId) ?? 0) + 1);
    }
    for (const f of state.feedback) this.feedback.set(feedbackKeyOf(f.requestId, f.modelName, f.row), f);
    for (const p of state.pairs) this.pairs.set(pairKeyOf(p.eventId, p.row), p);
    this.knownEventIds = new Set(state.knownEventIds);
  }

  /**
   * Stores a prediction unless its event id is known; returns its new pairs, 'duplicate', or a
   * problem when its request id holds `maxPredictionsPerRequest` predictions already.
   */
  addPrediction(record: PredictionRecord): JoinedPair[] | 'duplicate' | ItemProblem {
    if (this.knownEventIds.has(record.eventId)) return 'duplicate';
    const stored = this.predictionCounts.get(record.requestId) ?? 0;
    if (stored >= this.maxPredictionsPerRequest)
      return {
        field: 'requestId',
        message: `requestId: at most ${this.maxPredictionsPerRequest} predictions may share a request id (a model, its shadows and retries), "${record.requestId}" has ${stored} already.`,
      };
    this.predictionCounts.set(record.requestId, stored + 1);
    this.knownEventIds.add(record.eventId);
    this.predictionsOf(record.requestId).push(record);
    this.writes.predictions.push(record);
    const made: JoinedPair[] = [];
    for (const row of record.rows) {
      const names = record.node === '' ? [record.modelName, ''] : [record.modelName, record.node, ''];
      for (const name of names) {
        const key = feedbackKeyOf(record.requestId, name, row.row);
        const feedback = this.feedback.get(key);
        if (!feedback) continue;
        // Feedback this row refutes (a label outside its classes) joins nothing: it stays
        // held for another prediction of the request, or expires and is counted.
        if (this.refuteTruths && refutation(record, row, this.truthOf(feedback)) !== undefined) continue;
        made.push(this.storePair(record, row, feedback));
        this.markJoined(key, feedback);
        break;
      }
    }
    return made;
  }

  /** Upserts one feedback item and joins it; a problem when its row is not in the prediction. */
  addFeedback(item: FeedbackRecord): FeedbackOutcome | ItemProblem {
    const key = feedbackKeyOf(item.requestId, item.modelName, item.row);
    const truthJson = encodeTruth(item.truth);
    const existing = this.feedback.get(key);
    if (existing && existing.truthJson === truthJson) return { status: 'unchanged', pairs: [], replaced: [] };
    const judged = this.predictionsOf(item.requestId).filter((p) => feedbackRank(p, item.modelName) >= 0);
    const withRow = judged.flatMap((p) => {
      const row = this.rowOf(p, item.row);
      return row ? [{ prediction: p, row }] : [];
    });
    if (judged.length > 0 && withRow.length === 0) {
      const rowCounts = [...new Set(judged.map((p) => p.rows.length))].join(' or ');
      return {
        field: 'row',
        message: `row: must name a row of the prediction of request "${item.requestId}" (it has ${rowCounts} rows), got ${item.row}.`,
      };
    }
    for (const { prediction, row } of this.refuteTruths ? withRow : []) {
      const refuted = refutation(prediction, row, item.truth);
      if (refuted !== undefined) return refuted;
    }
    let feedback: StoredFeedback = {
      requestId: item.requestId,
      modelName: item.modelName,
      row: item.row,
      truthJson,
      observedMs: item.observedMs,
      receivedMs: item.receivedMs,
      joined: existing?.joined ?? false,
    };
    const pairs: JoinedPair[] = [];
    const replaced: ReplacedPair[] = [];
    for (const { prediction, row } of withRow) {
      const current = this.pairs.get(pairKeyOf(prediction.eventId, item.row));
      if (current === undefined) {
        pairs.push(this.storePair(prediction, row, feedback));
        feedback = { ...feedback, joined: true };
        continue;
      }
      const takesOver =
        current.feedbackModel === item.modelName
          ? current.truthJson !== truthJson
          : feedbackRank(prediction, current.feedbackModel) < feedbackRank(prediction, item.modelName);
      if (!takesOver) continue;
      const before = this.domainPairOf(current);
      replaced.push({ before, after: this.storePair(prediction, row, feedback) });
      feedback = { ...feedback, joined: true };
    }
    // Matched rows a more specific item judges: the item is outranked, not waiting, so it is
    // marked joined (never expired, not counted pending); a later shadow prediction still joins it.
    if (withRow.length > 0 && !feedback.joined) feedback = { ...feedback, joined: true };
    this.feedback.set(key, feedback);
    this.writes.feedback.set(key, feedback);
    const status = existing
      ? 'replaced'
      : pairs.length > 0 || replaced.length > 0
        ? 'joined'
        : withRow.length > 0
          ? 'outranked'
          : 'pending';
    return { status, pairs, replaced };
  }

  private rowOf(prediction: PredictionRecord, row: number): PredictionRow | undefined {
    let byRow = this.rowIndex.get(prediction);
    if (!byRow) {
      byRow = new Map(prediction.rows.map((r) => [r.row, r]));
      this.rowIndex.set(prediction, byRow);
    }
    return byRow.get(row);
  }

  private predictionsOf(requestId: string): PredictionRecord[] {
    let list = this.predictionsByRequest.get(requestId);
    if (!list) {
      list = [];
      this.predictionsByRequest.set(requestId, list);
    }
    return list;
  }

  private markJoined(key: string, feedback: StoredFeedback): void {
    if (feedback.joined) return;
    const joined = { ...feedback, joined: true };
    this.feedback.set(key, joined);
    this.writes.feedback.set(key, joined);
  }

  /** The domain pair of a stored one: the one built here, or decoded from what was loaded. */
  private domainPairOf(stored: StoredPair): JoinedPair {
    const built = this.built.get(stored);
    if (built) return built;
    const prediction = this.predictionsOf(stored.requestId).find((p) => p.eventId === stored.eventId);
    const classes = new Map(prediction ? [[stored.eventId, JSON.stringify(prediction.classes)]] : []);
    return pairFromStored(stored, undefined, classes);
  }

  /** The truth of stored feedback, decoded once per call. */
  private truthOf(feedback: StoredFeedback): Truth {
    let truth = this.truths.get(feedback.truthJson);
    if (truth === undefined) {
      truth = decodeTruth(feedback.truthJson);
      this.truths.set(feedback.truthJson, truth);
    }
    return truth;
  }

  /** Stores the pair and returns it as the domain sees it, built from the records (no re-parsing). */
  private storePair(
    prediction: PredictionRecord,
    predictionRow: PredictionRow,
    feedback: StoredFeedback,
  ): JoinedPair {
    const row = predictionRow.row;
    const pair: StoredPair = {
      eventId: prediction.eventId,
      row,
      requestId: prediction.requestId,
      series: {
        modelName: prediction.modelName,
        modelVersion: prediction.modelVersion,
        node: prediction.node,
      },
      predictionMs: prediction.timeMs,
      joinedMs: this.nowMs,
      task: prediction.task,
      // Kept once, in the prediction's row: a pair stores none (a class list per pair made one
      // prediction of many rows store its classes once per row).
      classesJson: '',
      predictionJson: encodePredictionRow(predictionRow),
      truthJson: feedback.truthJson,
      feedbackModel: feedback.modelName,
    };
    const key = pairKeyOf(prediction.eventId, row);
    this.pairs.set(key, pair);
    this.writes.pairs.set(key, pair);
    const joined: JoinedPair = {
      series: pair.series,
      eventId: pair.eventId,
      requestId: pair.requestId,
      predictionMs: pair.predictionMs,
      joinedMs: pair.joinedMs,
      task: pair.task,
      classes: prediction.classes,
      prediction: predictionRow,
      truth: this.truthOf(feedback),
    };
    this.built.set(pair, joined);
    return joined;
  }
}

/**
 * Why a prediction row refutes a truth (contract: "a label outside the model's classes, a value
 * count other than the prediction's outputs, ... a label for a regression is REJECTED"); undefined
 * when it does not. Rewards are kept for every task.
 */
function refutation(prediction: PredictionRecord, row: PredictionRow, truth: Truth): ItemProblem | undefined {
  const what = `the prediction of request "${prediction.requestId}" by ${JSON.stringify(prediction.modelName)}`;
  if (truth.kind === 'reward') return undefined;
  if (prediction.task === 'classification') {
    if (truth.kind !== 'label') {
      return { field: 'values', message: `values: ${what} is a classification; send a label.` };
    }
    if (prediction.classes.length > 0 && !prediction.classes.includes(truth.label)) {
      const shown = prediction.classes
        .slice(0, 20)
        .map((c) => JSON.stringify(c))
        .join(', ');
      return {
        field: 'label',
        message: `label: must be one of the classes of ${what} (${shown}${prediction.classes.length > 20 ? ', ...' : ''}), got ${JSON.stringify(truth.label)}.`,
      };
    }
    return undefined;
  }
  if (truth.kind !== 'value') {
    return { field: 'label', message: `label: ${what} is a regression; send values.` };
  }
  const outputs = row.values?.length ?? 0;
  if (truth.values.length !== outputs) {
    return {
      field: 'values',
      message: `values: must hold ${outputs} value${outputs === 1 ? '' : 's'}, one per output of ${what}, got ${truth.values.length}.`,
    };
  }
  return undefined;
}
