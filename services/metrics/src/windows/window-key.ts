import { InvalidArgumentError } from '@sightline/errors';
import type { SeriesKey } from '../domain/records.js';

/** One segment of a series: a configured segment name and one of its values (or `__other__`). */
export interface SegmentRef {
  readonly name: string;
  readonly value: string;
}

/** What a bucket is kept under: a series and, for a segment's bucket, the segment. */
export interface WindowKey {
  readonly series: SeriesKey;
  readonly segment?: SegmentRef;
}

/**
 * The string a window key is stored under: a JSON array (model, version, node[, segment name,
 * segment value]), so no separator can be forged by a name and the store can index it as text.
 */
export function encodeWindowKey(series: SeriesKey, segment?: SegmentRef): string {
  const base = [series.modelName, series.modelVersion, series.node];
  return JSON.stringify(segment === undefined ? base : [...base, segment.name, segment.value]);
}

/** The series part of {@link encodeWindowKey} (the key of the series' own, unsegmented buckets). */
export function encodeSeriesKey(series: SeriesKey): string {
  return encodeWindowKey(series);
}

/**
 * The key of an {@link encodeWindowKey} string.
 * @throws InvalidArgumentError naming `seriesKey` when the string is not one.
 */
export function decodeWindowKey(text: string): WindowKey {
  let parts: unknown;
  try {
    parts = JSON.parse(text);
  } catch {
    parts = undefined;
  }
  if (
    !Array.isArray(parts) ||
    (parts.length !== 3 && parts.length !== 5) ||
    !parts.every((p) => typeof p === 'string')
  ) {
    throw new InvalidArgumentError(
      'seriesKey: expected a JSON array of 3 strings (model, version, node) or 5 (with segment name and value)',
    );
  }
  const [modelName, modelVersion, node, name, value] = parts as string[];
  const series = { modelName: modelName!, modelVersion: modelVersion!, node: node! };
  return name === undefined ? { series } : { series, segment: { name, value: value! } };
}
