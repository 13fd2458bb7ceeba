/**
 * The online kinds, one row at a time against the reference: `online-mmd` (Alibi Detect's
 * MMDDriftOnline) and `online-cvm` (CVMDriftOnline). Their fit configures thresholds for an
 * expected run time (ert) by bootstrap; the fitted state holds the thresholds and the
 * reference, and is immutable like every fitted version. The running window (rows and time t)
 * is separate mutable state: {@link OnlineStates} keeps it per detector; this kind's `score`
 * runs a table as a fresh stream from t = 0 (what a history run over stored events needs).
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type {
  CvmOnlineFitJson,
  DenseMatrix,
  DriftKernels,
  MmdOnlineFitJson,
  OnlineDetector,
} from '../kernels.js';
import { type FeatureTable, requireFinite, toRowMajor } from '../table/feature-table.js';
import type { DetectorKind, FittedState, JsonValue, KindFitOptions } from './detector-kind.js';
import type { DriftResult, OnlineRowDrift } from './drift-result.js';
import { MAX_SEED } from './multivariate-kinds.js';
import { ParamReader } from './param-reader.js';
import {
  fittedState,
  requireNumeric,
  requireScorable,
  validateReferenceMatrix,
} from './reference-profile.js';

/** Names of the online kinds. */
export type OnlineKindName = 'online-mmd' | 'online-cvm';

/** Whether `kind` names an online kind. */
export function isOnlineKind(kind: string | undefined): kind is OnlineKindName {
  return kind === 'online-mmd' || kind === 'online-cvm';
}

/**
 * Fewest reference rows with the smallest windows: a window must be below half the reference
 * (rule "online.window_size_range"), MMD's at least 2 rows, CVM's at least 1. A larger window
 * needs 2W + 1 rows, stated in the refusal.
 */
export const ONLINE_MIN_REFERENCE_ROWS: Readonly<Record<OnlineKindName, number>> = {
  'online-mmd': 5,
  'online-cvm': 3,
};

/** Bootstrap simulations by default: Alibi Detect's (1,000 for MMD, 10,000 for CVM). */
export const DEFAULT_ONLINE_BOOTSTRAPS: Readonly<Record<OnlineKindName, number>> = {
  'online-mmd': 1_000,
  'online-cvm': 10_000,
};

/** Most bootstrap simulations a fit takes (libs/stats' limit). */
export const MAX_ONLINE_BOOTSTRAPS = 1_000_000;
/** Most window sizes of an online CVM detector (each its own statistic and thresholds). */
export const MAX_CVM_ONLINE_WINDOWS = 16;

const ALLOWED: Readonly<Record<OnlineKindName, readonly string[]>> = {
  'online-mmd': ['ert', 'windowSize', 'nBootstraps', 'sigma', 'seed'],
  'online-cvm': ['ert', 'windowSizes', 'nBootstraps', 'seed'],
};

/** The reference of a fitted online state as a row-major matrix. */
export function onlineReference(state: FittedState): DenseMatrix {
  return { rows: state.referenceRows, cols: state.schema.names.length, data: state.arrays.reference! };
}

/**
 * A running detector for a fitted online state, at t = 0.
 * @throws InvalidArgumentError when `state` is not of an online kind.
 */
export function onlineDetectorOf(kernels: DriftKernels, state: FittedState): OnlineDetector {
  const fit = state.json.online as unknown;
  if (state.kind === 'online-mmd')
    return kernels.MmdDriftOnline.fromJson(onlineReference(state), fit as MmdOnlineFitJson);
  if (state.kind === 'online-cvm')
    return kernels.CvmDriftOnline.fromJson(onlineReference(state), fit as CvmOnlineFitJson);
  throw new InvalidArgumentError(`kind ${quoteName(state.kind)} is not an online kind`);
}

/**
 * Feeds `table`'s rows to `detector` (or, with `addRows` false, scores each without adding it)
 * and gathers the verdicts into a DriftResult.
 */
export function runOnline(
  detector: OnlineDetector,
  state: FittedState,
  table: FeatureTable,
  addRows = true,
): DriftResult {
  const cols = table.columns.length;
  const values = toRowMajor(table);
  const steps: OnlineRowDrift[] = [];
  for (let r = 0; r < table.rows; r++) {
    const row = values.subarray(r * cols, (r + 1) * cols);
    if (addRows) {
      const step = detector.predict(row);
      steps.push({
        time: step.time,
        testStat: step.testStat,
        threshold: step.threshold,
        drift: step.isDrift,
      });
    } else {
      const time = detector.time + 1;
      const testStat = detector.score(row);
      const threshold = detector.threshold(time);
      steps.push({ time, testStat, threshold, drift: testStat > threshold });
    }
  }
  const last = steps[steps.length - 1];
  const first = steps.find((s) => s.drift);
  const ert = state.params.ert as number;
  const drift = first !== undefined;
  return {
    kind: state.kind,
    rows: table.rows,
    referenceRows: state.referenceRows,
    features: table.names.map((name, c) => ({ name, kind: table.kinds[c]!, test: 'none', drift: false })),
    overall: {
      drift,
      basis: 'test-statistic',
      threshold: last?.threshold ?? Number.NaN,
      correction: 'none',
      alpha: 1 / ert,
    },
    online: {
      test: state.kind as OnlineKindName,
      time: last?.time ?? detector.time,
      testStat: last?.testStat ?? Number.NaN,
      threshold: last?.threshold ?? detector.threshold(detector.time),
      ...(first ? { driftTime: first.time } : {}),
      ert,
      steps,
    },
  };
}

