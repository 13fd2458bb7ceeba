/**
 * Starting points from the background: each row moved into the instance's search space
 * (immutable features set to the instance's values, the others clamped into their ranges),
 * duplicates and the instance itself dropped, nearest first. The model has scored rows like
 * these in training, so the nearest of them that reach the goal are real, if rough,
 * counterfactuals (the bound a refined one must beat).
 */
import type { WeightedRows } from '../method.js';
import type { SearchSpace } from './search-space.js';

/** Projected background rows, nearest to the instance first. */
export interface OrderedStarts {
  /** count × featureCount values, row-major, nearest first. */
  readonly rows: Float64Array;
  readonly count: number;
}

/** Projects, deduplicates and orders the background rows by distance to the instance. */
export function orderedBackgroundStarts(space: SearchSpace, background: WeightedRows): OrderedStarts {
  const { featureCount, instance } = space;
  const projected = repeatRow(instance, background.count);
  for (let r = 0; r < background.count; r++) {
    for (const f of space.mutable) {
      projected[r * featureCount + f] = space.clamp(f, background.rows[r * featureCount + f]!);
    }
  }
  const distances = Float64Array.from({ length: background.count }, (_, r) =>
    space.distanceTo(projected, r * featureCount),
  );
  const order = Array.from({ length: background.count }, (_, r) => r)
    .filter((r) => distances[r]! > 0)
    .sort((a, b) => distances[a]! - distances[b]! || a - b);
  // Equal rows have equal distances, and the order puts equal distances together: a row is a
  // duplicate only of a kept row at the same distance (no key strings over 10,000 rows).
  const kept: number[] = [];
  let sameDistanceFrom = 0;
  for (const r of order) {
    const last = kept[kept.length - 1];
    if (last === undefined || distances[last] !== distances[r]) sameDistanceFrom = kept.length;
    const duplicate = kept
      .slice(sameDistanceFrom)
      .some((k) => sameRow(projected, k * featureCount, r * featureCount, featureCount));
    if (!duplicate) kept.push(r);
  }
  const rows = new Float64Array(kept.length * featureCount);
  kept.forEach((r, i) => {
    rows.set(projected.subarray(r * featureCount, (r + 1) * featureCount), i * featureCount);
  });
  return { rows, count: kept.length };
}

function repeatRow(row: Float64Array, count: number): Float64Array {
  const rows = new Float64Array(count * row.length);
  for (let r = 0; r < count; r++) rows.set(row, r * row.length);
  return rows;
}

function sameRow(rows: Float64Array, a: number, b: number, width: number): boolean {
  for (let i = 0; i < width; i++) if (rows[a + i] !== rows[b + i]) return false;
  return true;
}
