/**
 * The loss models of direct loss estimation, one per regression series: fitted on the series'
 * reference (its earliest joined elements, read from the store), kept in the store's documents
 * so a restart or a retention pass that deletes the reference pairs keeps them, and handed to the
 * window queries (GetMetrics, the Prometheus export, the alerts).
 *
 * Why the prediction alone as the loss model's input: prediction records keep no input features
 * (the store holds outputs, not inputs), so the models learn how the error grows with the
 * predicted value (linear absolute error, quadratic squared error). A model whose error depends
 * on an input it does not predict from is estimated at its reference average.
 */
import { createHash } from 'node:crypto';
import { DirectLossEstimator, type DirectLossEstimatorJson, denseMatrix } from '@sightline/stats';
import type { SeriesKey } from '../domain/records.js';
import type { MetricsStore } from '../store/metrics-store.js';
import { regressionValues } from '../windows/pair-values.js';
import { encodeSeriesKey } from '../windows/window-key.js';
import { type DirectLossOptions, resolveDirectLossOptions } from './direct-loss-options.js';

/** The documents collection of the fitted loss models. */
export const DLE_MODELS_COLLECTION = 'metrics.dle-models';
/** Version of a saved fit. */
export const DLE_MODEL_SCHEMA_VERSION = 1;

/** A series' fitted loss models and the reference they came from. */
export interface DirectLossFit {
  readonly estimator: DirectLossEstimator;
  /** Elements the fit used. */
  readonly referencePairs: number;
  /** Prediction times of the first and last reference pair. */
  readonly fromMs: number;
  readonly toMs: number;
  /** The reference held `referencePairs` elements: the fit is final. */
  readonly full: boolean;
}

/** A series' loss models, or why there are none. */
export type DirectLossLookup =
  | { readonly ok: true; readonly fit: DirectLossFit }
  | { readonly ok: false; readonly reason: string };

interface SavedFit {
  readonly schemaVersion: number;
  readonly series: SeriesKey;
  readonly referencePairs: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly full: boolean;
  readonly estimator: DirectLossEstimatorJson;
}

interface SeriesState {
  fit?: DirectLossFit;
  /** When the reference was last read (or the saved fit looked up). */
  triedMs?: number;
  /** Joined elements the last read found, when too few. */
  seen: number;
  pending?: Promise<void>;
}

/** The loss models of every regression series. */
export class DirectLossModels {
  readonly options: DirectLossOptions;
  readonly #store: Pick<MetricsStore, 'joinedPairs' | 'getDocument' | 'putDocument'>;
  readonly #now: () => number;
  readonly #states = new Map<string, SeriesState>();
  readonly #onError: (message: string, error: unknown) => void;

  constructor(
    store: Pick<MetricsStore, 'joinedPairs' | 'getDocument' | 'putDocument'>,
    options: Partial<DirectLossOptions> = {},
    hooks: { readonly now?: () => number; readonly onError?: (message: string, error: unknown) => void } = {},
  ) {
    this.options = resolveDirectLossOptions(options);
    this.#store = store;
    this.#now = hooks.now ?? Date.now;
    this.#onError = hooks.onError ?? (() => {});
  }

