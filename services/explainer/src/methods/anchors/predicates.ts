/**
 * The candidate predicates of one instance, as Alibi's TabularSampler.build_lookups encodes
 * them: per numeric feature one per bin edge e_k ("x <= e_k" when the instance's value lies at
 * or below it, else "x > e_k"), per categorical feature "feature = category". A predicate is
 * a range of codes; an anchor is a set of predicates, and on one feature its predicates
 * intersect into one range.
 */
import type { FeatureSpace } from '../method.js';
import type { DiscreteBackground, FeatureCoding } from './discrete-background.js';
import { pythonFixed } from './python-fixed.js';

/** One candidate predicate: the feature's code must lie in [low, high]. */
export interface Predicate {
  readonly feature: number;
  readonly low: number;
  readonly high: number;
}

/**
 * The instance's candidate predicates, in Alibi's order (by feature, then by edge).
 * @param instanceCodes the instance's code per feature.
 */
export function candidatePredicates(instanceCodes: Int32Array, background: DiscreteBackground): Predicate[] {
  const predicates: Predicate[] = [];
  background.codings.forEach((coding, feature) => {
    const code = instanceCodes[feature]!;
    if (coding.kind === 'categorical') {
      predicates.push({ feature, low: code, high: code });
      return;
    }
    const lastBin = coding.edges.length;
    for (let edge = 0; edge < coding.edges.length; edge++) {
      predicates.push(
        code <= edge ? { feature, low: 0, high: edge } : { feature, low: edge + 1, high: lastBin },
      );
    }
  });
  return predicates;
}

/** Whether a row's code on the predicate's feature satisfies it. */
export function satisfies(codes: Int32Array, rowOffset: number, predicate: Predicate): boolean {
  const code = codes[rowOffset + predicate.feature]!;
  return code >= predicate.low && code <= predicate.high;
}

/** The code range a set of predicates on one feature allows (their intersection). */
export function featureRange(
  predicates: readonly Predicate[],
  feature: number,
): { low: number; high: number } {
  let low = Number.NEGATIVE_INFINITY;
  let high = Number.POSITIVE_INFINITY;
  for (const p of predicates) {
    if (p.feature !== feature) continue;
    low = Math.max(low, p.low);
    high = Math.min(high, p.high);
  }
  return { low, high };
}

/** The values a feature's predicates allow: `above < x <= atMost`, or one category. */
export function allowedValues(
  predicates: readonly Predicate[],
  feature: number,
  coding: FeatureCoding,
): { above: number; atMost: number } | { category: number } {
  const { low, high } = featureRange(predicates, feature);
  if (coding.kind === 'categorical') return { category: low };
  return {
    above: low > 0 ? coding.edges[low - 1]! : Number.NEGATIVE_INFINITY,
    atMost: high < coding.edges.length ? coding.edges[high]! : Number.POSITIVE_INFINITY,
  };
}

/**
 * The text of a feature's predicates, as Alibi's add_names_to_exp writes it: "name <= 0.80",
 * "name > 0.80", "0.80 < name <= 1.30" (edges as Python's %.2f), "name = category" (the
 * category alone when its name holds "<" or ">", as Alibi).
 */
export function predicateText(
  predicates: readonly Predicate[],
  feature: number,
  coding: FeatureCoding,
  space: FeatureSpace,
): string {
  const name = space.featureNames[feature] ?? `feature ${feature}`;
  const { low, high } = featureRange(predicates, feature);
  if (coding.kind === 'categorical') {
    const category = coding.names[low] ?? String(low);
    return category.includes('<') || category.includes('>') ? category : `${name} = ${category}`;
  }
  const above = low > 0 ? pythonFixed(coding.edges[low - 1]!) : undefined;
  const atMost = high < coding.edges.length ? pythonFixed(coding.edges[high]!) : undefined;
  if (above !== undefined && atMost !== undefined) return `${above} < ${name} <= ${atMost}`;
  if (atMost !== undefined) return `${name} <= ${atMost}`;
  if (above !== undefined) return `${name} > ${above}`;
  // Two predicates on one feature never leave it unconstrained; kept total for safety.
  return `${name} is any value`;
}
