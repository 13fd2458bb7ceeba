/**
 * The `iforest` outlier kind: scikit-learn's IsolationForest (libs/stats' kernel) with
 * Alibi Detect's IForest score, the negated `score_samples` (higher is more outlying, in
 * (0, 1]). The threshold is not the kind's: contamination and percentiles are threshold
 * rules (threshold-rule.ts) the service applies to the reference's scores.
 */

import { InvalidArgumentError, quoteName, ResourceExhaustedError } from '@sightline/errors';
import { DEFAULT_IFOREST_MAX_NODES } from '@sightline/stats';
import type {
  DetectorKind,
  FittedState,
  JsonObject,
  JsonValue,
  KindFitOptions,
} from '../kinds/detector-kind.js';
import { DEFAULT_SEED, drawSeed, MAX_SEED } from '../kinds/multivariate-kinds.js';
import { ParamReader } from '../kinds/param-reader.js';
import { fittedState, requireReferenceRows, requireScorable } from '../kinds/reference-profile.js';
import type { FeatureTable } from '../table/feature-table.js';
import { runInSlices } from './fit-slices.js';
import { numericMatrix, prefixArrays, unprefixArrays } from './outlier-input.js';
import type { IsolationForestJson, IsolationForestModel, OutlierKernels } from './outlier-kernels.js';
import type { OutlierScores } from './outlier-scores.js';

/** Trees by default (scikit-learn's and Alibi's 100). */
export const DEFAULT_IFOREST_ESTIMATORS = 100;
/** Most trees a fit may ask for (the contract's rule "iforest.n_estimators_range"). */
export const MAX_IFOREST_ESTIMATORS = 10_000;
/** Rows drawn per tree by default: min(this, reference rows), scikit-learn's `max_samples='auto'`. */
export const DEFAULT_IFOREST_MAX_SAMPLES = 256;
/** Share of the features each tree sees by default. */
export const DEFAULT_IFOREST_MAX_FEATURES = 1;
/** Fewest reference rows: one row cannot be isolated from anything. */
export const IFOREST_MIN_REFERENCE_ROWS = 2;

const PARAMS = ['nEstimators', 'maxSamples', 'maxFeatures', 'bootstrap', 'seed'] as const;
const FOREST_ARRAYS = ['roots', 'feature', 'threshold', 'left'] as const;
/** The key of the forest's JSON in the state's json, and the prefix of its arrays. */
const FOREST = 'forest';

/** The resolved parameters of an iforest fit, as saved in the state's params. */
export interface IForestParams {
  readonly nEstimators: number;
  /** Rows per tree, already clipped to the reference's rows. */
  readonly maxSamples: number;
  readonly maxFeatures: number;
  readonly bootstrap: boolean;
  readonly seed: number;
}

class IForestKind implements DetectorKind<OutlierScores> {
  readonly name = 'iforest';
  /** Rebuilt forests per state: a forest is rebuilt (and checked) once, not on every score. */
  private readonly forests = new WeakMap<FittedState, IsolationForestModel>();

  constructor(
    private readonly kernels: OutlierKernels,
    readonly minReferenceRows: number,
    private readonly drawSeed: () => number,
  ) {}

  fit(reference: FeatureTable, params: Readonly<Record<string, unknown>> = {}): FittedState {
    const r = this.readParams(params, reference.rows);
    requireReferenceRows(this.name, reference, this.minReferenceRows);
    const p = r.params as unknown as IForestParams;
    const forest = this.forestTooLarge(p, () =>
      this.kernels.IsolationForest.fit(numericMatrix(this.name, reference), forestOptions(p)),
    );
    return this.stateOf(r, reference, forest);
  }

  /**
   * The same fit as {@link fit} (the same forest for a seed), grown in slices of about
   * FIT_SLICE_MS with a turn of the event loop between them, so a large forest does not
   * stall the service; bounded by `options.budget` (nothing is saved when it is spent).
   */
  async fitAsync(
    reference: FeatureTable,
    params: Readonly<Record<string, unknown>> = {},
    options: KindFitOptions = {},
  ): Promise<FittedState> {
    const r = this.readParams(params, reference.rows);
    requireReferenceRows(this.name, reference, this.minReferenceRows);
    const p = r.params as unknown as IForestParams;
    const x = numericMatrix(this.name, reference);
    const growth = this.forestTooLarge(p, () => this.kernels.IsolationForest.grow(x, forestOptions(p)));
    await runInSlices(
      (count) => growth.growTrees(count),
      () => growth.done,
      options.budget,
      () => ({
        what: 'isolation forest',
        progress: `${growth.grownTrees} of ${growth.totalTrees} trees grown`,
      }),
    );
    return this.stateOf(r, reference, growth.finish());
  }

