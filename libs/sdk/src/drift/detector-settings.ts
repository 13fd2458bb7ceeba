/**
 * A drift detector's kind and settings as one flat, plain object, and its conversion to and
 * from the contract's `DriftDetectorConfig` (a oneof of per-kind messages). Flat, because a
 * caller (and the CLI's flags) think "KS at p 0.01 with FDR", not "the ks member of a
 * oneof"; a setting the chosen kind does not have is refused naming it, so nothing given is
 * silently dropped.
 */
import { driftV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';

/** The detector kinds, as the CLI's `--kind` names them. */
export const DRIFT_KINDS = [
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

/** One of {@link DRIFT_KINDS}; `tabular` is the default. */
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** How per-feature p-values become one verdict: Bonferroni (the default) or Benjamini-Hochberg. */
export type DriftCorrection = 'bonferroni' | 'fdr';

/** The KS p-value method, as scipy's `ks_2samp` names it. */
export type KsMethodName = 'auto' | 'exact' | 'asymp';

/** The KS alternative hypothesis. */
export type KsAlternative = 'two-sided' | 'less' | 'greater';

/** An effect size a detector can alert on. */
export type EffectSizeName = 'psi' | 'jensen-shannon' | 'wasserstein' | 'hellinger';

/**
 * A detector's kind and settings. Every setting is optional (the service fills in Alibi
 * Detect's defaults: p-value 0.05, Bonferroni, 100 permutations); each applies to the kinds
 * its comment names, and given for another kind it is an InvalidArgumentError naming it.
 */
export interface DriftDetectorSettings {
  /** The kind; unset means `tabular`. */
  readonly kind?: DriftKind;
  /** Significance level in (0, 1): tabular, ks, cvm, chi2, mmd, lsdd. */
  readonly pVal?: number;
  /** Multiple-testing correction: tabular, ks, cvm, chi2. */
  readonly correction?: DriftCorrection;
  /** KS p-value method: tabular (its KS features), ks. */
  readonly method?: KsMethodName;
  /** The test of numeric features: tabular. */
  readonly numericTest?: 'ks' | 'cvm';
  /** The KS alternative: ks. */
  readonly alternative?: KsAlternative;
  /** Permutations of the test (10-100000): mmd, lsdd. */
  readonly permutations?: number;
  /** Seed of permutations or bootstraps: mmd, lsdd, online-mmd, online-cvm. */
  readonly seed?: number | bigint;
  /** Kernel bandwidth (> 0; unset: the median heuristic): mmd, lsdd, online-mmd. */
  readonly sigma?: number;
  /** Kernel centres sampled from the reference: lsdd. */
  readonly kernelCenters?: number;
  /** Regularisation (> 0): lsdd. */
  readonly lambda?: number;
  /**
   * Categories per feature index (values 0..n-1): chi2, as the contract has it. This version of
   * the drift service refuses it at createDetector (it takes the reference's categories).
   */
  readonly categoriesPerFeature?: Readonly<Record<number, number>>;
  /** Reference quantile bounding "in range" values, in [0, 0.5): quality. */
  readonly boundQuantile?: number;
  /** A feature's share of failed checks above which a batch drifts, in [0, 1]: quality. */
  readonly maxFailureRate?: number;
  /** Share of reference variance the kept components explain, in (0, 1]: pca. */
  readonly varianceExplained?: number;
  /** Threshold as mean + this many standard deviations of the reference chunks' errors: pca. */
  readonly thresholdSigmas?: number;
  /** Rows per reference chunk for the threshold: pca. */
  readonly chunkRows?: number;
  /** Expected run time without drift, in rows (required): online-mmd, online-cvm. */
  readonly ert?: number;
  /** Sliding window length in rows (required): online-mmd. */
  readonly windowSize?: number;
  /** Sliding windows' lengths in rows (at least one): online-cvm. */
  readonly windowSizes?: readonly number[];
  /** Bootstrap simulations for the thresholds: online-mmd, online-cvm. */
  readonly bootstraps?: number;
  /** Alert on an effect size instead of p-values: tabular, ks, cvm, chi2. */
  readonly effectSizeAlert?: EffectSizeAlertSettings;
}

/** An alert on an effect size instead of p-values. */
export interface EffectSizeAlertSettings {
  /** The effect size compared. */
  readonly metric: EffectSizeName;
  /** Drift when a feature's effect size is above this; > 0. */
  readonly threshold: number;
}

type SettingKey = Exclude<keyof DriftDetectorSettings, 'kind'>;

/** The settings each kind has. */
export const SETTINGS_OF_KIND: Readonly<Record<DriftKind, readonly SettingKey[]>> = {
  tabular: ['pVal', 'correction', 'method', 'numericTest', 'effectSizeAlert'],
  ks: ['pVal', 'correction', 'method', 'alternative', 'effectSizeAlert'],
  cvm: ['pVal', 'correction', 'effectSizeAlert'],
  chi2: ['pVal', 'correction', 'categoriesPerFeature', 'effectSizeAlert'],
  mmd: ['pVal', 'permutations', 'sigma', 'seed'],
  lsdd: ['pVal', 'permutations', 'sigma', 'kernelCenters', 'lambda', 'seed'],
  quality: ['boundQuantile', 'maxFailureRate'],
  pca: ['varianceExplained', 'thresholdSigmas', 'chunkRows'],
  'online-mmd': ['ert', 'windowSize', 'bootstraps', 'sigma', 'seed'],
  'online-cvm': ['ert', 'windowSizes', 'bootstraps', 'seed'],
};

const CORRECTIONS: Readonly<Record<DriftCorrection, driftV1.Correction>> = {
  bonferroni: driftV1.Correction.CORRECTION_BONFERRONI,
  fdr: driftV1.Correction.CORRECTION_FDR,
};
const KS_METHODS: Readonly<Record<KsMethodName, driftV1.KsMethod>> = {
  auto: driftV1.KsMethod.KS_METHOD_AUTO,
  exact: driftV1.KsMethod.KS_METHOD_EXACT,
  asymp: driftV1.KsMethod.KS_METHOD_ASYMP,
};
const ALTERNATIVES: Readonly<Record<KsAlternative, driftV1.Alternative>> = {
  'two-sided': driftV1.Alternative.ALTERNATIVE_TWO_SIDED,
  less: driftV1.Alternative.ALTERNATIVE_LESS,
  greater: driftV1.Alternative.ALTERNATIVE_GREATER,
};
const NUMERIC_TESTS: Readonly<Record<'ks' | 'cvm', driftV1.NumericTest>> = {
  ks: driftV1.NumericTest.NUMERIC_TEST_KS,
  cvm: driftV1.NumericTest.NUMERIC_TEST_CVM,
};
const EFFECT_SIZES: Readonly<Record<EffectSizeName, driftV1.EffectSizeMetric>> = {
  psi: driftV1.EffectSizeMetric.EFFECT_SIZE_METRIC_PSI,
  'jensen-shannon': driftV1.EffectSizeMetric.EFFECT_SIZE_METRIC_JENSEN_SHANNON,
  wasserstein: driftV1.EffectSizeMetric.EFFECT_SIZE_METRIC_WASSERSTEIN,
  hellinger: driftV1.EffectSizeMetric.EFFECT_SIZE_METRIC_HELLINGER,
};

/** The largest value of a uint64 seed. */
const MAX_SEED = 2n ** 64n - 1n;

function pick<K extends string, V>(table: Readonly<Record<K, V>>, value: K | undefined, field: string): V {
  if (value === undefined) return undefined as V;
  if (!Object.hasOwn(table, value)) {
    const allowed = Object.keys(table)
      .map((key) => JSON.stringify(key))
      .join(', ');
    throw new InvalidArgumentError(`${field}: must be one of ${allowed}, got ${JSON.stringify(value)}`, {
      field,
    });
  }
  return table[value];
}

function seedOf(seed: number | bigint | undefined): bigint | undefined {
  if (seed === undefined) return undefined;
  const ok = typeof seed === 'bigint' ? true : Number.isSafeInteger(seed);
  const value = ok ? BigInt(seed) : -1n;
  if (value < 0n || value > MAX_SEED) {
    throw new InvalidArgumentError(`seed: must be a whole number from 0 to 2^64-1, got ${String(seed)}`, {
      field: 'seed',
    });
  }
  return value;
}

function wholeOf(value: number | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > 4_294_967_295) {
    throw new InvalidArgumentError(`${field}: must be a whole number, got ${value}`, { field });
  }
  return value;
}

/** The kind of settings (tabular when unset), checked. */
export function kindOf(settings: DriftDetectorSettings): DriftKind {
  const kind = settings.kind ?? 'tabular';
  if (!(DRIFT_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidArgumentError(
      `kind: must be one of ${DRIFT_KINDS.join(', ')}, got ${JSON.stringify(kind)}`,
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
 * @throws InvalidArgumentError naming a setting the kind does not have, or an unknown name.
 */
export function configOfSettings(settings: DriftDetectorSettings): driftV1.DriftDetectorConfig {
  const kind = kindOf(settings);
  const allowed = SETTINGS_OF_KIND[kind];
  for (const [key, value] of Object.entries(settings)) {
    if (key === 'kind' || value === undefined) continue;
    if (!(allowed as readonly string[]).includes(key)) {
      const owners = DRIFT_KINDS.filter((k) => (SETTINGS_OF_KIND[k] as readonly string[]).includes(key));
      const where = owners.length === 0 ? 'is not a setting' : `applies to ${owners.join(', ')}`;
      throw new InvalidArgumentError(`${key}: ${where}, not to kind ${kind}`, { field: key });
    }
  }
  const s = settings;
  const correction = pick(CORRECTIONS, s.correction, 'correction') ?? 0;
  const config: driftV1.DeepPartial<driftV1.DriftDetectorConfig> = {};
  switch (kind) {
    case 'tabular':
      config.tabular = {
        pVal: s.pVal,
        correction,
        numericTest: pick(NUMERIC_TESTS, s.numericTest, 'numericTest') ?? 0,
        ksMethod: pick(KS_METHODS, s.method, 'method') ?? 0,
      };
      break;
    case 'ks':
      config.ks = {
        pVal: s.pVal,
        correction,
        alternative: pick(ALTERNATIVES, s.alternative, 'alternative') ?? 0,
        method: pick(KS_METHODS, s.method, 'method') ?? 0,
      };
      break;
    case 'cvm':
      config.cvm = { pVal: s.pVal, correction };
      break;
    case 'chi2':
      config.chiSquare = {
        pVal: s.pVal,
        correction,
        categoriesPerFeature: Object.fromEntries(
          Object.entries(s.categoriesPerFeature ?? {}).map(([index, count]) => [
            wholeOf(Number(index), 'categoriesPerFeature'),
            wholeOf(count, 'categoriesPerFeature'),
          ]),
        ),
      };
      break;
    case 'mmd':
      config.mmd = {
        pVal: s.pVal,
        nPermutations: wholeOf(s.permutations, 'permutations'),
        sigma: s.sigma,
        seed: seedOf(s.seed),
      };
      break;
    case 'lsdd':
      config.lsdd = {
        pVal: s.pVal,
        nPermutations: wholeOf(s.permutations, 'permutations'),
        sigma: s.sigma,
        nKernelCenters: wholeOf(s.kernelCenters, 'kernelCenters'),
        lambda: s.lambda,
        seed: seedOf(s.seed),
      };
      break;
    case 'quality':
      config.quality = { boundQuantile: s.boundQuantile, maxFailureRate: s.maxFailureRate };
      break;
    case 'pca':
      config.pca = {
        varianceExplained: s.varianceExplained,
        thresholdSigmas: s.thresholdSigmas,
        chunkRows: wholeOf(s.chunkRows, 'chunkRows'),
      };
      break;
    case 'online-mmd':
      config.mmdOnline = {
        ert: s.ert ?? 0,
        windowSize: wholeOf(s.windowSize, 'windowSize') ?? 0,
        nBootstraps: wholeOf(s.bootstraps, 'bootstraps'),
        sigma: s.sigma,
        seed: seedOf(s.seed),
      };
      break;
    case 'online-cvm':
      config.cvmOnline = {
        ert: s.ert ?? 0,
        windowSizes: (s.windowSizes ?? []).map((size) => wholeOf(size, 'windowSizes') ?? 0),
        nBootstraps: wholeOf(s.bootstraps, 'bootstraps'),
        seed: seedOf(s.seed),
      };
      break;
  }
  if (s.effectSizeAlert !== undefined) {
    config.effectSizeAlert = {
      metric: pick(EFFECT_SIZES, s.effectSizeAlert.metric, 'effectSizeAlert.metric'),
      threshold: s.effectSizeAlert.threshold,
    };
  }
  return driftV1.DriftDetectorConfig.fromPartial(config);
}

function nameOf<K extends string, V>(table: Readonly<Record<K, V>>, value: V): K | undefined {
  return (Object.keys(table) as K[]).find((key) => table[key] === value);
}

/** Drops undefined fields, so a decoded settings object shows only what the service says. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Plain settings from the contract's config (as the service answers it, defaults filled in). */
export function settingsOfConfig(config: driftV1.DriftDetectorConfig | undefined): DriftDetectorSettings {
  const c = config ?? driftV1.DriftDetectorConfig.fromPartial({});
  const alert =
    c.effectSizeAlert === undefined
      ? undefined
      : (() => {
          const metric = nameOf(EFFECT_SIZES, c.effectSizeAlert.metric);
          return metric === undefined ? undefined : { metric, threshold: c.effectSizeAlert.threshold };
        })();
  const common = { effectSizeAlert: alert };
  if (c.ks) {
    return defined({
      kind: 'ks',
      pVal: c.ks.pVal,
      correction: nameOf(CORRECTIONS, c.ks.correction),
      method: nameOf(KS_METHODS, c.ks.method),
      alternative: nameOf(ALTERNATIVES, c.ks.alternative),
      ...common,
    });
  }
  if (c.cvm)
    return defined({
      kind: 'cvm',
      pVal: c.cvm.pVal,
      correction: nameOf(CORRECTIONS, c.cvm.correction),
      ...common,
    });
  if (c.chiSquare) {
    const categories = Object.entries(c.chiSquare.categoriesPerFeature);
    return defined({
      kind: 'chi2',
      pVal: c.chiSquare.pVal,
      correction: nameOf(CORRECTIONS, c.chiSquare.correction),
      categoriesPerFeature:
        categories.length === 0 ? undefined : Object.fromEntries(categories.map(([k, v]) => [Number(k), v])),
      ...common,
    });
  }
  if (c.mmd) {
    return defined({
      kind: 'mmd',
      pVal: c.mmd.pVal,
      permutations: c.mmd.nPermutations,
      sigma: c.mmd.sigma,
      seed: c.mmd.seed,
    });
  }
  if (c.lsdd) {
    return defined({
      kind: 'lsdd',
      pVal: c.lsdd.pVal,
      permutations: c.lsdd.nPermutations,
      sigma: c.lsdd.sigma,
      kernelCenters: c.lsdd.nKernelCenters,
      lambda: c.lsdd.lambda,
      seed: c.lsdd.seed,
    });
  }
  if (c.quality) {
    return defined({
      kind: 'quality',
      boundQuantile: c.quality.boundQuantile,
      maxFailureRate: c.quality.maxFailureRate,
    });
  }
  if (c.pca) {
    return defined({
      kind: 'pca',
      varianceExplained: c.pca.varianceExplained,
      thresholdSigmas: c.pca.thresholdSigmas,
      chunkRows: c.pca.chunkRows,
    });
  }
  if (c.mmdOnline) {
    return defined({
      kind: 'online-mmd',
      ert: c.mmdOnline.ert,
      windowSize: c.mmdOnline.windowSize,
      bootstraps: c.mmdOnline.nBootstraps,
      sigma: c.mmdOnline.sigma,
      seed: c.mmdOnline.seed,
    });
  }
  if (c.cvmOnline) {
    return defined({
      kind: 'online-cvm',
      ert: c.cvmOnline.ert,
      windowSizes: [...c.cvmOnline.windowSizes],
      bootstraps: c.cvmOnline.nBootstraps,
      seed: c.cvmOnline.seed,
    });
  }
  const tabular = c.tabular;
  return defined({
    kind: 'tabular',
    pVal: tabular?.pVal,
    correction: tabular && nameOf(CORRECTIONS, tabular.correction),
    numericTest: tabular && nameOf(NUMERIC_TESTS, tabular.numericTest),
    method: tabular && nameOf(KS_METHODS, tabular.ksMethod),
    ...common,
  });
}

/** The plain name of a correction the service answered; undefined for none (MMD, PCA, ...). */
export function correctionName(correction: driftV1.Correction): DriftCorrection | undefined {
  return nameOf(CORRECTIONS, correction);
}
