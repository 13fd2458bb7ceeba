import { InvalidArgumentError, SightlineError } from '@sightline/errors';
import {
  addCbpePrediction,
  CategoryCounts,
  type CategoryCountsJson,
  type CbpeSecondMomentsJson,
  type CbpeSums,
  ClassificationAccumulator,
  type ClassificationAccumulatorJson,
  cbpeSecondMomentsToJSON,
  cbpeSums,
  checkProbabilityRow,
  classIndex,
  labelIndex,
  MAX_METRIC_CLASSES,
  mergeCbpeSecondMomentsJSON,
  mergeCbpeSums,
  QuantileSketch,
  type QuantileSketchBinsJson,
  RegressionAccumulator,
  type RegressionAccumulatorJson,
  savedCbpeF1IntervalMaxClasses,
} from '@sightline/stats';
import type { JoinedPair, PredictionRecord, PredictionRow } from '../domain/records.js';
import { classificationValues, predictedLabel, regressionValues } from './pair-values.js';
import type { SummaryOptions } from './window-options.js';

/** Version of {@link BucketSummaryJson}; bumped on any incompatible change. */
export const BUCKET_SUMMARY_SCHEMA_VERSION = 1;

/** Saved CBPE sums (libs/stats keeps them in Float64Arrays). */
export interface CbpeSumsJson {
  readonly count: number;
  readonly predictedCount: number[];
  readonly predictedProbabilitySum: number[];
  readonly probabilitySum: number[];
  readonly predictedSquareSum: number;
  /** For the estimated F1's interval (up to --cbpe-f1-interval-max-classes classes); absent in buckets saved before it was kept or above the bound. */
  readonly secondMoments?: CbpeSecondMomentsJson;
}

/** Saved form of a {@link BucketSummary}. */
export interface BucketSummaryJson {
  readonly schemaVersion: number;
  readonly task: 'classification' | 'regression';
  /** Classification: the classes in probability order; [] for regression or when unknown. */
  readonly classes: string[];
  /** Prediction rows counted (labelled or not). */
  readonly predictions: number;
  /** Prediction records (requests) counted. */
  readonly requests: number;
  /** Classification: predicted labels of every row. */
  readonly predictedClasses: CategoryCountsJson | null;
  /** Regression: every predicted element. */
  readonly outputs: QuantileSketchBinsJson | null;
  /**
   * Regression: the predicted elements of the joined pairs (what direct loss estimation's gap
   * compares on). Absent in classification buckets and in buckets saved before it existed; a
   * window holding such a bucket has fewer of them than pairs and gives no DLE gap.
   */
  readonly labelledOutputs?: QuantileSketchBinsJson;
  /** Latency of every request that logged one, ms. */
  readonly latencyMs: QuantileSketchBinsJson;
  /** Classification with known classes: CBPE sums of every row that logged probabilities. */
  readonly cbpe: CbpeSumsJson | null;
  /** The joined pairs (null for classification with unknown classes). */
  readonly pairs: ClassificationAccumulatorJson | RegressionAccumulatorJson | null;
}

/** The accumulators of a bucket's joined pairs. */
export type PairAccumulator = ClassificationAccumulator | RegressionAccumulator;

/**
 * Everything one time bucket of one series (and segment) knows: the joined pairs' accumulator,
 * the distribution of every prediction (labelled or not), CBPE's label-free sums, counts for
 * feedback coverage and a latency sketch. Every part merges exactly (counts and sketch bins add;
 * sums are compensated), so a window is the merge of its buckets in any order.
 */
export class BucketSummary {
  readonly task: 'classification' | 'regression';
  readonly classes: readonly string[];
  readonly #options: SummaryOptions;
  #predictions = 0;
  #requests = 0;
  readonly #predictedClasses: CategoryCounts | undefined;
  #outputs: QuantileSketch | undefined;
  #labelledOutputs: QuantileSketch | undefined;
  #latency: QuantileSketch;
  readonly #cbpe: CbpeSums | undefined;
  #pairs: PairAccumulator | undefined;
  readonly #classIndex: ReturnType<typeof classIndex> | undefined;

