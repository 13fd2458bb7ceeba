/**
 * The one rule for the key a series' (or a segment's) summaries are stored under, shared by the
 * windows (which build keys) and the store (which refuses a key over its limit): a JSON array of
 * model, version, node and, for a segment, its name and value. JSON escaping can make a key
 * longer than its parts, so the rule is on the encoded length.
 */
import type { SeriesKey } from './records.js';

/** The key text of `parts` (JSON, so no separator can be forged by a name). */
export const encodeKeyParts = (parts: readonly string[]): string => JSON.stringify(parts);

/**
 * Whether the key of a series' segment (name, value) fits in `maxSeriesKeyLength` characters.
 * The windows keep a segment value that does not fit under the overflow value instead, so they
 * never hand the store a key it would refuse.
 */
export function segmentKeyFits(
  series: SeriesKey,
  name: string,
  value: string,
  maxSeriesKeyLength: number,
): boolean {
  const key = encodeKeyParts([series.modelName, series.modelVersion, series.node, name, value]);
  return key.length <= maxSeriesKeyLength;
}