  /**
   * The series' loss models: the saved fit, or a fit of its reference once it holds
   * `minReferencePairs` elements (refitted every `refitIntervalMs` while not full). A store
   * failure is reported to `onError` and answered as "no fit" (a query does not fail for it).
   */
  async lookup(series: SeriesKey): Promise<DirectLossLookup> {
    if (this.options.referencePairs === 0)
      return { ok: false, reason: 'direct loss estimation is off (--dle-reference-pairs 0)' };
    const key = encodeSeriesKey(series);
    let state = this.#states.get(key);
    if (state === undefined) {
      state = { seen: 0 };
      this.#states.set(key, state);
    }
    const due =
      state.fit?.full !== true &&
      (state.triedMs === undefined || this.#now() - state.triedMs >= this.options.refitIntervalMs);
    if (due) {
      state.pending ??= this.#refresh(series, state).finally(() => {
        state.pending = undefined;
      });
      await state.pending;
    }
    if (state.fit !== undefined) return { ok: true, fit: state.fit };
    return {
      ok: false,
      reason: `the loss models need ${this.options.minReferencePairs} joined elements of the series (--dle-min-reference-pairs), ${state.seen} so far`,
    };
  }

  async #refresh(series: SeriesKey, state: SeriesState): Promise<void> {
    const first = state.triedMs === undefined;
    state.triedMs = this.#now();
    try {
      if (first) {
        const saved = await this.#store.getDocument(DLE_MODELS_COLLECTION, documentId(series));
        if (saved !== undefined) {
          state.fit = restore(saved);
          if (state.fit.full) return;
        }
      }
      const reference = await this.#reference(series);
      state.seen = reference.predictions.length;
      if (reference.predictions.length < this.options.minReferencePairs) return;
      if (state.fit !== undefined && state.fit.referencePairs === reference.predictions.length) return;
      const n = reference.predictions.length;
      const estimator = DirectLossEstimator.fit({
        features: denseMatrix(n, 0, new Float64Array(0)),
        predictions: reference.predictions,
        targets: reference.targets,
      });
      const fit: DirectLossFit = {
        estimator,
        referencePairs: n,
        fromMs: reference.fromMs,
        toMs: reference.toMs,
        full: n >= this.options.referencePairs,
      };
      const saved: SavedFit = {
        schemaVersion: DLE_MODEL_SCHEMA_VERSION,
        series: { modelName: series.modelName, modelVersion: series.modelVersion, node: series.node },
        referencePairs: n,
        fromMs: fit.fromMs,
        toMs: fit.toMs,
        full: fit.full,
        estimator: estimator.toJSON(),
      };
      await this.#store.putDocument(DLE_MODELS_COLLECTION, documentId(series), JSON.stringify(saved));
      state.fit = fit;
    } catch (error) {
      this.#onError(`direct loss models of ${encodeSeriesKey(series)} not fitted`, error);
    }
  }

  /** The series' earliest joined elements (prediction-time order), at most `referencePairs`. */
  async #reference(
    series: SeriesKey,
  ): Promise<{ predictions: Float64Array; targets: Float64Array; fromMs: number; toMs: number }> {
    const limit = this.options.referencePairs;
    const predictions: number[] = [];
    const targets: number[] = [];
    let fromMs = 0;
    let toMs = 0;
    let cursor: string | undefined;
    do {
      const page = await this.#store.joinedPairs({
        modelName: series.modelName,
        modelVersion: series.modelVersion,
        node: series.node,
        fromMs: 0,
        toMs: Number.MAX_SAFE_INTEGER,
        pageSize: Math.min(limit, 1_000),
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const pair of page.pairs) {
        if (pair.task !== 'regression' || pair.truth.kind !== 'value') continue;
        const { yTrue, yPred } = regressionValues(pair);
        if (predictions.length === 0) fromMs = pair.predictionMs;
        toMs = pair.predictionMs;
        for (let i = 0; i < yPred.length && predictions.length < limit; i++) {
          predictions.push(yPred[i]!);
          targets.push(yTrue[i]!);
        }
        if (predictions.length >= limit) break;
      }
      cursor = page.next;
    } while (cursor !== undefined && predictions.length < limit);
    return { predictions: Float64Array.from(predictions), targets: Float64Array.from(targets), fromMs, toMs };
  }
}

/** Series keys can pass the store's 256-character id limit; the id is their hash (the series is in the document). */
function documentId(series: SeriesKey): string {
  return createHash('sha256').update(encodeSeriesKey(series)).digest('hex');
}

function restore(json: string): DirectLossFit {
  const saved = JSON.parse(json) as SavedFit;
  if (saved.schemaVersion !== DLE_MODEL_SCHEMA_VERSION) {
    throw new Error(`schemaVersion: expected ${DLE_MODEL_SCHEMA_VERSION}, got ${saved.schemaVersion}`);
  }
  return {
    estimator: DirectLossEstimator.fromJSON(saved.estimator),
    referencePairs: saved.referencePairs,
    fromMs: saved.fromMs,
    toMs: saved.toMs,
    full: saved.full === true,
  };
}
