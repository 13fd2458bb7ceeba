import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import {
  addCalibrationRow,
  type CalibrationBins,
  calibrationBins,
  DEFAULT_CALIBRATION_BINS,
  expectedCalibrationError,
} from './calibration-error.js';
import { calibrationErrorInterval } from './calibration-error-interval.js';
import {
  addCbpePrediction,
  type CbpeEstimate,
  type CbpeSecondMomentsJson,
  type CbpeSums,
  cbpeSecondMomentsToJSON,
  cbpeSums,
  checkCbpeF1IntervalMaxClasses,
  DEFAULT_CBPE_F1_INTERVAL_MAX_CLASSES,
  estimateCbpe,
  mergeCbpeSecondMomentsJSON,
  mergeCbpeSums,
  savedCbpeF1IntervalMaxClasses,
} from './cbpe.js';
import { type ClassIndex, type ClassLabel, classIndex, labelIndex } from './class-labels.js';
import { type ClassificationScores, scoresFromConfusion } from './classification-scores.js';
import {
  type ConfidenceInterval,
  checkConfidence,
  DEFAULT_CONFIDENCE,
  meanInterval,
  wilsonInterval,
} from './confidence-intervals.js';
import { logLossTerm } from './log-loss.js';
import { averageRocAuc, binnedRocAuc, type RocAucResult } from './roc-auc.js';
import { binnedRocAucStandardError, type RocAucIntervals, rocAucIntervals } from './roc-auc-interval.js';
import {
  addCompensated,
  addMoment,
  type CompensatedSum,
  compensatedSum,
  compensatedValue,
  mergeCompensated,
  mergeMoments,
  type RunningMoments,
  runningMoments,
} from './running-moments.js';

/** Version of {@link ClassificationAccumulatorJson}. */
export const CLASSIFICATION_ACCUMULATOR_SCHEMA_VERSION = 1;
/**
 * Equal-width score bins per class for the windowed ROC AUC by default: 4,096 (two counts per
 * bin and class, 64 KB a class). The AUC from bins is exact up to pairs sharing a bin; its
 * bound (`rocAuc.maxError`) is reported with it.
 */
export const DEFAULT_AUC_BINS = 4096;
/** Most classes an accumulator takes (its confusion matrix holds classes² counts). */
export const MAX_METRIC_CLASSES = 1000;
/** Most classes x AUC bins (each holds two float64 counts): 4M cells, 64 MB. */
export const MAX_AUC_HISTOGRAM_CELLS = 4 * 1024 * 1024;
/**
 * How far a probability row may sum from 1: 1e-5, about scikit-learn's `np.allclose(1, sum)`
 * check in `roc_auc_score`, loose enough for float32 softmax outputs.
 */
export const PROBABILITY_SUM_TOLERANCE = 1e-5;

/** Options of {@link ClassificationAccumulator.create}. */
export interface ClassificationAccumulatorOptions {
  /** Equal-width confidence bins for ECE (default {@link DEFAULT_CALIBRATION_BINS}). */
  readonly calibrationBins?: number;
  /** Score bins per class for ROC AUC (default {@link DEFAULT_AUC_BINS}); 0 keeps none (no windowed AUC). */
  readonly aucBins?: number;
  /**
   * Most classes for which CBPE's second moments are kept, so that its estimated macro F1 has an
   * interval (default DEFAULT_CBPE_F1_INTERVAL_MAX_CLASSES = 16, at most
   * CBPE_F1_INTERVAL_MAX_CLASSES_LIMIT = 64; 2 K² sums per window).
   */
  readonly cbpeF1IntervalMaxClasses?: number;
}

