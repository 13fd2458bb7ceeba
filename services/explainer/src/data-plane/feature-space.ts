/** The explained features' names and categories, checked against the instances' layout. */
import { InvalidArgumentError } from '@sightline/errors';
import type { FeatureSpace } from '../methods/method.js';
import type { RowLayout } from './instances.js';

/** Longest feature or category name, in characters (contract). */
export const MAX_NAME_LENGTH = 256;
/** Fewest and most categories of a categorical feature (contract). */
export const MIN_CATEGORIES = 2;
export const MAX_CATEGORIES = 1_000;

/** "<tensor>[<flat index>]" for every feature of the layout. */
export function defaultFeatureNames(layout: RowLayout): string[] {
  const names: string[] = [];
  for (const slot of layout.slots)
    for (let e = 0; e < slot.rowElements; e++) names.push(`${slot.name}[${e}]`);
  return names;
}

/**
 * The feature space of `layout` with the request's names and categories.
 *
 * @throws InvalidArgumentError for rule "feature_names.count" (a count other than the
 *   features), a name too long, rule "categorical_features.index" (an index past the
 *   features) or too few / too many category names.
 */
export function buildFeatureSpace(
  layout: RowLayout,
  featureNames: readonly string[],
  categorical: ReadonlyMap<number, readonly string[]>,
): FeatureSpace {
  const count = layout.featureCount;
  if (featureNames.length > 0 && featureNames.length !== count) {
    throw new InvalidArgumentError(
      `feature_names: expected ${count} names (one per feature), got ${featureNames.length} (rule "feature_names.count")`,
    );
  }
  featureNames.forEach((name, i) => {
    if (name.length > MAX_NAME_LENGTH)
      throw new InvalidArgumentError(
        `feature_names[${i}]: at most ${MAX_NAME_LENGTH} characters, got ${name.length}`,
      );
  });
  for (const [index, names] of categorical) {
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new InvalidArgumentError(
        `categorical_features[${index}]: must be below the feature count ${count} (rule "categorical_features.index")`,
      );
    }
    if (names.length < MIN_CATEGORIES || names.length > MAX_CATEGORIES) {
      throw new InvalidArgumentError(
        `categorical_features[${index}].names: must have ${MIN_CATEGORIES} to ${MAX_CATEGORIES} names, got ${names.length}`,
      );
    }
    names.forEach((name, i) => {
      if (name.length > MAX_NAME_LENGTH)
        throw new InvalidArgumentError(
          `categorical_features[${index}].names[${i}]: at most ${MAX_NAME_LENGTH} characters, got ${name.length}`,
        );
    });
  }
  return {
    featureCount: count,
    featureNames: featureNames.length > 0 ? [...featureNames] : defaultFeatureNames(layout),
    categorical: new Map(categorical),
  };
}
