/**
 * Every outlier kind by name, over one set of injected kernels: the outlier service's
 * catalogue (`new OutlierKinds(STATS_OUTLIER_KERNELS)`, or {@link outlierKinds}).
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { KindCatalogue } from '../fitted-detectors.js';
import type { DetectorKind } from '../kinds/detector-kind.js';
import { drawSeed } from '../kinds/multivariate-kinds.js';
import { createAutoencoderKind } from './autoencoder-kind.js';
import { IFOREST_MIN_REFERENCE_ROWS, iforestKind } from './iforest-kind.js';
import { MAHALANOBIS_MIN_REFERENCE_ROWS, mahalanobisKind } from './mahalanobis-kind.js';
import { type OutlierKernels, STATS_OUTLIER_KERNELS } from './outlier-kernels.js';
import type { OutlierKind, OutlierScores } from './outlier-scores.js';

/** Every outlier kind, as the contract's `OutlierDetectorConfig.kind` names them. */
export const OUTLIER_KIND_NAMES = ['iforest', 'mahalanobis', 'autoencoder'] as const;

/** An outlier kind's name. */
export type OutlierKindName = (typeof OUTLIER_KIND_NAMES)[number];

/** Each kind as Alibi Detect names its detector (the lineage's `kind`, DetectorMeta.kind). */
export const ALIBI_KIND_NAMES: Readonly<Record<OutlierKindName, string>> = {
  iforest: 'IForest',
  mahalanobis: 'Mahalanobis',
  autoencoder: 'OutlierAE',
};

/** Options of {@link OutlierKinds}. */
export interface OutlierKindOptions {
  /** Draws the seed of a fit given none (default: a random unsigned 32-bit integer); saved in the params. */
  readonly drawSeed?: () => number;
  /**
   * The autoencoder kind (a service builds it with `createAutoencoderKind({ logger, device })`
   * so TF.js's backend choice is logged and follows its device setting); by default one with
   * the default device and these seeds.
   */
  readonly autoencoder?: OutlierKind;
}

/** The outlier kinds by name. */
export class OutlierKinds implements KindCatalogue<OutlierScores> {
  private readonly kinds: ReadonlyMap<string, DetectorKind<OutlierScores>>;

  constructor(kernels: OutlierKernels = STATS_OUTLIER_KERNELS, options: OutlierKindOptions = {}) {
    const seeds = options.drawSeed ?? drawSeed;
    this.kinds = new Map<string, DetectorKind<OutlierScores>>([
      ['iforest', iforestKind(kernels, IFOREST_MIN_REFERENCE_ROWS, seeds)],
      ['mahalanobis', mahalanobisKind(kernels, MAHALANOBIS_MIN_REFERENCE_ROWS, seeds)],
      ['autoencoder', options.autoencoder ?? createAutoencoderKind({ seeds })],
    ]);
  }

  /** Names of the kinds. */
  get names(): readonly OutlierKindName[] {
    return OUTLIER_KIND_NAMES;
  }

  /**
   * The kind `name`.
   * @throws InvalidArgumentError for no name or an unknown one.
   */
  get(name: string | undefined): DetectorKind<OutlierScores> {
    if (name === undefined || name === '') {
      throw new InvalidArgumentError(`a kind is required: one of ${OUTLIER_KIND_NAMES.join(', ')}`, {
        field: 'kind',
      });
    }
    const kind = this.kinds.get(name);
    if (kind !== undefined) return kind;
    throw new InvalidArgumentError(`kind ${quoteName(name)} is not one of ${OUTLIER_KIND_NAMES.join(', ')}`, {
      field: 'kind',
    });
  }
}

/** The outlier kinds over libs/stats' kernels, with drawn seeds. */
export const outlierKinds: OutlierKinds = new OutlierKinds();
