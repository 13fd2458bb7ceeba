/**
 * AnchorsParams and Anchor (proto/sightline/explainer/v1/explainer.proto) <-> Anchors' plain
 * types. Defaults are Alibi's AnchorTabular's; the ranges are the contract's, each error
 * naming `anchors.<field>`.
 */
import type { commonV1, explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import {
  ANCHORS_DEFAULTS,
  ANCHORS_LIMITS,
  type AnchorResult,
  type AnchorsParams,
} from '../../methods/anchors/index.js';
import type { FeatureSpace } from '../../methods/method.js';

function outOfRange(field: string, range: string, value: unknown, rule?: string): InvalidArgumentError {
  const name = `anchors.${field}`;
  return new InvalidArgumentError(
    `${name}: must be ${range}${rule ? ` (rule "${rule}")` : ''}, got ${String(value)}`,
    {
      field: name,
    },
  );
}

function integerIn(
  field: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw outOfRange(field, `an integer in ${min}-${max.toLocaleString('en-US')}`, value);
  }
  return value;
}

/**
 * Reads the method's message with defaults filled.
 * @throws InvalidArgumentError naming `anchors.<field>` and the contract's rule.
 */
export function readAnchorsParams(
  message: explainerV1.AnchorsParams | undefined,
  _space: FeatureSpace,
): AnchorsParams {
  const m = message;
  const threshold = m?.threshold ?? ANCHORS_DEFAULTS.threshold;
  if (!(threshold > 0 && threshold <= 1)) throw outOfRange('threshold', 'in (0, 1]', threshold);
  const delta = m?.delta ?? ANCHORS_DEFAULTS.delta;
  if (!(delta > 0 && delta < 1)) throw outOfRange('delta', 'in (0, 1)', delta);
  const tau = m?.tau ?? ANCHORS_DEFAULTS.tau;
  if (!(tau > 0 && tau < 1)) throw outOfRange('tau', 'in (0, 1)', tau);
  const discPerc = m === undefined || m.discPerc.length === 0 ? ANCHORS_DEFAULTS.discPerc : m.discPerc;
  discPerc.forEach((q, i) => {
    if (!(q > 0 && q < 100))
      throw outOfRange('disc_perc', 'each in (0, 100)', `${q} at ${i}`, 'anchors.disc_perc');
    if (i > 0 && !(q > discPerc[i - 1]!)) {
      throw outOfRange(
        'disc_perc',
        'strictly ascending',
        `${discPerc[i - 1]} then ${q} at ${i}`,
        'anchors.disc_perc',
      );
    }
  });
  const maxAnchorSize = m?.maxAnchorSize;
  if (maxAnchorSize !== undefined && !(Number.isInteger(maxAnchorSize) && maxAnchorSize >= 1)) {
    throw outOfRange('max_anchor_size', 'at least 1 when set', maxAnchorSize);
  }
  return {
    threshold,
    delta,
    tau,
    batchSize: integerIn('batch_size', m?.batchSize, ANCHORS_DEFAULTS.batchSize, 1, ANCHORS_LIMITS.batchSize),
    coverageSamples: integerIn(
      'coverage_samples',
      m?.coverageSamples,
      ANCHORS_DEFAULTS.coverageSamples,
      1,
      ANCHORS_LIMITS.coverageSamples,
    ),
    beamSize: integerIn('beam_size', m?.beamSize, ANCHORS_DEFAULTS.beamSize, 1, ANCHORS_LIMITS.beamSize),
    stopOnFirst: m?.stopOnFirst ?? ANCHORS_DEFAULTS.stopOnFirst,
    maxAnchorSize,
    minSamplesStart: integerIn(
      'min_samples_start',
      m?.minSamplesStart,
      ANCHORS_DEFAULTS.minSamplesStart,
      1,
      ANCHORS_LIMITS.minSamplesStart,
    ),
    discPerc: [...discPerc],
    examples: integerIn('examples', m?.examples, ANCHORS_DEFAULTS.examples, 0, ANCHORS_LIMITS.examples),
  };
}

/** The settings with every default filled, for ExplanationMeta.params (max_anchor_size stays unset when unlimited). */
export function anchorsParamsMessage(params: AnchorsParams): explainerV1.AnchorsParams {
  return {
    threshold: params.threshold,
    delta: params.delta,
    tau: params.tau,
    batchSize: params.batchSize,
    coverageSamples: params.coverageSamples,
    beamSize: params.beamSize,
    stopOnFirst: params.stopOnFirst,
    maxAnchorSize: params.maxAnchorSize,
    minSamplesStart: params.minSamplesStart,
    discPerc: [...params.discPerc],
    examples: params.examples,
  };
}

/**
 * A row's anchor as InstanceExplanation's `anchor` (ts-proto writes the result oneof as
 * optional fields). The prediction is the class index as text (the contract keeps a string for
 * label outputs); unknown (the budget ran out before the model answered) is "".
 * @param toTensors the service's: flat feature rows back into the instance's tensors.
 */
export function anchorsResultMessage(
  result: AnchorResult,
  _space: FeatureSpace,
  toTensors: (rows: Float64Array, count: number) => commonV1.Tensor[],
): Pick<explainerV1.InstanceExplanation, 'anchor'> {
  return {
    anchor: {
      predicates: result.predicates.map((p) => ({
        featureIndex: p.featureIndex,
        featureName: p.featureName,
        text: p.text,
        precision: p.precision,
        coverage: p.coverage,
      })),
      precision: result.precision,
      coverage: result.coverage,
      prediction: result.prediction === undefined ? '' : String(result.prediction),
      thresholdMet: result.thresholdMet,
      precisionLowerBound: result.precisionLowerBound,
      samples: BigInt(result.samples),
      coveredTrue: result.coveredTrueCount > 0 ? toTensors(result.coveredTrue, result.coveredTrueCount) : [],
      coveredFalse:
        result.coveredFalseCount > 0 ? toTensors(result.coveredFalse, result.coveredFalseCount) : [],
    },
  };
}
