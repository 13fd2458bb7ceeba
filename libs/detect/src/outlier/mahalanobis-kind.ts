/**
 * The `mahalanobis` outlier kind: the squared Mahalanobis distance of each row to the
 * reference's mean under its ddof = 1 covariance (numpy's `np.cov`), or under FastMCD's
 * robust estimate (scikit-learn's MinCovDet), by libs/stats' kernel. A singular covariance is
 * refused naming the constant or collinear features unless `ridge` regularises it. The
 * running statistics (updates from Predict or the live stream) are mahalanobis-running.ts.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { DenseMatrix } from '../kernels.js';
import type { DetectorKind, FittedState, KindFitOptions } from '../kinds/detector-kind.js';
import { DEFAULT_SEED, drawSeed, MAX_SEED } from '../kinds/multivariate-kinds.js';
import { ParamReader } from '../kinds/param-reader.js';
import { fittedState, requireReferenceRows, requireScorable } from '../kinds/reference-profile.js';
import type { FeatureTable } from '../table/feature-table.js';
import { runInSlices } from './fit-slices.js';
import { MAHALANOBIS_KIND, type MahalanobisParams, modelParts, modelStateOf } from './mahalanobis-state.js';
import { numericMatrix } from './outlier-input.js';
import type { MahalanobisModel, MahalanobisOptions, OutlierKernels } from './outlier-kernels.js';
import type { OutlierScores } from './outlier-scores.js';

export type { MahalanobisParams } from './mahalanobis-state.js';

/** Fewest reference rows (a covariance needs two); a fit also needs more rows than features. */
export const MAHALANOBIS_MIN_REFERENCE_ROWS = 2;
/** MCD's support share is above this (the contract's (0.5, 1]: below half it is no majority). */
export const MIN_SUPPORT_FRACTION = 0.5;

const PARAMS = ['maxN', 'robust', 'supportFraction', 'ridge', 'seed'] as const;

/** The kernel's advice for a singular covariance, which this kind spells with its own parameter. */
const KERNEL_REGULARISATION_ADVICE = /set regularization > 0/g;

class MahalanobisKind implements DetectorKind<OutlierScores> {
  readonly name = MAHALANOBIS_KIND;
  /** Rebuilt models per state: the covariance is factored once, not on every score. */
  private readonly models = new WeakMap<FittedState, MahalanobisModel>();

  constructor(
    private readonly kernels: OutlierKernels,
    readonly minReferenceRows: number,
    private readonly drawSeed: () => number,
  ) {}

  fit(reference: FeatureTable, params: Readonly<Record<string, unknown>> = {}): FittedState {
    const plan = this.plan(reference, params);
    return this.stateOf(
      plan,
      reference,
      this.kernelFit(plan, () => this.kernels.Mahalanobis.fit(plan.x, plan.options)),
    );
  }

  /**
   * The same fit as {@link fit}; a robust (MCD) fit yields to the event loop between its
   * C-steps in slices of about FIT_SLICE_MS (a large reference takes seconds), bounded by
   * `options.budget` (nothing is saved when it is spent).
   */
  async fitAsync(
    reference: FeatureTable,
    params: Readonly<Record<string, unknown>> = {},
    options: KindFitOptions = {},
  ): Promise<FittedState> {
    const plan = this.plan(reference, params);
    let steps = 0;
    let model: MahalanobisModel | undefined;
    await this.kernelFitAsync(plan, async () => {
      const stepper = this.kernels.Mahalanobis.fitSteps(plan.x, plan.options);
      await runInSlices(
        (count) => {
          for (let k = 0; k < count; k++) {
            const next = stepper.next();
            if (next.done) {
              model = next.value;
              return k + 1;
            }
            steps++;
          }
          return count;
        },
        () => model !== undefined,
        options.budget,
        () => ({ what: 'robust covariance (MCD)', progress: `${steps} C-steps done` }),
      );
    });
    return this.stateOf(plan, reference, model!);
  }

  /** The parameters checked and the kernel's input and options, as a fit needs them. */
  private plan(reference: FeatureTable, params: Readonly<Record<string, unknown>>): FitPlan {
    const d = reference.columns.length;
    const r = this.readParams(params, d);
    const { robust, ridge, supportFraction } = r.params as unknown as MahalanobisParams;
    requireReferenceRows(this.name, reference, this.minReferenceRows);
    const x = numericMatrix(this.name, reference);
    requireFiniteMoments(this.name, x, reference.names);
    if (ridge === 0 && reference.rows <= d) {
      throw new InvalidArgumentError(
        `kind ${quoteName(this.name)} needs more reference rows than features: ${reference.rows} rows for ${d} features give a singular covariance (add rows, or set parameter "ridge" > 0)`,
        { field: 'reference' },
      );
    }
    const p = r.params as unknown as MahalanobisParams;
    return {
      r,
      x,
      ridge,
      options: {
        regularization: ridge * meanVarianceScale(x),
        columnNames: reference.names,
        robust,
        ...(supportFraction !== undefined ? { supportFraction } : {}),
        seed: p.seed,
      },
    };
  }