/** A window's classification metrics: the label scores plus what the probabilities give. */
export interface ClassificationMetrics extends ClassificationScores {
  /** Wilson interval of the accuracy at the requested confidence. */
  readonly accuracyInterval: ConfidenceInterval;
  /** Pairs that came with probabilities (log loss, ECE, AUC and CBPE rest on these). */
  readonly probabilityCount: number;
  /** One-vs-rest ROC AUC (absent without probabilities or AUC bins). */
  readonly rocAuc?: RocAucResult;
  /** DeLong intervals of the ROC AUCs, widened by the bins' `maxError` (with `rocAuc`). */
  readonly rocAucIntervals?: RocAucIntervals;
  /** Mean log loss (scikit-learn's clipping, see {@link logLossTerm}). */
  readonly logLoss?: number;
  /**
   * Student t interval of the mean per-pair log loss (low end at least 0); absent when part of
   * the window was saved before the per-pair moments were kept.
   */
  readonly logLossInterval?: ConfidenceInterval;
  /** Expected calibration error over equal-width bins of the top-label confidence. */
  readonly expectedCalibrationError?: number;
  /** Conservative interval of the population ECE ({@link calibrationErrorInterval}). */
  readonly expectedCalibrationErrorInterval?: ConfidenceInterval;
  /** CBPE's estimate over the same pairs as if their labels were unknown (its gap to the realised values). */
  readonly cbpe?: CbpeEstimate;
}

/** Saved form of a {@link ClassificationAccumulator}: counts, sums, sparse AUC bins. */
export interface ClassificationAccumulatorJson {
  readonly schemaVersion: number;
  readonly classes: ClassLabel[];
  readonly calibrationBins: number;
  readonly aucBins: number;
  readonly confusion: number[];
  readonly probabilityCount: number;
  readonly logLoss: CompensatedSum;
  /** Moments of the per-pair log loss (its interval); absent in windows saved before they were kept. */
  readonly logLossMoments?: RunningMoments;
  readonly calibration: { count: number[]; confidenceSum: number[]; correct: number[] };
  readonly cbpe: {
    count: number;
    predictedCount: number[];
    predictedProbabilitySum: number[];
    probabilitySum: number[];
    predictedSquareSum: number;
    /** For the estimated F1's interval (up to `cbpeF1IntervalMaxClasses` classes); absent in windows saved before it was kept or above the bound. */
    secondMoments?: CbpeSecondMomentsJson;
  };
  /** Non-empty AUC cells as [class * aucBins + bin, positives, negatives]. */
  readonly auc: Array<[number, number, number]>;
}

/**
 * Mergeable sums of a classification window: confusion counts, log-loss sum, calibration bins,
 * CBPE's probability sums and per-class score histograms. `add` takes pairs as they are
 * joined, `merge` joins windows (replicas, or sub-windows into a longer one), and `metrics()`
 * equals {@link classificationMetrics} on the same pairs (exactly for the counts, to rounding for
 * the sums, ROC AUC within its reported bound).
 */
export class ClassificationAccumulator {
  readonly #index: ClassIndex;
  readonly #confusion: Float64Array;
  readonly #calibration: CalibrationBins;
  readonly #cbpe: CbpeSums;
  readonly #aucBins: number;
  readonly #aucPositive: Float64Array;
  readonly #aucNegative: Float64Array;
  readonly #logLoss: CompensatedSum = compensatedSum();
  readonly #logLossMoments: RunningMoments = runningMoments();
  #probabilityCount = 0;

  private constructor(index: ClassIndex, calibration: number, aucBins: number, cbpeMaxClasses: number) {
    const k = index.classes.length;
    this.#index = index;
    this.#confusion = new Float64Array(k * k);
    this.#calibration = calibrationBins(calibration);
    this.#cbpe = cbpeSums(k, cbpeMaxClasses);
    this.#aucBins = aucBins;
    this.#aucPositive = new Float64Array(k * aucBins);
    this.#aucNegative = new Float64Array(k * aucBins);
  }

  /**
   * An empty window over `classes` (the probability columns' order).
   * @throws InvalidArgumentError on a bad class list or bin count; ResourceExhaustedError past
   * {@link MAX_METRIC_CLASSES} or {@link MAX_AUC_HISTOGRAM_CELLS}.
   */
  static create(
    classes: readonly ClassLabel[],
    options: ClassificationAccumulatorOptions = {},
  ): ClassificationAccumulator {
    const index = classIndex(classes);
    const calibration = options.calibrationBins ?? DEFAULT_CALIBRATION_BINS;
    const aucBins = options.aucBins ?? DEFAULT_AUC_BINS;
    if (!(Number.isInteger(calibration) && calibration >= 1)) {
      throw new InvalidArgumentError(`calibrationBins: expected an integer >= 1, got ${calibration}`);
    }
    if (!(Number.isInteger(aucBins) && aucBins >= 0)) {
      throw new InvalidArgumentError(`aucBins: expected an integer >= 0, got ${aucBins}`);
    }
    if (classes.length > MAX_METRIC_CLASSES) {
      throw new ResourceExhaustedError(
        `classes: ${classes.length} classes exceed the limit of ${MAX_METRIC_CLASSES}`,
      );
    }
    if (classes.length * aucBins > MAX_AUC_HISTOGRAM_CELLS) {
      throw new ResourceExhaustedError(
        `aucBins: ${classes.length} classes x ${aucBins} bins exceed the limit of ${MAX_AUC_HISTOGRAM_CELLS} cells; lower aucBins`,
      );
    }
    const cbpeMaxClasses = options.cbpeF1IntervalMaxClasses ?? DEFAULT_CBPE_F1_INTERVAL_MAX_CLASSES;
    checkCbpeF1IntervalMaxClasses(cbpeMaxClasses);
    return new ClassificationAccumulator(index, calibration, aucBins, cbpeMaxClasses);
  }