  private constructor(
    task: 'classification' | 'regression',
    classes: readonly string[],
    options: SummaryOptions,
  ) {
    this.task = task;
    this.classes = Object.freeze([...classes]);
    this.#options = options;
    const sketch = { relativeAccuracy: options.sketchRelativeAccuracy };
    this.#latency = new QuantileSketch(
      options.sketchRelativeAccuracy === undefined
        ? {}
        : { relativeAccuracy: options.sketchRelativeAccuracy },
    );
    if (task === 'regression') {
      this.#outputs = new QuantileSketch(sketch.relativeAccuracy === undefined ? {} : sketch);
      this.#labelledOutputs = new QuantileSketch(sketch.relativeAccuracy === undefined ? {} : sketch);
      this.#pairs = new RegressionAccumulator();
      return;
    }
    this.#predictedClasses = new CategoryCounts({ maxCategories: MAX_METRIC_CLASSES });
    if (classes.length > 0) {
      this.#classIndex = classIndex(classes);
      this.#cbpe = cbpeSums(classes.length, options.cbpeF1IntervalMaxClasses);
      this.#pairs = ClassificationAccumulator.create(classes, this.#accumulatorOptions());
    }
  }

  /**
   * An empty bucket for `task` (classification: `classes` in probability order, [] when unknown).
   * @throws InvalidArgumentError on a bad class list or option.
   */
  static empty(
    task: 'classification' | 'regression',
    classes: readonly string[],
    options: SummaryOptions,
  ): BucketSummary {
    if (task !== 'classification' && task !== 'regression') {
      throw new InvalidArgumentError(
        `task: expected "classification" or "regression", got ${JSON.stringify(task)}`,
      );
    }
    return new BucketSummary(task, task === 'regression' ? [] : classes, options);
  }

  /** The options the bucket was built with. */
  get options(): SummaryOptions {
    return this.#options;
  }
  /** Prediction rows counted. */
  get predictions(): number {
    return this.#predictions;
  }
  /** Prediction records (requests) counted. */
  get requests(): number {
    return this.#requests;
  }
  /** Joined pairs counted (regression: pair elements). */
  get joined(): number {
    return this.#pairs?.count ?? 0;
  }
  /** The joined pairs' accumulator (undefined for classification with unknown classes). */
  get pairs(): PairAccumulator | undefined {
    return this.#pairs;
  }
  /** Predicted labels of every row (classification). */
  get predictedClasses(): CategoryCounts | undefined {
    return this.#predictedClasses;
  }
  /** Every predicted element (regression). */
  get outputs(): QuantileSketch | undefined {
    return this.#outputs;
  }
  /** The predicted elements of the joined pairs (regression). */
  get labelledOutputs(): QuantileSketch | undefined {
    return this.#labelledOutputs;
  }
  /** Request latencies, ms. */
  get latencyMs(): QuantileSketch {
    return this.#latency;
  }
  /** CBPE sums over every row with logged probabilities (classification with known classes). */
  get cbpe(): CbpeSums | undefined {
    return this.#cbpe;
  }

  /**
   * Counts one prediction record's rows (`rows`, default all of them: a segment's bucket takes
   * only the rows of its segment value) and, when `countRequest`, its latency.
   * @throws InvalidArgumentError naming the field of a task or class mismatch, a missing label,
   * a bad probability row or a non-finite value; nothing is counted then.
   */
  addPrediction(
    record: PredictionRecord,
    rows: readonly PredictionRow[] = record.rows,
    countRequest = true,
  ): void {
    this.#checkRecord(record.task, record.classes);
    if (
      countRequest &&
      record.latencyMs !== undefined &&
      !(Number.isFinite(record.latencyMs) && record.latencyMs >= 0)
    ) {
      throw new InvalidArgumentError(`latencyMs: expected a finite number >= 0, got ${record.latencyMs}`);
    }
    // Check every row before counting any, so a bad record leaves the bucket as it was.
    const predicted: number[] = [];
    rows.forEach((row, i) => {
      const field = `rows[${i}]`;
      if (this.task === 'regression') {
        const values = row.values;
        if (values === undefined || values.length === 0) {
          throw new InvalidArgumentError(`${field}.values: a regression row must carry its predicted values`);
        }
        values.forEach((v, j) => {
          if (!Number.isFinite(v))
            throw new InvalidArgumentError(`${field}.values[${j}]: ${v} is not a finite number`);
        });
        return;
      }
      const label = predictedLabel(row, `${field}.label`);
      if (this.#classIndex === undefined) return;
      predicted.push(labelIndex(this.#classIndex, label, `${field}.label`));
      if (row.probabilities !== undefined) {
        if (row.probabilities.length !== this.classes.length) {
          throw new InvalidArgumentError(
            `${field}.probabilities: expected ${this.classes.length} values (one per class), got ${row.probabilities.length}`,
          );
        }
        checkProbabilityRow(row.probabilities, 0, this.classes.length, `${field}.probabilities`);
      }
    });
    rows.forEach((row, i) => {
      this.#predictions += 1;
      if (this.task === 'regression') {
        this.#outputs!.addAll(row.values!);
        return;
      }
      this.#predictedClasses!.add(row.label!);
      if (this.#cbpe !== undefined && row.probabilities !== undefined) {
        addCbpePrediction(this.#cbpe, predicted[i]!, row.probabilities);
      }
    });
    if (countRequest) {
      this.#requests += 1;
      if (record.latencyMs !== undefined) this.#latency.add(record.latencyMs);
    }
  }

  /**
   * Adds one joined pair to the accumulator.
   * @throws InvalidArgumentError naming the field of a task or class mismatch, an unknown class
   * list, a truth of the wrong kind, a label outside the classes or a bad value.
   */
  addPair(pair: JoinedPair): void {
    this.#checkRecord(pair.task, pair.classes);
    if (this.#pairs instanceof ClassificationAccumulator) {
      const { yTrue, yPred, probabilities } = classificationValues(pair);
      this.#pairs.add(yTrue, yPred, probabilities);
    } else if (this.#pairs instanceof RegressionAccumulator) {
      const { yTrue, yPred } = regressionValues(pair);
      for (let i = 0; i < yPred.length; i++) {
        if (!Number.isFinite(yTrue[i]!))
          throw new InvalidArgumentError(`truth.values[${i}]: ${yTrue[i]} is not a finite number`);
        if (!Number.isFinite(yPred[i]!)) {
          throw new InvalidArgumentError(`prediction.values[${i}]: ${yPred[i]} is not a finite number`);
        }
      }
      for (let i = 0; i < yPred.length; i++) this.#pairs.add(yTrue[i]!, yPred[i]!);
      this.#labelledOutputs!.addAll(yPred);
    } else {
      throw new InvalidArgumentError(
        'classes: a classification pair can only be scored when the prediction logged its class list',
      );
    }
  }

  /** An empty accumulator of this bucket's kind (to recompute the pairs of a bucket). */
  emptyPairs(): PairAccumulator | undefined {
    if (this.task === 'regression') return new RegressionAccumulator();
    return this.classes.length === 0
      ? undefined
      : ClassificationAccumulator.create(this.classes, this.#accumulatorOptions());
  }

  /**
   * Puts `pairs` (a recomputation) in place of this bucket's pair accumulator.
   * @throws InvalidArgumentError when the accumulator is of another kind.
   */
  replacePairs(pairs: PairAccumulator | undefined): void {
    const expected = this.emptyPairs();
    if (
      (expected === undefined) !== (pairs === undefined) ||
      (expected !== undefined && expected.constructor !== pairs?.constructor)
    ) {
      throw new InvalidArgumentError(`pairs: a ${this.task} bucket cannot take this accumulator`);
    }
    this.#pairs = pairs;
  }

  /**
   * Adds another bucket into this one; with `replacePairs`, `other`'s pair accumulator takes the
   * place of this one's (a recomputed bucket) while the prediction parts still add.
   * @throws InvalidArgumentError when the task, classes or options differ.
   */
  merge(other: BucketSummary, options: { readonly replacePairs?: boolean } = {}): this {
    if (other.task !== this.task) {
      throw new InvalidArgumentError(`task: cannot merge a ${other.task} bucket into a ${this.task} bucket`);
    }
    if (other.classes.length !== this.classes.length || other.classes.some((c, k) => c !== this.classes[k])) {
      throw new InvalidArgumentError(
        `classes: cannot merge buckets of classes (${other.classes.join(', ')}) into (${this.classes.join(', ')})`,
      );
    }
    this.#predictions += other.#predictions;
    this.#requests += other.#requests;
    this.#latency.merge(other.#latency);
    if (this.#outputs !== undefined) this.#outputs.merge(other.#outputs!);
    // A prediction part: a replacement recomputes the pairs' truths, not which rows are labelled.
    if (this.#labelledOutputs !== undefined) this.#labelledOutputs.merge(other.#labelledOutputs!);
    if (this.#predictedClasses !== undefined) this.#predictedClasses.merge(other.#predictedClasses!);
    if (this.#cbpe !== undefined) mergeCbpeSums(this.#cbpe, other.#cbpe!);
    if (options.replacePairs) {
      this.#pairs = other.#pairs === undefined ? undefined : clonePairs(other.#pairs);
    } else if (this.#pairs instanceof ClassificationAccumulator) {
      this.#pairs.merge(other.#pairs as ClassificationAccumulator);
    } else if (this.#pairs instanceof RegressionAccumulator) {
      this.#pairs.merge(other.#pairs as RegressionAccumulator);
    }
    return this;
  }

  /**
   * Adds a saved bucket into this one without restoring it first (what a query over many stored
   * buckets does): the same sums as `merge(BucketSummary.fromJSON(json))`.
   * @throws InvalidArgumentError naming the field, as {@link fromJSON}, or on a task or class
   * mismatch. A refused entry may leave part of it merged: queries call this on a summary of
   * their own.
   */
  mergeSaved(json: unknown): this {
    const j = expectObject(json, 'summary');
    checkSavedCounts(j);
    if (j.schemaVersion !== BUCKET_SUMMARY_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `schemaVersion: expected ${BUCKET_SUMMARY_SCHEMA_VERSION}, got ${JSON.stringify(j.schemaVersion)}`,
      );
    }
    if (j.task !== this.task) {
      throw new InvalidArgumentError(
        `task: cannot merge a ${String(j.task)} bucket into a ${this.task} bucket`,
      );
    }
    const classes = expectArray(j.classes, 'classes');
    if (classes.length !== this.classes.length || classes.some((c, k) => c !== this.classes[k])) {
      throw new InvalidArgumentError(
        `classes: cannot merge buckets of classes (${classes.join(', ')}) into (${this.classes.join(', ')})`,
      );
    }
    const predictions = expectCount(j.predictions, 'predictions');
    const requests = expectCount(j.requests, 'requests');
    const latencyJson = expectObject(j.latencyMs, 'latencyMs');
    const k = this.classes.length;
    let cbpe: Record<string, unknown> | undefined;
    if (this.#cbpe !== undefined) {
      cbpe = expectObject(j.cbpe, 'cbpe');
      expectCount(cbpe.count, 'cbpe.count');
      expectFinite(cbpe.predictedSquareSum, 'cbpe.predictedSquareSum');
      for (const name of ['predictedCount', 'predictedProbabilitySum', 'probabilitySum']) {
        const values = expectArray(cbpe[name], `cbpe.${name}`);
        if (values.length !== k) {
          throw new InvalidArgumentError(`cbpe.${name}: expected ${k} values, got ${values.length}`);
        }
        values.forEach((v, i) => {
          expectFinite(v, `cbpe.${name}[${i}]`);
        });
      }
    } else if (j.cbpe !== null) {
      throw new InvalidArgumentError(
        'cbpe: only a classification bucket with known classes carries CBPE sums',
      );
    }
    const pairs = this.#pairs;
    if ((pairs === undefined) !== (j.pairs === null)) {
      throw new InvalidArgumentError(
        `pairs: expected ${pairs === undefined ? 'null' : 'a pair accumulator'}`,
      );
    }
    if (pairs instanceof ClassificationAccumulator) {
      const pairsJson = expectObject(j.pairs, 'pairs');
      field('pairs', () => pairs.mergeJSON(checkClassificationJson(pairsJson)));
    } else if (pairs instanceof RegressionAccumulator) {
      const pairsJson = expectObject(j.pairs, 'pairs');
      pairs.merge(field('pairs', () => RegressionAccumulator.fromJSON(checkRegressionJson(pairsJson))));
    }
    if (this.#predictedClasses !== undefined) {
      const countsJson = expectObject(j.predictedClasses, 'predictedClasses');
      this.#predictedClasses.merge(
        field('predictedClasses', () => CategoryCounts.fromJSON(countsJson as never)),
      );
    }
    if (this.#outputs !== undefined) {
      const outputsJson = expectObject(j.outputs, 'outputs');
      field('outputs', () => this.#outputs!.mergeBinsJSON(outputsJson as never));
      if (j.labelledOutputs !== undefined) {
        const labelledJson = expectObject(j.labelledOutputs, 'labelledOutputs');
        field('labelledOutputs', () => this.#labelledOutputs!.mergeBinsJSON(labelledJson as never));
      }
    } else if (j.labelledOutputs !== undefined) {
      throw new InvalidArgumentError('labelledOutputs: only a regression bucket carries labelled outputs');
    }
    field('latencyMs', () => this.#latency.mergeBinsJSON(latencyJson as never));
    if (this.#cbpe !== undefined && cbpe !== undefined) {
      const sums = this.#cbpe;
      sums.count += cbpe.count as number;
      sums.predictedSquareSum += cbpe.predictedSquareSum as number;
      addNumbers(sums.predictedCount, cbpe.predictedCount as number[]);
      addNumbers(sums.predictedProbabilitySum, cbpe.predictedProbabilitySum as number[]);
      addNumbers(sums.probabilitySum, cbpe.probabilitySum as number[]);
      field('cbpe', () => mergeCbpeSecondMomentsJSON(sums, cbpe.secondMoments, 'secondMoments'));
    }
    this.#predictions += predictions;
    this.#requests += requests;
    return this;
  }

  /** A deep copy. */
  clone(): BucketSummary {
    return BucketSummary.fromJSON(this.toJSON());
  }

  /** The saved form (versioned); JSON.stringify and {@link fromJSON} give back the same bucket bit for bit. */
  toJSON(): BucketSummaryJson {
    const cbpe = this.#cbpe;
    return {
      schemaVersion: BUCKET_SUMMARY_SCHEMA_VERSION,
      task: this.task,
      classes: [...this.classes],
      predictions: this.#predictions,
      requests: this.#requests,
      predictedClasses: this.#predictedClasses?.toJSON() ?? null,
      outputs: this.#outputs?.toBinsJSON() ?? null,
      ...(this.#labelledOutputs !== undefined && { labelledOutputs: this.#labelledOutputs.toBinsJSON() }),
      latencyMs: this.#latency.toBinsJSON(),
      cbpe:
        cbpe === undefined
          ? null
          : {
              count: cbpe.count,
              predictedCount: Array.from(cbpe.predictedCount),
              predictedProbabilitySum: Array.from(cbpe.predictedProbabilitySum),
              probabilitySum: Array.from(cbpe.probabilitySum),
              predictedSquareSum: cbpe.predictedSquareSum,
              ...(cbpe.secondMoments !== undefined && { secondMoments: cbpeSecondMomentsToJSON(cbpe)! }),
            },
      pairs: this.#pairs?.toJSON() ?? null,
    };
  }

  /**
   * Restores a saved bucket.
   * @throws InvalidArgumentError naming the field (e.g. `pairs.confusion`) of a wrong version,
   * type or length.
   */
  static fromJSON(json: unknown): BucketSummary {
    const j = expectObject(json, 'summary');
    checkSavedCounts(j);
    if (j.schemaVersion !== BUCKET_SUMMARY_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `schemaVersion: expected ${BUCKET_SUMMARY_SCHEMA_VERSION}, got ${JSON.stringify(j.schemaVersion)}`,
      );
    }
    if (j.task !== 'classification' && j.task !== 'regression') {
      throw new InvalidArgumentError(
        `task: expected "classification" or "regression", got ${JSON.stringify(j.task)}`,
      );
    }
    const task = j.task;
    const classes = expectArray(j.classes, 'classes');
    classes.forEach((c, k) => {
      if (typeof c !== 'string') throw new InvalidArgumentError(`classes[${k}]: expected a string`);
    });
    const predictions = expectCount(j.predictions, 'predictions');
    const requests = expectCount(j.requests, 'requests');
    const latencyJson = expectObject(j.latencyMs, 'latencyMs');
    const latency = field('latencyMs', () => QuantileSketch.fromBinsJSON(latencyJson as never));
    const accuracy = latency.relativeAccuracy;
    const savedCbpe = j.cbpe as { secondMoments?: unknown } | null | undefined;
    const options: SummaryOptions = {
      aucBins: 0,
      ...(accuracy === undefined ? {} : { sketchRelativeAccuracy: accuracy }),
      // Saved second moments are restored whatever bound they were saved under.
      cbpeF1IntervalMaxClasses: savedCbpeF1IntervalMaxClasses(
        classes.length,
        typeof savedCbpe === 'object' && savedCbpe !== null ? savedCbpe.secondMoments : undefined,
      ),
    };
    let pairsJson: Record<string, unknown> | undefined;
    if (j.pairs !== null) {
      pairsJson = expectObject(j.pairs, 'pairs');
      if (task === 'classification') {
        Object.assign(options, {
          aucBins: expectCount(pairsJson.aucBins, 'pairs.aucBins'),
          calibrationBins: expectCount(pairsJson.calibrationBins, 'pairs.calibrationBins'),
        });
      }
    }
    const summary = BucketSummary.empty(task, classes as string[], options);
    summary.#predictions = predictions;
    summary.#requests = requests;
    summary.#latency = latency;
    if (task === 'regression') {
      if (j.outputs === null)
        throw new InvalidArgumentError('outputs: a regression bucket must carry its output sketch');
      const outputsJson = expectObject(j.outputs, 'outputs');
      const outputs = field('outputs', () => QuantileSketch.fromBinsJSON(outputsJson as never));
      if (outputs.relativeAccuracy !== latency.relativeAccuracy) {
        throw new InvalidArgumentError(
          `outputs.relativeAccuracy: expected ${latency.relativeAccuracy} (as latencyMs), got ${outputs.relativeAccuracy}`,
        );
      }
      summary.#outputs = outputs;
      if (j.labelledOutputs !== undefined) {
        const labelledJson = expectObject(j.labelledOutputs, 'labelledOutputs');
        const labelled = field('labelledOutputs', () => QuantileSketch.fromBinsJSON(labelledJson as never));
        if (labelled.relativeAccuracy !== latency.relativeAccuracy) {
          throw new InvalidArgumentError(
            `labelledOutputs.relativeAccuracy: expected ${latency.relativeAccuracy} (as latencyMs), got ${labelled.relativeAccuracy}`,
          );
        }
        summary.#labelledOutputs = labelled;
      }
    } else {
      if (j.labelledOutputs !== undefined) {
        throw new InvalidArgumentError('labelledOutputs: only a regression bucket carries labelled outputs');
      }
      if (j.predictedClasses === null) {
        throw new InvalidArgumentError(
          'predictedClasses: a classification bucket must carry its class counts',
        );
      }
      const countsJson = expectObject(j.predictedClasses, 'predictedClasses');
      summary.#predictedClasses!.merge(
        field('predictedClasses', () => CategoryCounts.fromJSON(countsJson as never)),
      );
    }
    if (summary.#cbpe !== undefined) {
      const cbpe = expectObject(j.cbpe, 'cbpe');
      const k = classes.length;
      summary.#cbpe.count = expectCount(cbpe.count, 'cbpe.count');
      summary.#cbpe.predictedSquareSum = expectFinite(cbpe.predictedSquareSum, 'cbpe.predictedSquareSum');
      copyNumbers(summary.#cbpe.predictedCount, cbpe.predictedCount, k, 'cbpe.predictedCount');
      copyNumbers(
        summary.#cbpe.predictedProbabilitySum,
        cbpe.predictedProbabilitySum,
        k,
        'cbpe.predictedProbabilitySum',
      );
      copyNumbers(summary.#cbpe.probabilitySum, cbpe.probabilitySum, k, 'cbpe.probabilitySum');
      const restoredCbpe = summary.#cbpe;
      field('cbpe', () => mergeCbpeSecondMomentsJSON(restoredCbpe, cbpe.secondMoments, 'secondMoments'));
    } else if (j.cbpe !== null) {
      throw new InvalidArgumentError(
        'cbpe: only a classification bucket with known classes carries CBPE sums',
      );
    }
    if ((summary.#pairs === undefined) !== (pairsJson === undefined)) {
      throw new InvalidArgumentError(
        summary.#pairs === undefined
          ? 'pairs: a classification bucket without classes carries no pairs'
          : `pairs: a ${task} bucket must carry its pair accumulator`,
      );
    }
    if (pairsJson !== undefined) {
      summary.#pairs =
        task === 'regression'
          ? field('pairs', () => RegressionAccumulator.fromJSON(checkRegressionJson(pairsJson!)))
          : field('pairs', () => {
              const restored = ClassificationAccumulator.fromJSON(checkClassificationJson(pairsJson!));
              const same =
                restored.classes.length === classes.length &&
                restored.classes.every((c, k) => c === classes[k]);
              if (!same)
                throw new InvalidArgumentError("classes: expected the bucket's classes in the same order");
              return restored;
            });
    }
    return summary;
  }

  #accumulatorOptions() {
    return {
      aucBins: this.#options.aucBins,
      ...(this.#options.cbpeF1IntervalMaxClasses === undefined
        ? {}
        : { cbpeF1IntervalMaxClasses: this.#options.cbpeF1IntervalMaxClasses }),
      ...(this.#options.calibrationBins === undefined
        ? {}
        : { calibrationBins: this.#options.calibrationBins }),
    };
  }

  #checkRecord(task: string, classes: readonly string[]): void {
    if (task !== this.task) {
      throw new InvalidArgumentError(`task: the bucket holds ${this.task} records, got a ${task} record`);
    }
    if (task === 'regression') return;
    if (classes.length !== this.classes.length || classes.some((c, k) => c !== this.classes[k])) {
      throw new InvalidArgumentError(
        `classes: the series' buckets have classes (${this.classes.join(', ')}), the record has (${classes.join(', ')})`,
      );
    }
  }
}

function clonePairs(pairs: PairAccumulator): PairAccumulator {
  return pairs instanceof ClassificationAccumulator
    ? ClassificationAccumulator.fromJSON(pairs.toJSON())
    : RegressionAccumulator.fromJSON(pairs.toJSON());
}

/** Runs a nested fromJSON, naming `name` in front of the field its error names. */
function field<T>(name: string, restore: () => T): T {
  try {
    return restore();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof SightlineError && !(error instanceof InvalidArgumentError)) throw error;
    throw new InvalidArgumentError(`${name}.${message}`);
  }
}

function expectObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${name}: expected an object`);
  }
  return value as Record<string, unknown>;
}

function expectArray(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${name}: expected an array`);
  return value;
}

function expectFinite(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`${name}: expected a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function expectCount(value: unknown, name: string): number {
  const n = expectFinite(value, name);
  if (!(Number.isInteger(n) && n >= 0))
    throw new InvalidArgumentError(`${name}: expected an integer >= 0, got ${n}`);
  return n;
}

function addNumbers(target: Float64Array, values: readonly number[]): void {
  for (let i = 0; i < target.length; i++) target[i]! += values[i]!;
}

function copyNumbers(target: Float64Array, value: unknown, length: number, name: string): void {
  const values = expectArray(value, name);
  if (values.length !== length)
    throw new InvalidArgumentError(`${name}: expected ${length} values, got ${values.length}`);
  values.forEach((v, i) => {
    target[i] = expectFinite(v, `${name}[${i}]`);
  });
}

/** The fields the classification accumulator reads without checking their types. */
function checkClassificationJson(json: Record<string, unknown>): ClassificationAccumulatorJson {
  expectArray(json.classes, 'classes');
  expectArray(json.confusion, 'confusion');
  expectArray(json.auc, 'auc');
  expectCount(json.probabilityCount, 'probabilityCount');
  const logLoss = expectObject(json.logLoss, 'logLoss');
  expectFinite(logLoss.sum, 'logLoss.sum');
  expectFinite(logLoss.compensation, 'logLoss.compensation');
  const calibration = expectObject(json.calibration, 'calibration');
  for (const name of ['count', 'confidenceSum', 'correct'])
    expectArray(calibration[name], `calibration.${name}`);
  const cbpe = expectObject(json.cbpe, 'cbpe');
  for (const name of ['predictedCount', 'predictedProbabilitySum', 'probabilitySum'])
    expectArray(cbpe[name], `cbpe.${name}`);
  expectCount(cbpe.count, 'cbpe.count');
  expectFinite(cbpe.predictedSquareSum, 'cbpe.predictedSquareSum');
  return json as unknown as ClassificationAccumulatorJson;
}

/** The fields the regression accumulator copies without checking. */
function checkRegressionJson(json: Record<string, unknown>): RegressionAccumulatorJson {
  for (const name of ['squaredError', 'absoluteError', 'absolutePercentageError']) {
    const sum = expectObject(json[name], name);
    expectFinite(sum.sum, `${name}.sum`);
    expectFinite(sum.compensation, `${name}.compensation`);
  }
  for (const name of ['yTrue', 'squaredErrorMoments', 'absoluteErrorMoments']) {
    const moments = expectObject(json[name], name);
    expectCount(moments.count, `${name}.count`);
    expectFinite(moments.mean, `${name}.mean`);
    expectFinite(moments.m2, `${name}.m2`);
  }
  for (const name of ['yTrueMin', 'yTrueMax']) {
    if (json[name] !== null) expectFinite(json[name], name);
  }
  return json as unknown as RegressionAccumulatorJson;
}

/**
 * The counts a saved bucket holds must be integers >= 0: the nested fromJSONs copy them as
 * they are, and a negative or fractional count would make every later metric of the bucket
 * wrong. Checked before anything is restored or merged; names the field.
 */
function checkSavedCounts(j: Record<string, unknown>): void {
  const counts = (value: unknown, name: string) => {
    if (!Array.isArray(value)) return;
    value.forEach((v, i) => {
      expectCount(v, `${name}[${i}]`);
    });
  };
  const object = (value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  const cbpe = object(j.cbpe);
  if (cbpe) counts(cbpe.predictedCount, 'cbpe.predictedCount');
  const pairs = object(j.pairs);
  if (pairs) {
    counts(pairs.confusion, 'pairs.confusion');
    const calibration = object(pairs.calibration);
    if (calibration) {
      counts(calibration.count, 'pairs.calibration.count');
      counts(calibration.correct, 'pairs.calibration.correct');
    }
    const pairsCbpe = object(pairs.cbpe);
    if (pairsCbpe) counts(pairsCbpe.predictedCount, 'pairs.cbpe.predictedCount');
  }
  const predicted = object(j.predictedClasses);
  if (predicted) {
    if (Array.isArray(predicted.counts))
      predicted.counts.forEach((entry, i) => {
        if (Array.isArray(entry)) expectCount(entry[1], `predictedClasses.counts[${i}][1]`);
      });
    if (predicted.overflow !== undefined) expectCount(predicted.overflow, 'predictedClasses.overflow');
  }
  for (const name of ['latencyMs', 'outputs', 'labelledOutputs']) {
    const sketch = object(j[name]);
    if (!sketch) continue;
    expectCount(sketch.count, `${name}.count`);
    expectCount(sketch.zeroCount, `${name}.zeroCount`);
  }
}
