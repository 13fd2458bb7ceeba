/**
 * The rule of a detector's free-form labels, shared by the drift and outlier services: they
 * are copied onto the detector's metrics, so their size is bounded as Kubernetes bounds
 * label keys (63 characters) and annotations-like values (here 256), and a 1 MB value never
 * lands in /metrics.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';

/** Longest label key, in characters (a Kubernetes label name's limit). */
export const MAX_LABEL_KEY_LENGTH = 63;
/** Longest label value, in characters. */
export const MAX_LABEL_VALUE_LENGTH = 256;

/**
 * Checks a detector's labels: at most `maxPairs` pairs, keys of 1 to
 * {@link MAX_LABEL_KEY_LENGTH} characters, values of at most {@link MAX_LABEL_VALUE_LENGTH}.
 * @throws InvalidArgumentError naming `labels`, the key and the rule.
 */
export function checkDetectorLabels(labels: Readonly<Record<string, string>>, maxPairs: number): void {
  const keys = Object.keys(labels);
  if (keys.length > maxPairs) {
    throw new InvalidArgumentError(`labels: ${keys.length} pairs; at most ${maxPairs}`, { field: 'labels' });
  }
  for (const key of keys) {
    if (key.length === 0 || key.length > MAX_LABEL_KEY_LENGTH) {
      throw new InvalidArgumentError(
        `labels: key ${quoteName(key.length > MAX_LABEL_KEY_LENGTH ? `${key.slice(0, MAX_LABEL_KEY_LENGTH)}...` : key)} has ${key.length} characters; a key has 1 to ${MAX_LABEL_KEY_LENGTH} (rule "labels.key_length")`,
        { field: 'labels' },
      );
    }
    const value = labels[key]!;
    if (value.length > MAX_LABEL_VALUE_LENGTH) {
      throw new InvalidArgumentError(
        `labels: the value of ${quoteName(key)} has ${value.length} characters; at most ${MAX_LABEL_VALUE_LENGTH} (rule "labels.value_length")`,
        { field: 'labels' },
      );
    }
  }
}