  /** The classes in order. */
  get classes(): readonly ClassLabel[] {
    return this.#index.classes;
  }

  /** Pairs added. */
  get count(): number {
    let n = 0;
    for (const c of this.#confusion) n += c;
    return n;
  }

  /**
   * Adds one joined pair, with the prediction's probabilities (class order) when logged.
   * @throws InvalidArgumentError naming `y_true`, `y_pred` or `probabilities` (label outside the
   * classes; row of the wrong length, a value outside [0, 1], a sum away from 1).
   */
  add(yTrue: ClassLabel, yPred: ClassLabel, probabilities?: ArrayLike<number>): void {
    const t = labelIndex(this.#index, yTrue, 'y_true');
    const p = labelIndex(this.#index, yPred, 'y_pred');
    if (probabilities !== undefined) {
      const k = this.#index.classes.length;
      if (probabilities.length !== k) {
        throw new InvalidArgumentError(
          `probabilities: expected ${k} values (one per class), got ${probabilities.length}`,
        );
      }
      checkProbabilityRow(probabilities, 0, k, 'probabilities');
    }
    this.addIndices(t, p, probabilities);
  }

  /** {@link add} for class indices and a probability row already checked ({@link checkProbabilityRow}). */
  addIndices(trueClass: number, predictedClass: number, probabilities?: ArrayLike<number>, offset = 0): void {
    const k = this.#index.classes.length;
    this.#confusion[trueClass * k + predictedClass]! += 1;
    if (probabilities === undefined) return;
    this.#probabilityCount += 1;
    const loss = logLossTerm(probabilities, offset, k, trueClass);
    addCompensated(this.#logLoss, loss);
    addMoment(this.#logLossMoments, loss);
    addCalibrationRow(this.#calibration, probabilities, offset, k, trueClass);
    addCbpePrediction(this.#cbpe, predictedClass, probabilities, offset);
    const bins = this.#aucBins;
    if (bins === 0) return;
    for (let c = 0; c < k; c++) {
      const b = Math.min(Math.floor(probabilities[offset + c]! * bins), bins - 1);
      if (c === trueClass) this.#aucPositive[c * bins + b]! += 1;
      else this.#aucNegative[c * bins + b]! += 1;
    }
  }

  /**
   * Adds another window's sums into this one.
   * @throws InvalidArgumentError when the classes (in order) or bin counts differ.
   */
  merge(other: ClassificationAccumulator): void {
    const same =
      other.#index.classes.length === this.#index.classes.length &&
      other.#index.classes.every((c, k) => c === this.#index.classes[k]) &&
      other.#aucBins === this.#aucBins &&
      other.#calibration.count.length === this.#calibration.count.length;
    if (!same) {
      throw new InvalidArgumentError(
        'merge: windows must have the same classes in the same order and the same bin counts',
      );
    }
    addInto(this.#confusion, other.#confusion);
    addInto(this.#calibration.count, other.#calibration.count);
    addInto(this.#calibration.confidenceSum, other.#calibration.confidenceSum);
    addInto(this.#calibration.correct, other.#calibration.correct);
    addInto(this.#aucPositive, other.#aucPositive);
    addInto(this.#aucNegative, other.#aucNegative);
    mergeCbpeSums(this.#cbpe, other.#cbpe);
    mergeCompensated(this.#logLoss, other.#logLoss);
    mergeMoments(this.#logLossMoments, other.#logLossMoments);
    this.#probabilityCount += other.#probabilityCount;
  }

  /**
   * Adds a saved window ({@link toJSON}) into this one without restoring it first, for a query
   * that merges many saved buckets: the same sums as `merge(ClassificationAccumulator.fromJSON(json))`,
   * bit for bit, without building an accumulator per bucket.
   * @throws InvalidArgumentError naming the field of another schema version, classes, bin counts
   * or a wrong length; this window is unchanged then.
   */
  mergeJSON(json: ClassificationAccumulatorJson): void {
    if (json?.schemaVersion !== CLASSIFICATION_ACCUMULATOR_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `schemaVersion: expected ${CLASSIFICATION_ACCUMULATOR_SCHEMA_VERSION}, got ${json?.schemaVersion}`,
      );
    }
    const k = this.#index.classes.length;
    const bins = this.#aucBins;
    const same =
      Array.isArray(json.classes) &&
      json.classes.length === k &&
      json.classes.every((c, i) => c === this.#index.classes[i]) &&
      json.aucBins === bins &&
      json.calibrationBins === this.#calibration.count.length;
    if (!same) {
      throw new InvalidArgumentError(
        'merge: windows must have the same classes in the same order and the same bin counts',
      );
    }
    const calibration = json.calibration;
    const cbpe = json.cbpe;
    checkLength(json.confusion, k * k, 'confusion');
    checkLength(calibration?.count, this.#calibration.count.length, 'calibration.count');
    checkLength(calibration?.confidenceSum, this.#calibration.count.length, 'calibration.confidenceSum');
    checkLength(calibration?.correct, this.#calibration.count.length, 'calibration.correct');
    checkLength(cbpe?.predictedCount, k, 'cbpe.predictedCount');
    checkLength(cbpe?.predictedProbabilitySum, k, 'cbpe.predictedProbabilitySum');
    checkLength(cbpe?.probabilitySum, k, 'cbpe.probabilitySum');
    if (json.logLossMoments !== undefined) checkMoments(json.logLossMoments, 'logLossMoments');
    if (!Array.isArray(json.auc)) throw new InvalidArgumentError('auc: expected an array of cells');
    for (const cell of json.auc) {
      if (!(Array.isArray(cell) && Number.isInteger(cell[0]) && cell[0] >= 0 && cell[0] < k * bins)) {
        throw new InvalidArgumentError(
          `auc: cell ${JSON.stringify(cell?.[0])} outside ${k} classes x ${bins} bins`,
        );
      }
    }
    addArray(this.#confusion, json.confusion);
    addArray(this.#calibration.count, calibration.count);
    addArray(this.#calibration.confidenceSum, calibration.confidenceSum);
    addArray(this.#calibration.correct, calibration.correct);
    for (const [cell, positives, negatives] of json.auc) {
      this.#aucPositive[cell]! += positives;
      this.#aucNegative[cell]! += negatives;
    }
    const sums = this.#cbpe;
    sums.count += cbpe.count;
    sums.predictedSquareSum += cbpe.predictedSquareSum;
    addArray(sums.predictedCount, cbpe.predictedCount);
    addArray(sums.predictedProbabilitySum, cbpe.predictedProbabilitySum);
    addArray(sums.probabilitySum, cbpe.probabilitySum);
    mergeCbpeSecondMomentsJSON(sums, cbpe.secondMoments, 'cbpe.secondMoments');
    mergeCompensated(this.#logLoss, json.logLoss);
    if (json.logLossMoments !== undefined) mergeMoments(this.#logLossMoments, { ...json.logLossMoments });
    this.#probabilityCount += json.probabilityCount;
  }

  /** The label-based scores (confusion matrix, precision/recall/F1). */
  scores(): ClassificationScores {
    return scoresFromConfusion(this.#index.classes, this.#confusion);
  }

  /** Every metric of the window, intervals at `confidence` (default 0.95). */
  metrics(confidence: number = DEFAULT_CONFIDENCE): ClassificationMetrics {
    checkConfidence(confidence);
    const scores = this.scores();
    let correct = 0;
    const k = this.#index.classes.length;
    for (let c = 0; c < k; c++) correct += this.#confusion[c * k + c]!;
    const base = {
      ...scores,
      accuracyInterval: wilsonInterval(correct, scores.count, confidence),
      probabilityCount: this.#probabilityCount,
    };
    if (this.#probabilityCount === 0) return base;
    const logLoss = compensatedValue(this.#logLoss) / this.#probabilityCount;
    // Buckets saved before the moments were kept leave them short of the pairs: no interval then.
    const logLossInterval =
      this.#logLossMoments.count === this.#probabilityCount
        ? meanInterval(this.#logLossMoments, confidence)
        : undefined;
    return {
      ...base,
      ...(this.#aucBins > 0 ? this.#binnedRocAuc(scores.support, confidence) : {}),
      logLoss,
      ...(logLossInterval === undefined
        ? {}
        : { logLossInterval: { ...logLossInterval, low: Math.max(logLossInterval.low, 0) } }),
      expectedCalibrationError: expectedCalibrationError(this.#calibration),
      expectedCalibrationErrorInterval: calibrationErrorInterval(this.#calibration, confidence),
      cbpe: estimateCbpe(this.#cbpe),
    };
  }

  /** The saved form (versioned). */
  toJSON(): ClassificationAccumulatorJson {
    const auc: Array<[number, number, number]> = [];
    for (let cell = 0; cell < this.#aucPositive.length; cell++) {
      if (this.#aucPositive[cell]! > 0 || this.#aucNegative[cell]! > 0) {
        auc.push([cell, this.#aucPositive[cell]!, this.#aucNegative[cell]!]);
      }
    }
    return {
      schemaVersion: CLASSIFICATION_ACCUMULATOR_SCHEMA_VERSION,
      classes: [...this.#index.classes],
      calibrationBins: this.#calibration.count.length,
      aucBins: this.#aucBins,
      confusion: Array.from(this.#confusion),
      probabilityCount: this.#probabilityCount,
      logLoss: { ...this.#logLoss },
      logLossMoments: { ...this.#logLossMoments },
      calibration: {
        count: Array.from(this.#calibration.count),
        confidenceSum: Array.from(this.#calibration.confidenceSum),
        correct: Array.from(this.#calibration.correct),
      },
      cbpe: {
        count: this.#cbpe.count,
        predictedCount: Array.from(this.#cbpe.predictedCount),
        predictedProbabilitySum: Array.from(this.#cbpe.predictedProbabilitySum),
        probabilitySum: Array.from(this.#cbpe.probabilitySum),
        predictedSquareSum: this.#cbpe.predictedSquareSum,
        ...(this.#cbpe.secondMoments !== undefined && {
          secondMoments: cbpeSecondMomentsToJSON(this.#cbpe)!,
        }),
      },
      auc,
    };
  }

  /**
   * Restores a saved window.
   * @throws InvalidArgumentError naming the field of a wrong version or length.
   */
  static fromJSON(json: ClassificationAccumulatorJson): ClassificationAccumulator {
    if (json.schemaVersion !== CLASSIFICATION_ACCUMULATOR_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `schemaVersion: expected ${CLASSIFICATION_ACCUMULATOR_SCHEMA_VERSION}, got ${json.schemaVersion}`,
      );
    }
    const acc = ClassificationAccumulator.create(json.classes, {
      calibrationBins: json.calibrationBins,
      aucBins: json.aucBins,
      cbpeF1IntervalMaxClasses: savedCbpeF1IntervalMaxClasses(json.classes.length, json.cbpe?.secondMoments),
    });
    const k = json.classes.length;
    copyChecked(acc.#confusion, json.confusion, 'confusion');
    copyChecked(acc.#calibration.count, json.calibration.count, 'calibration.count');
    copyChecked(acc.#calibration.confidenceSum, json.calibration.confidenceSum, 'calibration.confidenceSum');
    copyChecked(acc.#calibration.correct, json.calibration.correct, 'calibration.correct');
    copyChecked(acc.#cbpe.predictedCount, json.cbpe.predictedCount, 'cbpe.predictedCount');
    copyChecked(
      acc.#cbpe.predictedProbabilitySum,
      json.cbpe.predictedProbabilitySum,
      'cbpe.predictedProbabilitySum',
    );
    copyChecked(acc.#cbpe.probabilitySum, json.cbpe.probabilitySum, 'cbpe.probabilitySum');
    acc.#cbpe.count = json.cbpe.count;
    acc.#cbpe.predictedSquareSum = json.cbpe.predictedSquareSum;
    mergeCbpeSecondMomentsJSON(acc.#cbpe, json.cbpe.secondMoments, 'cbpe.secondMoments');
    acc.#probabilityCount = json.probabilityCount;
    acc.#logLoss.sum = json.logLoss.sum;
    acc.#logLoss.compensation = json.logLoss.compensation;
    if (json.logLossMoments !== undefined) {
      checkMoments(json.logLossMoments, 'logLossMoments');
      Object.assign(acc.#logLossMoments, {
        count: json.logLossMoments.count,
        mean: json.logLossMoments.mean,
        m2: json.logLossMoments.m2,
      });
    }
    for (const [cell, positives, negatives] of json.auc) {
      if (!(Number.isInteger(cell) && cell >= 0 && cell < k * json.aucBins)) {
        throw new InvalidArgumentError(`auc: cell ${cell} outside ${k} classes x ${json.aucBins} bins`);
      }
      acc.#aucPositive[cell] = positives;
      acc.#aucNegative[cell] = negatives;
    }
    return acc;
  }

  #binnedRocAuc(
    support: Float64Array,
    confidence: number,
  ): { rocAuc: RocAucResult; rocAucIntervals: RocAucIntervals } {
    const k = this.#index.classes.length;
    const bins = this.#aucBins;
    const perClass = new Float64Array(k);
    const standardErrors = new Float64Array(k);
    let maxError = 0;
    for (let c = 0; c < k; c++) {
      const positives = this.#aucPositive.subarray(c * bins, (c + 1) * bins);
      const negatives = this.#aucNegative.subarray(c * bins, (c + 1) * bins);
      const { auc, maxError: error } = binnedRocAuc(positives, negatives);
      perClass[c] = auc;
      standardErrors[c] = binnedRocAucStandardError(positives, negatives);
      maxError = Math.max(maxError, error);
    }
    const rocAuc = averageRocAuc(perClass, support, maxError);
    return { rocAuc, rocAucIntervals: rocAucIntervals(rocAuc, standardErrors, support, confidence) };
  }
}

/**
 * Checks one probability row of `classCount` values from `offset`: each finite in [0, 1], the
 * row summing to 1 within {@link PROBABILITY_SUM_TOLERANCE}.
 * @throws InvalidArgumentError naming `field` and the class position.
 */
export function checkProbabilityRow(
  probabilities: ArrayLike<number>,
  offset: number,
  classCount: number,
  field: string,
): void {
  let sum = 0;
  for (let c = 0; c < classCount; c++) {
    const p = probabilities[offset + c]!;
    if (!(p >= 0 && p <= 1))
      throw new InvalidArgumentError(`${field}[${c}]: a probability must be in [0, 1], got ${p}`);
    sum += p;
  }
  if (!(Math.abs(sum - 1) <= PROBABILITY_SUM_TOLERANCE)) {
    throw new InvalidArgumentError(
      `${field}: probabilities must sum to 1 (within ${PROBABILITY_SUM_TOLERANCE}), got ${sum}`,
    );
  }
}

function checkMoments(moments: unknown, field: string): void {
  const m = moments as Partial<RunningMoments> | null;
  const ok =
    typeof m === 'object' &&
    m !== null &&
    Number.isInteger(m.count) &&
    (m.count as number) >= 0 &&
    Number.isFinite(m.mean) &&
    Number.isFinite(m.m2) &&
    (m.m2 as number) >= 0;
  if (!ok) {
    throw new InvalidArgumentError(
      `${field}: expected {count, mean, m2} with an integer count >= 0 and finite m2 >= 0`,
    );
  }
}

function addInto(target: Float64Array, source: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i]! += source[i]!;
}

function checkLength(values: unknown, length: number, field: string): void {
  if (!Array.isArray(values) || values.length !== length) {
    throw new InvalidArgumentError(
      `${field}: expected ${length} values, got ${Array.isArray(values) ? values.length : typeof values}`,
    );
  }
}

function addArray(target: Float64Array, source: readonly number[]): void {
  for (let i = 0; i < target.length; i++) target[i]! += source[i]!;
}

function copyChecked(target: Float64Array, source: readonly number[], field: string): void {
  if (source.length !== target.length) {
    throw new InvalidArgumentError(`${field}: expected ${target.length} values, got ${source.length}`);
  }
  target.set(source);
}
