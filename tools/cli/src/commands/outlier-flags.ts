/**
 * The flags of `sightline outlier fit` turned into the SDK's outlier settings (`--kind`,
 * `--trees`, `--hidden-units 8,4`, ...), checked against the kind, compared with a saved
 * detector's, and the threshold rule's default: the 95th percentile of the reference's own
 * scores (Alibi Detect's `threshold_perc`), unless `--threshold` or `--contamination` sets
 * another rule. Every mistake is a UsageError naming the flag, found before any call.
 */
import { InvalidArgumentError, isSightlineError } from '@sightline/errors';
import {
  OUTLIER_KINDS,
  OUTLIER_SETTINGS_OF_KIND,
  type OutlierDetectorSettings,
  type OutlierKind,
} from '@sightline/sdk';
import { UsageError } from '../frame/usage-error.js';
import { listFlag, positive, wholeFlag } from './drift-flags.js';

/** The percentile `fit` sets the threshold at when no rule is given (Alibi's default). */
export const DEFAULT_THRESHOLD_PERCENTILE = 95;

/** `outlier fit`'s settings flags, as commander hands them over. */
export interface OutlierSettingsFlags {
  readonly kind?: string;
  readonly threshold?: string;
  readonly thresholdPercentile?: string;
  readonly seed?: string;
  readonly trees?: string;
  readonly maxSamples?: string;
  readonly maxFeatures?: string;
  readonly bootstrap?: boolean;
  readonly contamination?: string;
  readonly maxN?: string;
  readonly updateOnPredict?: boolean;
  readonly updateFromLive?: boolean;
  readonly robust?: boolean;
  readonly supportFraction?: string;
  readonly ridge?: string;
  readonly hiddenUnits?: string;
  readonly epochs?: string;
  readonly batchSize?: string;
  readonly learningRate?: string;
  readonly maxTrainingSeconds?: string;
}

/** The flag of each setting, for messages. */
export const OUTLIER_FLAG_OF_SETTING: Readonly<Record<string, string>> = {
  threshold: '--threshold',
  thresholdPercentile: '--threshold-percentile',
  seed: '--seed',
  nEstimators: '--trees',
  maxSamples: '--max-samples',
  maxFeatures: '--max-features',
  bootstrap: '--bootstrap',
  contamination: '--contamination',
  maxN: '--max-n',
  updateOnPredict: '--update-on-predict',
  updateFromLive: '--update-from-live',
  robust: '--robust',
  supportFraction: '--support-fraction',
  ridge: '--ridge',
  hiddenUnits: '--hidden-units',
  epochs: '--epochs',
  batchSize: '--batch-size',
  learningRate: '--learning-rate',
  maxTrainingSeconds: '--max-training-seconds',
};

/** The flag of each config field the service names in a refusal (`config.iforest.n_estimators`). */
const FLAG_OF_CONFIG_FIELD: Readonly<Record<string, string>> = {
  n_estimators: '--trees',
  max_samples: '--max-samples',
  max_features: '--max-features',
  contamination: '--contamination',
  max_n: '--max-n',
  support_fraction: '--support-fraction',
  ridge: '--ridge',
  robust: '--robust',
  hidden_units: '--hidden-units',
  epochs: '--epochs',
  batch_size: '--batch-size',
  learning_rate: '--learning-rate',
  max_training_seconds: '--max-training-seconds',
  threshold: '--threshold',
  threshold_percentile: '--threshold-percentile',
};

/**
 * A refusal of `outlier fit` with the flag that set the field the service names (a range
 * the service checks: `config.iforest.n_estimators: ...` becomes `--trees: config.iforest...`).
 */
export function namingOutlierFlag(error: unknown): unknown {
  if (!isSightlineError(error) || error.code !== 'INVALID_ARGUMENT') return error;
  const field = /^config\.(?:(?:iforest|mahalanobis|autoencoder)\.)?(\w+)\b/.exec(error.message)?.[1];
  const flag = field === undefined ? undefined : FLAG_OF_CONFIG_FIELD[field];
  if (flag === undefined) return error;
  return new InvalidArgumentError(`${flag}: ${error.message}`, { cause: error, field: flag });
}

/** A number flag in an open or closed range. */
function numberIn(value: string, flag: string, low: number, high: number, rule: string): number {
  const number = Number(value);
  const ok = value.trim() !== '' && Number.isFinite(number) && number > low && number <= high;
  if (!ok) throw new UsageError(`${flag}: expected ${rule}, got ${JSON.stringify(value)}`);
  return number;
}

