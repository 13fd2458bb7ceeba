/**
 * Checks a queue's settings and fills in the defaults; every refusal names the field and the
 * rule, as the contract (AnnotationQueue in metrics.proto) states them.
 */
import { InvalidArgumentError } from '@sightline/errors';
import type { AnnotationOptions } from './annotation-options.js';
import type { QueueSettings, QueueSettingsInput } from './annotation-types.js';

export const DEFAULT_SAMPLE_RATE = 0.01;
export const DEFAULT_CAPACITY = 1_000;
export const MAX_CAPACITY = 100_000;
/** Characters in a model name, version, node, shadow or detector name (the store's id limit). */
export const MAX_NAME_LENGTH = 256;

function checkName(field: string, value: string | undefined, required: boolean): void {
  if (value === undefined || value === '') {
    if (required) throw new InvalidArgumentError(`${field}: required`);
    return;
  }
  if (value.length > MAX_NAME_LENGTH)
    throw new InvalidArgumentError(
      `${field}: must be at most ${MAX_NAME_LENGTH} characters, got ${value.length}`,
    );
}

/** The settings checked, with defaults. */
export function resolveQueueSettings(input: QueueSettingsInput, options: AnnotationOptions): QueueSettings {
  checkName('queue.model_name', input.modelName, true);
  checkName('queue.model_version', input.modelVersion, false);
  checkName('queue.node', input.node, false);
  if (input.policy === undefined)
    throw new InvalidArgumentError('queue.policy: required (rule "queue.policy_set")');
  const sampleRate = input.sampleRate ?? DEFAULT_SAMPLE_RATE;
  if (!(Number.isFinite(sampleRate) && sampleRate > 0 && sampleRate <= 1))
    throw new InvalidArgumentError(`queue.sample_rate: must be in (0, 1], got ${sampleRate}`);
  const capacity = input.capacity || DEFAULT_CAPACITY;
  if (!Number.isSafeInteger(capacity) || capacity < 0 || capacity > MAX_CAPACITY)
    throw new InvalidArgumentError(`queue.capacity: must be at most ${MAX_CAPACITY}, got ${capacity}`);
  const shadow = input.shadow ?? '';
  if (input.policy === 'shadow_disagreement') {
    checkName('queue.shadow', shadow, false);
    if (shadow === '')
      throw new InvalidArgumentError(
        'queue.shadow: required for SHADOW_DISAGREEMENT (rule "queue.shadow_set")',
      );
  } else if (shadow !== '')
    throw new InvalidArgumentError(
      'queue.shadow: only SHADOW_DISAGREEMENT takes a shadow (rule "queue.shadow_set")',
    );
  const outlierDetector = input.outlierDetector ?? '';
  if (input.policy === 'outliers_first') {
    checkName('queue.outlier_detector', outlierDetector, false);
    if (outlierDetector === '')
      throw new InvalidArgumentError(
        'queue.outlier_detector: required for OUTLIERS_FIRST (rule "queue.outlier_detector_set")',
      );
  } else if (outlierDetector !== '')
    throw new InvalidArgumentError(
      'queue.outlier_detector: only OUTLIERS_FIRST takes a detector (rule "queue.outlier_detector_set")',
    );
  const itemTtlMs = input.itemTtlMs ?? options.defaultItemTtlMs;
  if (!(Number.isFinite(itemTtlMs) && itemTtlMs > 0 && itemTtlMs <= options.maxItemTtlMs))
    throw new InvalidArgumentError(
      `queue.item_ttl: must be above 0 and at most the retention (${options.maxItemTtlMs / 1000}s), got ${itemTtlMs / 1000}s`,
    );
  return {
    modelName: input.modelName,
    ...(input.modelVersion === undefined ? {} : { modelVersion: input.modelVersion }),
    ...(input.node === undefined ? {} : { node: input.node }),
    policy: input.policy,
    sampleRate,
    capacity,
    shadow,
    outlierDetector,
    itemTtlMs,
  };
}
