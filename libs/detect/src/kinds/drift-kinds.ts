/**
 * Every drift kind by name, over one set of injected kernels. A service builds one in its
 * composition root (`new DriftKinds(STATS_KERNELS)`); tests pass the reference double.
 */
import { InvalidArgumentError, quoteName, UnimplementedError } from '@sightline/errors';
import type { DriftKernels } from '../kernels.js';
import type { DetectorKind } from './detector-kind.js';
import type { DriftResult } from './drift-result.js';
import { FEATURE_TEST_MIN_REFERENCE_ROWS, featureTestKind } from './feature-test-kinds.js';
import {
  DEFAULT_MAX_KERNEL_REFERENCE_ROWS,
  drawSeed,
  MULTIVARIATE_MIN_REFERENCE_ROWS,
  multivariateKind,
} from './multivariate-kinds.js';
import { ONLINE_MIN_REFERENCE_ROWS, onlineKind } from './online-kinds.js';
import { QUALITY_MIN_REFERENCE_ROWS, qualityKind } from './quality-kind.js';

/** Every drift kind, the default first. */
export const DRIFT_KIND_NAMES = [
  'tabular',
  'ks',
  'cvm',
  'chi2',
  'mmd',
  'lsdd',
  'quality',
  'pca',
  'online-mmd',
  'online-cvm',
] as const;

/** A drift kind's name. */
export type DriftKindName = (typeof DRIFT_KIND_NAMES)[number];

/** The kind a detector gets when none is named, as the issue asks: mixed tabular data. */
export const DEFAULT_DRIFT_KIND: DriftKindName = 'tabular';

/** Kinds of the issue not built in this version; named so a caller gets UNIMPLEMENTED, not "unknown". */
export const UNSUPPORTED_DRIFT_KINDS: readonly string[] = [];

/** Fewest reference rows of each kind, by default. */
export const DEFAULT_MIN_REFERENCE_ROWS: Readonly<Record<DriftKindName, number>> = {
  ...FEATURE_TEST_MIN_REFERENCE_ROWS,
  ...MULTIVARIATE_MIN_REFERENCE_ROWS,
  quality: QUALITY_MIN_REFERENCE_ROWS,
  ...ONLINE_MIN_REFERENCE_ROWS,
};

/** Overrides of the kinds' limits. */
export interface DriftKindOptions {
  /** Fewest reference rows per kind (defaults: {@link DEFAULT_MIN_REFERENCE_ROWS}). */
  readonly minReferenceRows?: Partial<Record<DriftKindName, number>>;
  /** Most reference rows of mmd and lsdd (default {@link DEFAULT_MAX_KERNEL_REFERENCE_ROWS}). */
  readonly maxKernelReferenceRows?: number;
  /**
   * Draws the permutation seed of an mmd or lsdd fit given none (default: a random unsigned
   * 32-bit integer); the seed is saved in the params.
   */
  readonly drawSeed?: () => number;
}

/** The drift kinds by name. */
export class DriftKinds {
  private readonly kinds: ReadonlyMap<string, DetectorKind<DriftResult>>;

  constructor(kernels: DriftKernels, options: DriftKindOptions = {}) {
    const min = { ...DEFAULT_MIN_REFERENCE_ROWS, ...options.minReferenceRows };
    const max = options.maxKernelReferenceRows ?? DEFAULT_MAX_KERNEL_REFERENCE_ROWS;
    const seeds = options.drawSeed ?? drawSeed;
    this.kinds = new Map<string, DetectorKind<DriftResult>>([
      ['tabular', featureTestKind('tabular', kernels, min.tabular)],
      ['ks', featureTestKind('ks', kernels, min.ks)],
      ['cvm', featureTestKind('cvm', kernels, min.cvm)],
      ['chi2', featureTestKind('chi2', kernels, min.chi2)],
      ['mmd', multivariateKind('mmd', kernels, min.mmd, max, seeds)],
      ['lsdd', multivariateKind('lsdd', kernels, min.lsdd, max, seeds)],
      ['pca', multivariateKind('pca', kernels, min.pca, max, seeds)],
      ['quality', qualityKind(kernels, min.quality)],
      ['online-mmd', onlineKind('online-mmd', kernels, min['online-mmd'], seeds)],
      ['online-cvm', onlineKind('online-cvm', kernels, min['online-cvm'], seeds)],
    ]);
  }

  /** Names of the kinds, the default first. */
  get names(): readonly DriftKindName[] {
    return DRIFT_KIND_NAMES;
  }

  /**
   * The kind `name` (the default when undefined or empty).
   * @throws InvalidArgumentError for an unknown kind; UnimplementedError for one of
   *   {@link UNSUPPORTED_DRIFT_KINDS}.
   */
  get(name: string | undefined): DetectorKind<DriftResult> {
    const wanted = name === undefined || name === '' ? DEFAULT_DRIFT_KIND : name;
    const kind = this.kinds.get(wanted);
    if (kind !== undefined) return kind;
    if (UNSUPPORTED_DRIFT_KINDS.includes(wanted)) {
      throw new UnimplementedError(
        `kind ${quoteName(wanted)} is not supported in this version; use ${DRIFT_KIND_NAMES.join(', ')}`,
      );
    }
    throw new InvalidArgumentError(`kind ${quoteName(wanted)} is not one of ${DRIFT_KIND_NAMES.join(', ')}`, {
      field: 'kind',
    });
  }
}
