/**
 * An outlier detector's kind and settings as one flat, plain object, and its conversion to
 * and from the contract's `OutlierDetectorConfig` (a oneof of per-kind messages plus the
 * threshold rule). Flat, as drift's settings are: a caller (and the CLI's flags) think
 * "an isolation forest of 200 trees, threshold at the 99th percentile", not "the iforest
 * member of a oneof"; a setting the chosen kind does not have is refused naming it, so
 * nothing given is silently dropped. Setting names are the contract's fields in camelCase
 * (`nEstimators` is `config.iforest.n_estimators`), so a service's refusal names them too.
 */
import { outlierV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';

/** The detector kinds, as the CLI's `--kind` names them. */
export const OUTLIER_KINDS = ['iforest', 'mahalanobis', 'autoencoder'] as const;

/** One of {@link OUTLIER_KINDS}. */
export type OutlierKind = (typeof OUTLIER_KINDS)[number];

/**
 * A detector's kind and settings. Every setting but `kind` is optional (the service fills in
 * Alibi Detect's defaults: 100 trees, min(256, rows) samples, ...); each applies to the kinds
 * its comment names, and given for another kind it is an InvalidArgumentError naming it.
 */
export interface OutlierDetectorSettings {
  /** The kind; required. */
  readonly kind: OutlierKind;
  /** A fixed threshold on the instance score (every kind); at most one threshold rule. */
  readonly threshold?: number;
  /**
   * Fit sets the threshold at this percentile of the reference's own scores, in (0, 100]
   * (every kind; the CLI sends 95, Alibi's default).
   */
  readonly thresholdPercentile?: number;
  /** Trees (1-10000; unset: 100): iforest. */
  readonly nEstimators?: number;
  /** Rows sampled per tree (unset: min(256, rows)): iforest. */
  readonly maxSamples?: number;
  /** The fraction of features drawn per tree, in (0, 1] (unset: 1): iforest. */
  readonly maxFeatures?: number;
  /** Draw rows with replacement: iforest. */
  readonly bootstrap?: boolean;
  /** scikit-learn's contamination in (0, 0.5], a threshold rule: iforest. */
  readonly contamination?: number;
  /** Seed of sampling, MCD starts or weight initialisation (unset: drawn, then saved): every kind. */
  readonly seed?: number | bigint;
  /** The running statistics weigh the newest maxN rows (unset or 0: all): mahalanobis. */
  readonly maxN?: number | bigint;
  /** Update the running mean and covariance with each Predict batch's inliers: mahalanobis. */
  readonly updateOnPredict?: boolean;
  /** Update them with the live stream's inliers once attached: mahalanobis. */
  readonly updateFromLive?: boolean;
  /** Robust mean and covariance by FastMCD (no updates then): mahalanobis. */
  readonly robust?: boolean;
  /** MCD's support fraction, in (0.5, 1]: mahalanobis. */
  readonly supportFraction?: number;
  /** Added to the covariance's diagonal (times the mean variance) before inverting: mahalanobis. */
  readonly ridge?: number;
  /** Encoder layers' units, outermost first; the last is the code size: autoencoder. */
  readonly hiddenUnits?: readonly number[];
  /** Passes over the reference (unset: 50): autoencoder. */
  readonly epochs?: number;
  /** Rows per gradient step (unset: 64): autoencoder. */
  readonly batchSize?: number;
  /** Adam's learning rate, in (0, 1] (unset: 0.001): autoencoder. */
  readonly learningRate?: number;
  /** The training's time budget in seconds (unset: 600): autoencoder. */
  readonly maxTrainingSeconds?: number;
}

type SettingKey = Exclude<keyof OutlierDetectorSettings, 'kind'>;

/** The settings every kind has. */
const COMMON: readonly SettingKey[] = ['threshold', 'thresholdPercentile', 'seed'];

/** The settings each kind has. */
export const OUTLIER_SETTINGS_OF_KIND: Readonly<Record<OutlierKind, readonly SettingKey[]>> = {
  iforest: [...COMMON, 'nEstimators', 'maxSamples', 'maxFeatures', 'bootstrap', 'contamination'],
  mahalanobis: [...COMMON, 'maxN', 'updateOnPredict', 'updateFromLive', 'robust', 'supportFraction', 'ridge'],
  autoencoder: [...COMMON, 'hiddenUnits', 'epochs', 'batchSize', 'learningRate', 'maxTrainingSeconds'],
};

/** The largest value of a uint64 field. */
const MAX_UINT64 = 2n ** 64n - 1n;
/** The largest value of a uint32 field. */
const MAX_UINT32 = 4_294_967_295;

function uint64Of(value: number | bigint | undefined, field: string): bigint | undefined {
  if (value === undefined) return undefined;
  const ok = typeof value === 'bigint' || Number.isSafeInteger(value);
  const big = ok ? BigInt(value) : -1n;
  if (big < 0n || big > MAX_UINT64) {
    throw new InvalidArgumentError(
      `${field}: must be a whole number from 0 to 2^64-1, got ${String(value)}`,
      {
        field,
      },
    );
  }
  return big;
}

function uint32Of(value: number | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > MAX_UINT32) {
    throw new InvalidArgumentError(`${field}: must be a whole number, got ${value}`, { field });
  }
  return value;
}

