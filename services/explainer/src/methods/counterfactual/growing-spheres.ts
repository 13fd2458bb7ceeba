/**
 * Growing spheres (Laugel et al., 2018): random points in shells of doubling radius around the
 * instance, in scaled units, until a shell holds points that reach the goal. The fallback when
 * no background row can start the search (the goal class is absent from the background, the
 * immutable features pin every row away from it, or max_changed_features is tighter than
 * what the background rows prune to). Each point perturbs a random subset of at most
 * max_changed_features mutable features, so sparse points are drawn as often as dense ones.
 */
import type { SeededRandom } from '@sightline/stats';
import type { SearchSpace } from './search-space.js';

/** Shells tried: the largest reaches the far corner of the box, each one half the next. */
export const GROWING_SPHERES_LAYERS = 12;
/** Points per shell: one evaluator call each. */
export const GROWING_SPHERES_SAMPLES = 256;

/** The radius, in scaled units, from the instance to the far corner of the sampling box. */
export function farCornerRadius(space: SearchSpace): number {
  let sum = 0;
  for (const f of space.mutable) {
    const x = space.instance[f]!;
    const reach = space.categorical[f]
      ? space.boxHigh[f]! > space.boxLow[f]!
        ? 1
        : 0
      : Math.max(space.boxHigh[f]! - x, x - space.boxLow[f]!) / space.scale[f]!;
    sum += space.distanceKind === 'l2-std' ? reach * reach : reach;
  }
  return space.distanceKind === 'l2-std' ? Math.sqrt(sum) : sum;
}

/** A random direction over `count` coordinates with unit L1 norm (exponentials over their sum, random signs) or unit L2 norm. */
function direction(count: number, l2: boolean, random: SeededRandom): Float64Array {
  const u = new Float64Array(count);
  let norm = 0;
  for (let i = 0; i < count; i++) {
    if (l2) {
      u[i] = random.nextNormal();
      norm += u[i]! * u[i]!;
    } else {
      u[i] = -Math.log(1 - random.nextFloat()) * (random.nextFloat() < 0.5 ? -1 : 1);
      norm += Math.abs(u[i]!);
    }
  }
  norm = l2 ? Math.sqrt(norm) : norm;
  for (let i = 0; i < count; i++) u[i] = norm > 0 ? u[i]! / norm : 0;
  return u;
}

/** Another allowed category than `current`, or `current` when there is none. */
function otherCategory(space: SearchSpace, f: number, current: number, random: SeededRandom): number {
  const first = Math.ceil(space.boxLow[f]!);
  const last = Math.floor(space.boxHigh[f]!);
  const choices = last - first + 1 - (current >= first && current <= last ? 1 : 0);
  if (choices < 1) return current;
  const pick = first + random.nextInt(choices);
  return current >= first && pick >= current ? pick + 1 : pick;
}

/**
 * The points of shell `layer` (0-based, of {@link GROWING_SPHERES_LAYERS}): radius drawn
 * uniformly between the previous shell's radius and this one's.
 */
export function sphereShell(
  space: SearchSpace,
  layer: number,
  maxRadius: number,
  maxChangedFeatures: number | undefined,
  random: SeededRandom,
): Float64Array {
  const { featureCount, instance } = space;
  const outer = maxRadius * 2 ** (layer + 1 - GROWING_SPHERES_LAYERS);
  const inner = layer === 0 ? 0 : outer / 2;
  const subsetLimit = Math.min(maxChangedFeatures ?? space.mutable.length, space.mutable.length);
  const features = Array.from(space.mutable);
  const rows = new Float64Array(GROWING_SPHERES_SAMPLES * featureCount);
  const l2 = space.distanceKind === 'l2-std';
  for (let s = 0; s < GROWING_SPHERES_SAMPLES; s++) {
    const row = rows.subarray(s * featureCount, (s + 1) * featureCount);
    row.set(instance);
    const subsetSize = 1 + random.nextInt(subsetLimit);
    random.shuffle(features, subsetSize);
    const u = direction(subsetSize, l2, random);
    const radius = inner + (outer - inner) * random.nextFloat();
    for (let i = 0; i < subsetSize; i++) {
      const f = features[i]!;
      const step = radius * u[i]!;
      // A categorical change costs one scaled unit, so a step of half a unit or more buys one.
      row[f] = space.categorical[f]
        ? Math.abs(step) >= 0.5
          ? space.clamp(f, otherCategory(space, f, instance[f]!, random))
          : instance[f]!
        : space.clamp(f, instance[f]! + step * space.scale[f]!);
    }
  }
  return rows;
}