function seedFlag(value: string): bigint {
  if (!/^\d+$/.test(value) || BigInt(value) >= 2n ** 64n) {
    throw new UsageError(`--seed: expected a whole number from 0 to 2^64-1, got ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

/** The kind `--kind` names. */
export function outlierKindFlag(value: string): OutlierKind {
  if (!(OUTLIER_KINDS as readonly string[]).includes(value)) {
    throw new UsageError(`--kind: expected one of ${OUTLIER_KINDS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as OutlierKind;
}

/** The settings the flags give: only those given (the service's defaults fill the rest), without `kind`. */
export type GivenOutlierSettings = Omit<OutlierDetectorSettings, 'kind'>;

/**
 * The settings the flags give, without the default threshold rule (see
 * {@link withDefaultThreshold}).
 *
 * @throws UsageError for a malformed value, naming the flag.
 */
export function outlierSettingsFromFlags(flags: OutlierSettingsFlags): GivenOutlierSettings {
  const s: Record<string, unknown> = {};
  if (flags.threshold !== undefined) {
    const value = Number(flags.threshold);
    if (flags.threshold.trim() === '' || !Number.isFinite(value)) {
      throw new UsageError(`--threshold: expected a finite number, got ${JSON.stringify(flags.threshold)}`);
    }
    s.threshold = value;
  }
  if (flags.thresholdPercentile !== undefined) {
    s.thresholdPercentile = numberIn(
      flags.thresholdPercentile,
      '--threshold-percentile',
      0,
      100,
      'a percentile above 0 and at most 100',
    );
  }
  if (flags.seed !== undefined) s.seed = seedFlag(flags.seed);
  if (flags.trees !== undefined) s.nEstimators = wholeFlag(flags.trees, '--trees', 1, 10_000);
  if (flags.maxSamples !== undefined) s.maxSamples = wholeFlag(flags.maxSamples, '--max-samples');
  if (flags.maxFeatures !== undefined)
    s.maxFeatures = numberIn(flags.maxFeatures, '--max-features', 0, 1, 'a fraction above 0 and at most 1');
  if (flags.bootstrap === true) s.bootstrap = true;
  if (flags.contamination !== undefined)
    s.contamination = numberIn(
      flags.contamination,
      '--contamination',
      0,
      0.5,
      'a fraction above 0 and at most 0.5',
    );
  if (flags.maxN !== undefined) s.maxN = wholeFlag(flags.maxN, '--max-n', 0, Number.MAX_SAFE_INTEGER);
  if (flags.updateOnPredict === true) s.updateOnPredict = true;
  if (flags.updateFromLive === true) s.updateFromLive = true;
  if (flags.robust === true) s.robust = true;
  if (flags.supportFraction !== undefined)
    s.supportFraction = numberIn(
      flags.supportFraction,
      '--support-fraction',
      0.5,
      1,
      'a fraction above 0.5 and at most 1',
    );
  if (flags.ridge !== undefined) {
    const ridge = Number(flags.ridge);
    if (flags.ridge.trim() === '' || !(ridge >= 0) || !Number.isFinite(ridge)) {
      throw new UsageError(`--ridge: expected a number of 0 or more, got ${JSON.stringify(flags.ridge)}`);
    }
    s.ridge = ridge;
  }
  if (flags.hiddenUnits !== undefined) {
    s.hiddenUnits = listFlag(flags.hiddenUnits, '--hidden-units').map((units) =>
      wholeFlag(units, '--hidden-units', 1, 4096),
    );
  }
  if (flags.epochs !== undefined) s.epochs = wholeFlag(flags.epochs, '--epochs', 1, 10_000);
  if (flags.batchSize !== undefined) s.batchSize = wholeFlag(flags.batchSize, '--batch-size', 1, 65_536);
  if (flags.learningRate !== undefined)
    s.learningRate = numberIn(flags.learningRate, '--learning-rate', 0, 1, 'a number above 0 and at most 1');
  if (flags.maxTrainingSeconds !== undefined)
    s.maxTrainingSeconds = positive(flags.maxTrainingSeconds, '--max-training-seconds');
  return s as GivenOutlierSettings;
}

/**
 * `settings` for `kind`: `kind` set, and the threshold rule defaulted to the
 * {@link DEFAULT_THRESHOLD_PERCENTILE}th percentile when no rule (`--threshold`,
 * `--threshold-percentile`, `--contamination`) is given.
 *
 * @throws UsageError for a flag the kind has no setting for (naming the kinds that have
 *   it), or two threshold rules.
 */
export function settingsForKind(given: GivenOutlierSettings, kind: OutlierKind): OutlierDetectorSettings {
  const allowed = OUTLIER_SETTINGS_OF_KIND[kind] as readonly string[];
  for (const key of Object.keys(given)) {
    if (allowed.includes(key)) continue;
    const owners = OUTLIER_KINDS.filter((k) =>
      (OUTLIER_SETTINGS_OF_KIND[k] as readonly string[]).includes(key),
    );
    throw new UsageError(
      `${OUTLIER_FLAG_OF_SETTING[key] ?? key}: applies to --kind ${owners.join('|')}, not ${kind}`,
    );
  }
  const rules = (['threshold', 'thresholdPercentile', 'contamination'] as const).filter(
    (key) => given[key] !== undefined,
  );
  if (rules.length > 1) {
    throw new UsageError(
      `${OUTLIER_FLAG_OF_SETTING[rules[1]!]}: give one threshold rule, not it and ${OUTLIER_FLAG_OF_SETTING[rules[0]!]}`,
    );
  }
  return {
    kind,
    ...given,
    ...(rules.length === 0 && { thresholdPercentile: DEFAULT_THRESHOLD_PERCENTILE }),
  };
}

/**
 * The settings given on the command line that differ from a detector's (after the service
 * filled in its defaults); each as `flag`, given and saved values.
 */
export function outlierSettingsConflicts(
  given: GivenOutlierSettings,
  saved: OutlierDetectorSettings,
): { flag: string; given: string; saved: string }[] {
  const conflicts: { flag: string; given: string; saved: string }[] = [];
  for (const [key, value] of Object.entries(given)) {
    const current = (saved as unknown as Record<string, unknown>)[key];
    if (String(value) === String(current ?? (typeof value === 'boolean' ? false : undefined))) continue;
    conflicts.push({
      flag: OUTLIER_FLAG_OF_SETTING[key] ?? key,
      given: String(value),
      saved: current === undefined ? (typeof value === 'boolean' ? 'false' : 'unset') : String(current),
    });
  }
  return conflicts;
}