  /** Runs `grow`, restating the kernel's forest-size refusal in this kind's parameters. */
  private forestTooLarge<T>(p: IForestParams, grow: () => T): T {
    try {
      return grow();
    } catch (error) {
      if (!(error instanceof ResourceExhaustedError)) throw error;
      throw new ResourceExhaustedError(
        `kind ${quoteName(this.name)}: ${p.nEstimators} trees of up to ${2 * p.maxSamples - 1} nodes (maxSamples ${p.maxSamples}) could exceed the limit of ${DEFAULT_IFOREST_MAX_NODES} nodes; lower parameter "nEstimators" (config.iforest.n_estimators) or "maxSamples" (config.iforest.max_samples)`,
        { cause: error },
      );
    }
  }

  private stateOf(r: ParamReader, reference: FeatureTable, forest: IsolationForestModel): FittedState {
    const saved = forest.toState();
    const state = fittedState(
      this.name,
      r.params,
      reference,
      { [FOREST]: saved.json as unknown as JsonValue },
      prefixArrays(FOREST, saved.arrays),
    );
    this.forests.set(state, forest);
    return state;
  }

  /**
   * Checks a loaded state with the fit's parameter rules and rebuilds its forest (which
   * checks the arrays), so a corrupt saved version is refused at load, not at a Score.
   */
  validate(state: FittedState): void {
    const r = this.readParams(state.params, state.referenceRows);
    if (r.params.maxSamples !== state.params.maxSamples) {
      throw r.error(
        'maxSamples',
        `must be at most the ${state.referenceRows} reference rows, got ${String(state.params.maxSamples)}`,
      );
    }
    const trees = this.forestOf(state).toState().json.nEstimators;
    if (trees !== state.params.nEstimators) {
      throw r.error(
        'nEstimators',
        `is ${String(state.params.nEstimators)} but the saved forest has ${trees} trees`,
      );
    }
  }

  /** The fit's parameter rules; `maxSamples` is clipped to `rows` as scikit-learn does. */
  private readParams(params: Readonly<Record<string, unknown>>, rows: number): ParamReader {
    const r = new ParamReader(this.name, params, PARAMS);
    r.number('nEstimators', DEFAULT_IFOREST_ESTIMATORS, {
      min: 1,
      max: MAX_IFOREST_ESTIMATORS,
      integer: true,
    });
    // As scikit-learn: more rows per tree than the reference has is clipped to all of them.
    const maxSamples = r.number('maxSamples', Math.min(DEFAULT_IFOREST_MAX_SAMPLES, Math.max(1, rows)), {
      min: 1,
      integer: true,
    });
    r.params.maxSamples = Math.min(maxSamples, rows);
    r.number('maxFeatures', DEFAULT_IFOREST_MAX_FEATURES, { min: 0, max: 1, exclusiveMin: true });
    r.boolean('bootstrap', false);
    const unset = params.seed === undefined || params.seed === null;
    r.number('seed', unset ? this.drawSeed() : DEFAULT_SEED, { min: 0, max: MAX_SEED, integer: true });
    return r;
  }

  score(state: FittedState, table: FeatureTable): OutlierScores {
    requireScorable(this.name, state, table, 1);
    const instanceScores = this.forestOf(state).scoreSamples(numericMatrix(this.name, table));
    for (let i = 0; i < instanceScores.length; i++) instanceScores[i] = -instanceScores[i]!;
    return { instanceScores };
  }

  private forestOf(state: FittedState): IsolationForestModel {
    let forest = this.forests.get(state);
    if (forest === undefined) {
      const json = state.json[FOREST] as JsonObject | undefined;
      if (json === undefined || typeof json !== 'object') {
        throw new InvalidArgumentError(`kind ${quoteName(this.name)}: the saved state has no forest`);
      }
      forest = this.kernels.IsolationForest.fromState({
        json: json as unknown as IsolationForestJson,
        arrays: unprefixArrays(this.name, FOREST, state.arrays, FOREST_ARRAYS),
      });
      this.forests.set(state, forest);
    }
    return forest;
  }
}

/** The kernel's options of resolved parameters. */
function forestOptions(p: IForestParams) {
  return {
    nEstimators: p.nEstimators,
    maxSamples: p.maxSamples,
    maxFeatures: p.maxFeatures,
    bootstrap: p.bootstrap,
    seed: p.seed,
  };
}

/**
 * The iforest kind over `kernels`.
 * @param drawSeed draws the seed of a fit given none (saved in the params).
 */
export function iforestKind(
  kernels: OutlierKernels,
  minReferenceRows: number = IFOREST_MIN_REFERENCE_ROWS,
  seeds: () => number = drawSeed,
): DetectorKind<OutlierScores> {
  return new IForestKind(kernels, minReferenceRows, seeds);
}