/** The kind of settings, checked. */
export function outlierKindOf(settings: Pick<OutlierDetectorSettings, 'kind'>): OutlierKind {
  const kind = settings.kind;
  if (!(OUTLIER_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidArgumentError(
      `kind: must be one of ${OUTLIER_KINDS.join(', ')}, got ${JSON.stringify(kind)}`,
      { field: 'kind' },
    );
  }
  return kind;
}

/**
 * The contract's config for `settings`. Value ranges are the service's to check (it names
 * the field and rule); here only what cannot be encoded, or belongs to another kind, is
 * refused.
 *
 * @throws InvalidArgumentError naming a setting the kind does not have, an unknown kind,
 *   or a value that is not a whole number where the contract needs one.
 */
export function outlierConfigOfSettings(settings: OutlierDetectorSettings): outlierV1.OutlierDetectorConfig {
  const kind = outlierKindOf(settings);
  const allowed = OUTLIER_SETTINGS_OF_KIND[kind] as readonly string[];
  for (const [key, value] of Object.entries(settings)) {
    if (key === 'kind' || value === undefined) continue;
    if (!allowed.includes(key)) {
      const owners = OUTLIER_KINDS.filter((k) =>
        (OUTLIER_SETTINGS_OF_KIND[k] as readonly string[]).includes(key),
      );
      const where = owners.length === 0 ? 'is not a setting' : `applies to ${owners.join(', ')}`;
      throw new InvalidArgumentError(`${key}: ${where}, not to kind ${kind}`, { field: key });
    }
  }
  const s = settings;
  const seed = uint64Of(s.seed, 'seed');
  const config: outlierV1.DeepPartial<outlierV1.OutlierDetectorConfig> = {
    ...(s.threshold !== undefined && { threshold: s.threshold }),
    ...(s.thresholdPercentile !== undefined && { thresholdPercentile: s.thresholdPercentile }),
  };
  switch (kind) {
    case 'iforest':
      config.iforest = {
        nEstimators: uint32Of(s.nEstimators, 'nEstimators'),
        maxSamples: uint32Of(s.maxSamples, 'maxSamples'),
        maxFeatures: s.maxFeatures,
        bootstrap: s.bootstrap === true,
        seed,
        contamination: s.contamination,
      };
      break;
    case 'mahalanobis':
      config.mahalanobis = {
        maxN: uint64Of(s.maxN, 'maxN'),
        updateOnPredict: s.updateOnPredict === true,
        updateFromLive: s.updateFromLive === true,
        robust: s.robust === true,
        supportFraction: s.supportFraction,
        ridge: s.ridge,
        seed,
      };
      break;
    case 'autoencoder':
      config.autoencoder = {
        hiddenUnits: (s.hiddenUnits ?? []).map((units) => uint32Of(units, 'hiddenUnits') ?? 0),
        epochs: uint32Of(s.epochs, 'epochs'),
        batchSize: uint32Of(s.batchSize, 'batchSize'),
        learningRate: s.learningRate,
        seed,
        maxTrainingSeconds: s.maxTrainingSeconds,
      };
      break;
  }
  return outlierV1.OutlierDetectorConfig.fromPartial(config);
}

/** Drops undefined and false fields, so decoded settings show only what the service set. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== false)) as T;
}

/**
 * Plain settings from the contract's config (as the service answers it, defaults filled
 * in). A config with no kind (a protocol break) reads as iforest with nothing set.
 */
export function outlierSettingsOfConfig(
  config: outlierV1.OutlierDetectorConfig | undefined,
): OutlierDetectorSettings {
  const c = config ?? outlierV1.OutlierDetectorConfig.fromPartial({});
  const common = { threshold: c.threshold, thresholdPercentile: c.thresholdPercentile };
  if (c.mahalanobis) {
    const m = c.mahalanobis;
    return defined({
      kind: 'mahalanobis' as const,
      ...common,
      maxN: m.maxN === undefined ? undefined : Number(m.maxN),
      updateOnPredict: m.updateOnPredict,
      updateFromLive: m.updateFromLive,
      robust: m.robust,
      supportFraction: m.supportFraction,
      ridge: m.ridge,
      seed: m.seed,
    });
  }
  if (c.autoencoder) {
    const a = c.autoencoder;
    return defined({
      kind: 'autoencoder' as const,
      ...common,
      hiddenUnits: a.hiddenUnits.length === 0 ? undefined : [...a.hiddenUnits],
      epochs: a.epochs,
      batchSize: a.batchSize,
      learningRate: a.learningRate,
      seed: a.seed,
      maxTrainingSeconds: a.maxTrainingSeconds,
    });
  }
  const f = c.iforest;
  return defined({
    kind: 'iforest' as const,
    ...common,
    nEstimators: f?.nEstimators,
    maxSamples: f?.maxSamples,
    maxFeatures: f?.maxFeatures,
    bootstrap: f?.bootstrap,
    seed: f?.seed,
    contamination: f?.contamination,
  });
}