  /** Runs the kernel's fit, restating its refusals in this kind's parameters. */
  private kernelFit(plan: FitPlan, fit: () => MahalanobisModel): MahalanobisModel {
    try {
      return fit();
    } catch (error) {
      throw this.restated(plan, error);
    }
  }

  private async kernelFitAsync(plan: FitPlan, fit: () => Promise<void>): Promise<void> {
    try {
      await fit();
    } catch (error) {
      throw this.restated(plan, error);
    }
  }

  private restated(plan: FitPlan, error: unknown): unknown {
    if (!(error instanceof InvalidArgumentError)) return error;
    const { ridge } = plan;
    return new InvalidArgumentError(
      `kind ${quoteName(this.name)}: ${error.message.replace(KERNEL_REGULARISATION_ADVICE, ridge > 0 ? `raise parameter "ridge" (${ridge})` : 'set parameter "ridge" > 0')}`,
      { field: 'reference', cause: error },
    );
  }

  private stateOf(plan: FitPlan, reference: FeatureTable, model: MahalanobisModel): FittedState {
    const { json, arrays } = modelParts(model.toState(), reference.rows);
    const state = fittedState(this.name, plan.r.params, reference, json, arrays);
    this.models.set(state, model);
    return state;
  }

  /**
   * Checks a loaded state with the fit's parameter rules and rebuilds its model (which
   * checks the arrays), so a corrupt saved version is refused at load, not at a Score.
   */
  validate(state: FittedState): void {
    this.readParams(state.params, state.schema.names.length);
    this.modelOf(state);
  }

  /** The fit's parameter rules for a reference of `d` features. */
  private readParams(params: Readonly<Record<string, unknown>>, d: number): ParamReader {
    const r = new ParamReader(this.name, params, PARAMS);
    const maxN = r.number('maxN', 0, { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true });
    if (maxN > 0 && maxN <= d) {
      throw r.error('maxN', `must be 0 (unbounded) or more than the ${d} features, got ${maxN}`);
    }
    const robust = r.boolean('robust', false);
    const supportFraction = r.optionalNumber('supportFraction', {
      min: MIN_SUPPORT_FRACTION,
      max: 1,
      exclusiveMin: true,
    });
    if (supportFraction !== undefined && !robust) {
      throw r.error('supportFraction', "is the robust (MCD) fit's; set robust: true or leave it unset");
    }
    r.number('ridge', 0, { min: 0 });
    const unset = params.seed === undefined || params.seed === null;
    r.number('seed', unset ? this.drawSeed() : DEFAULT_SEED, { min: 0, max: MAX_SEED, integer: true });
    return r;
  }

  score(state: FittedState, table: FeatureTable): OutlierScores {
    requireScorable(this.name, state, table, 1);
    return { instanceScores: this.modelOf(state).squaredDistances(numericMatrix(this.name, table)) };
  }

  private modelOf(state: FittedState): MahalanobisModel {
    let model = this.models.get(state);
    if (model === undefined) {
      model = this.kernels.Mahalanobis.fromState(modelStateOf(state));
      this.models.set(state, model);
    }
    return model;
  }
}

/** What a fit checked and hands the kernel. */
interface FitPlan {
  readonly r: ParamReader;
  readonly x: DenseMatrix;
  readonly ridge: number;
  readonly options: MahalanobisOptions;
}

/** Each column's ddof = 1 variance (0 for a single row); Infinity or NaN where float64 overflows. */
function columnVariances(x: DenseMatrix): Float64Array {
  const { rows: n, cols: d, data } = x;
  const variances = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += data[i * d + j]!;
    mean /= n;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (data[i * d + j]! - mean) ** 2;
    variances[j] = n > 1 ? sum / (n - 1) : 0;
  }
  return variances;
}

/**
 * Refuses a reference whose values are finite but so large that a column's mean or variance
 * overflows float64 (the covariance would be Infinity or NaN), naming the column.
 * @throws InvalidArgumentError naming the first such column.
 */
function requireFiniteMoments(kind: string, x: DenseMatrix, names: readonly string[]): void {
  const variances = columnVariances(x);
  for (let j = 0; j < variances.length; j++) {
    if (!Number.isFinite(variances[j]!)) {
      throw new InvalidArgumentError(
        `kind ${quoteName(kind)}: column ${quoteName(names[j] ?? String(j))} has values so large that its variance overflows float64; rescale the feature (rule "reference.finite_moments")`,
        { field: 'reference' },
      );
    }
  }
}

/**
 * The ridge's unit: the mean of the columns' ddof = 1 variances (so `ridge` is scale-free, as
 * the contract says), or 1 when every column is constant (there is no scale to take).
 */
export function meanVarianceScale(x: DenseMatrix): number {
  let total = 0;
  for (const variance of columnVariances(x)) total += variance;
  const scale = total / x.cols;
  return scale > 0 ? scale : 1;
}

/**
 * The mahalanobis kind over `kernels`.
 * @param seeds draws the MCD seed of a fit given none (saved in the params).
 */
export function mahalanobisKind(
  kernels: OutlierKernels,
  minReferenceRows: number = MAHALANOBIS_MIN_REFERENCE_ROWS,
  seeds: () => number = drawSeed,
): DetectorKind<OutlierScores> {
  return new MahalanobisKind(kernels, minReferenceRows, seeds);
}