class OnlineKind implements DetectorKind<DriftResult> {
  constructor(
    readonly name: OnlineKindName,
    private readonly kernels: DriftKernels,
    readonly minReferenceRows: number,
    private readonly drawSeed: () => number,
  ) {}

  /** The fit's parameter rules, every default written out; a seed is drawn when unset. */
  private readParams(params: Readonly<Record<string, unknown>>) {
    const r = new ParamReader(this.name, params, ALLOWED[this.name]);
    if (params.ert === undefined)
      throw r.error('ert', 'is required: the expected run time in rows (rule "online.ert_set")');
    const ert = r.number('ert', 0, { min: 1, exclusiveMin: true });
    const nBootstraps = r.number('nBootstraps', DEFAULT_ONLINE_BOOTSTRAPS[this.name], {
      min: 1,
      max: MAX_ONLINE_BOOTSTRAPS,
      integer: true,
    });
    const unset = params.seed === undefined || params.seed === null;
    const seed = r.number('seed', unset ? this.drawSeed() : 0, { min: 0, max: MAX_SEED, integer: true });
    const windows = this.readWindows(r, params);
    const sigma =
      this.name === 'online-mmd' ? r.optionalNumber('sigma', { min: 0, exclusiveMin: true }) : undefined;
    return { ert, nBootstraps, seed, windows, sigma, r };
  }

  validate(state: FittedState): void {
    this.readParams(state.params);
    validateReferenceMatrix(state);
    // Rebuilding the running detector checks the saved fit against its reference.
    onlineDetectorOf(this.kernels, state);
  }

  fit(
    reference: FeatureTable,
    params: Readonly<Record<string, unknown>> = {},
    options: KindFitOptions = {},
  ): FittedState {
    const { ert, nBootstraps, seed, windows, sigma, r } = this.readParams(params);
    requireNumeric(this.name, reference);
    const largest = Math.max(...windows);
    const needed = Math.max(this.minReferenceRows, 2 * largest + 1);
    if (reference.rows < needed) {
      throw new InvalidArgumentError(
        `kind ${quoteName(this.name)} with a window of ${largest} rows needs a reference of at least ${needed} rows (window below half the reference, rule "online.window_size_range"), got ${reference.rows}`,
        { field: 'reference' },
      );
    }
    requireFinite(reference);
    const data = toRowMajor(reference);
    const matrix: DenseMatrix = { rows: reference.rows, cols: reference.columns.length, data };
    // libs/stats takes the seed as a 32-bit integer; the saved seed is the unsigned one.
    const kernelSeed = seed | 0;
    const budget = options.budget ? { budget: options.budget } : {};
    const detector =
      this.name === 'online-mmd'
        ? this.kernels.MmdDriftOnline.fit(matrix, {
            ert,
            windowSize: windows[0]!,
            nBootstraps,
            seed: kernelSeed,
            ...(sigma !== undefined ? { sigma } : {}),
            ...budget,
          })
        : this.kernels.CvmDriftOnline.fit(matrix, {
            ert,
            windowSizes: windows,
            nBootstraps,
            seed: kernelSeed,
            ...budget,
          });
    const fit = JSON.parse(JSON.stringify(detector.toJson())) as JsonValue;
    return fittedState(this.name, r.params, reference, { online: fit }, { reference: data });
  }

  score(state: FittedState, table: FeatureTable): DriftResult {
    requireScorable(this.name, state, table, 1);
    requireFinite(table);
    return runOnline(onlineDetectorOf(this.kernels, state), state, table);
  }

  private readWindows(r: ParamReader, params: Readonly<Record<string, unknown>>): number[] {
    if (this.name === 'online-mmd') {
      if (params.windowSize === undefined)
        throw r.error('windowSize', 'is required (rule "online.window_size_range")');
      return [r.number('windowSize', 0, { min: 2, integer: true })];
    }
    const sizes = r.json('windowSizes', (v) =>
      Array.isArray(v) &&
      v.length > 0 &&
      v.length <= MAX_CVM_ONLINE_WINDOWS &&
      v.every((w) => Number.isInteger(w) && w >= 1) &&
      // The same size twice would only repeat its statistic and its thresholds' bootstrap.
      new Set(v).size === v.length
        ? (v as number[])
        : `must be 1 to ${MAX_CVM_ONLINE_WINDOWS} different integers of at least 1 (rule "online.window_size_range")`,
    );
    if (sizes === undefined) throw r.error('windowSizes', 'is required (rule "online.window_size_range")');
    return sizes;
  }
}

/** The online kind `name` over `kernels`; `seeds` draws the seed of a fit given none. */
export function onlineKind(
  name: OnlineKindName,
  kernels: DriftKernels,
  minReferenceRows: number,
  seeds: () => number,
): DetectorKind<DriftResult> {
  return new OnlineKind(name, kernels, minReferenceRows, seeds);
}
