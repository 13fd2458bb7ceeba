import type { SeededRandom } from '@sightline/stats';

/**
 * Which coalitions Kernel SHAP evaluates and how much each weighs, as shap's KernelExplainer
 * builds them (shap/explainers/_kernel.py, `explain`): the Shapley kernel gives coalition
 * size s of M features the total weight (M − 1) / (s (M − s)); sizes are taken smallest and
 * largest first, and a size (with its complement size) is enumerated whole when the samples
 * left, spread by the remaining weight, give each of its coalitions at least one; the
 * remaining sizes are sampled by their kernel weight, each draw with its complement when
 * paired. A coalition drawn again is not evaluated again: its weight grows.
 */
export interface CoalitionPlan {
  /** Varying features (the regression's M). */
  readonly featureCount: number;
  /** Distinct coalitions, enumerated ones first, then sampled ones in order of first draw. */
  readonly count: number;
  /** count × featureCount, 1 where the feature takes the instance's value. */
  readonly masks: Uint8Array;
  /** The first `enumeratedCount` coalitions are enumerated. */
  readonly enumeratedCount: number;
  /** Their weights (sum with `sampledWeight` to 1). */
  readonly enumeratedWeights: Float64Array;
  /** The kernel weight of the sizes left to sampling, shared by the sampled coalitions. */
  readonly sampledWeight: number;
  /**
   * Sampled coalitions come in clusters drawn together (a coalition and its complement, or a
   * single one): cluster c holds coalitions clusterStart[c] .. clusterStart[c + 1] − 1.
   */
  readonly clusterStart: Int32Array;
  /** The cluster of each draw, in draw order. */
  readonly draws: Int32Array;
  /** Whether every coalition of every size is enumerated. */
  readonly exact: boolean;
}

/** Coalitions of M features excluding the empty and full ones: 2^M − 2 (a float beyond 2^53). */
export function coalitionSpace(featureCount: number): number {
  return 2 ** featureCount - 2;
}

/** Kernel SHAP's coalition plan for `featureCount` ≥ 2 varying features. */
export function planCoalitions(
  featureCount: number,
  nSamples: number,
  options: { readonly pairedSampling: boolean; readonly enumerateSizes: boolean },
  random: SeededRandom,
): CoalitionPlan {
  const m = featureCount;
  if (m < 2) throw new RangeError(`planCoalitions: needs at least 2 features, got ${m}`);
  const budget = options.enumerateSizes ? Math.min(nSamples, coalitionSpace(m)) : nSamples;
  const subsetSizes = Math.ceil((m - 1) / 2);
  const pairedSizes = Math.floor((m - 1) / 2);
  // shap's weight_vector: the kernel weight of size s and, for s below the middle, of its
  // complement size M − s too (doubled), normalised to 1.
  const sizeWeight = new Float64Array(subsetSizes);
  for (let s = 1; s <= subsetSizes; s++)
    sizeWeight[s - 1] = ((m - 1) / (s * (m - s))) * (s <= pairedSizes ? 2 : 1);
  normalise(sizeWeight);

  const masks = new MaskBuffer(m);
  const enumeratedWeights: number[] = [];
  let fullSizes = 0;
  if (options.enumerateSizes) {
    let samplesLeft = budget;
    const remaining = Float64Array.from(sizeWeight);
    for (let s = 1; s <= subsetSizes; s++) {
      const inSize = binomial(m, s) * (s <= pairedSizes ? 2 : 1);
      if (!((samplesLeft * remaining[s - 1]!) / inSize >= 1 - 1e-8)) break;
      fullSizes += 1;
      samplesLeft -= inSize;
      if (remaining[s - 1]! < 1) {
        const rest = 1 - remaining[s - 1]!;
        for (let t = 0; t < remaining.length; t++) remaining[t]! /= rest;
      }
      const weight = sizeWeight[s - 1]! / binomial(m, s) / (s <= pairedSizes ? 2 : 1);
      forEachCombination(m, s, (chosen) => {
        masks.push(chosen, false);
        enumeratedWeights.push(weight);
        if (s <= pairedSizes) {
          masks.push(chosen, true);
          enumeratedWeights.push(weight);
        }
      });
    }
  }
  const enumeratedCount = masks.count;
  let sampledWeight = 0;
  for (let s = fullSizes + 1; s <= subsetSizes; s++) sampledWeight += sizeWeight[s - 1]!;
  const exact = fullSizes === subsetSizes;
  const clusterStart: number[] = [];
  const draws: number[] = [];
  if (!exact) {
    sampleCoalitions(
      m,
      budget - enumeratedCount,
      fullSizes,
      options.pairedSampling,
      random,
      masks,
      clusterStart,
      draws,
    );
  }
  clusterStart.push(masks.count);
  return {
    featureCount: m,
    count: masks.count,
    masks: masks.toArray(),
    enumeratedCount,
    enumeratedWeights: Float64Array.from(enumeratedWeights),
    sampledWeight: exact ? 0 : sampledWeight,
    clusterStart: Int32Array.from(clusterStart),
    draws: Int32Array.from(draws),
    exact,
  };
}

/**
 * Draws coalitions of the sizes not enumerated (fullSizes + 1 .. M − fullSizes − 1) until
 * `samplesLeft` is spent. Paired: a size from the lower half by its kernel weight (its
 * complement's included), a uniform subset of that size and its complement (the middle size
 * of an even M alone, as shap). Unpaired: any remaining size by its kernel weight.
 */
function sampleCoalitions(
  m: number,
  samplesLeft: number,
  fullSizes: number,
  paired: boolean,
  random: SeededRandom,
  masks: MaskBuffer,
  clusterStart: number[],
  draws: number[],
): void {
  const pairedSizes = Math.floor((m - 1) / 2);
  const sizes: number[] = [];
  const weights: number[] = [];
  const highest = paired ? Math.ceil((m - 1) / 2) : m - 1 - fullSizes;
  for (let s = fullSizes + 1; s <= highest; s++) {
    sizes.push(s);
    // As shap: a size is drawn by its own kernel weight even when the draw brings its
    // complement along, so each size's share of the samples is its kernel weight.
    weights.push((m - 1) / (s * (m - s)));
  }
  const cumulative = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, t) => {
    total += w;
    cumulative[t] = total;
  });
  const order = new Int32Array(m);
  const clusterByKey = new Map<string, number>();
  for (;;) {
    const u = random.nextFloat() * total;
    let t = 0;
    while (t < cumulative.length - 1 && cumulative[t]! <= u) t++;
    const size = sizes[t]!;
    // The last sample may go without its complement when one is left, as in shap.
    const withComplement = paired && size <= pairedSizes && samplesLeft >= 2;
    if (samplesLeft < 1) break;
    samplesLeft -= withComplement ? 2 : 1;
    for (let j = 0; j < m; j++) order[j] = j;
    random.shuffle(order, size);
    const chosen = Array.from(order.subarray(0, size)).sort((a, b) => a - b);
    const key = chosen.join(',');
    let cluster = clusterByKey.get(key);
    if (cluster === undefined) {
      cluster = clusterStart.length;
      clusterByKey.set(key, cluster);
      clusterStart.push(masks.count);
      masks.push(chosen, false);
      if (withComplement) masks.push(chosen, true);
    }
    draws.push(cluster);
  }
}

/**
 * The weights of the first `evaluated` coalitions of a plan, as shap normalises them: the
 * enumerated ones keep theirs; the sampled clusters whose coalitions were all evaluated
 * share `sampledWeight` in proportion to their draws among the draws made before the first
 * cluster not evaluated (so a partial result weighs what it has as a shorter sample would).
 * Also answers the draws per cluster for the sandwich standard errors.
 */
export function planWeights(
  plan: CoalitionPlan,
  evaluated: number,
): {
  readonly weights: Float64Array;
  readonly count: number;
  readonly clusterDraws: Float64Array;
  readonly perDraw: number;
} {
  const enumerated = Math.min(evaluated, plan.enumeratedCount);
  const clusters = plan.clusterStart.length - 1;
  let completeClusters = 0;
  while (completeClusters < clusters && plan.clusterStart[completeClusters + 1]! <= evaluated)
    completeClusters++;
  const count =
    evaluated < plan.enumeratedCount
      ? enumerated
      : (plan.clusterStart[completeClusters] ?? plan.enumeratedCount);
  const weights = new Float64Array(count);
  weights.set(plan.enumeratedWeights.subarray(0, enumerated));
  const clusterDraws = new Float64Array(completeClusters);
  let drawnCoalitions = 0;
  for (const cluster of plan.draws) {
    if (cluster >= completeClusters) break;
    clusterDraws[cluster]! += 1;
    drawnCoalitions += plan.clusterStart[cluster + 1]! - plan.clusterStart[cluster]!;
  }
  // Each draw adds 1 to each of its cluster's coalitions; the sampled total is sampledWeight.
  const perDraw = drawnCoalitions > 0 ? plan.sampledWeight / drawnCoalitions : 0;
  for (let c = 0; c < completeClusters; c++) {
    for (let i = plan.clusterStart[c]!; i < plan.clusterStart[c + 1]!; i++)
      weights[i] = clusterDraws[c]! * perDraw;
  }
  return { weights, count, clusterDraws, perDraw };
}

/** Growing storage of coalition masks. */
class MaskBuffer {
  private data = new Uint8Array(1024);
  count = 0;
  constructor(private readonly m: number) {}

  /** Adds the coalition of `chosen` features (or of the others when `complement`). */
  push(chosen: readonly number[], complement: boolean): void {
    const needed = (this.count + 1) * this.m;
    if (needed > this.data.length) {
      const grown = new Uint8Array(Math.max(needed, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    const row = this.data.subarray(this.count * this.m, needed);
    row.fill(complement ? 1 : 0);
    for (const j of chosen) row[j] = complement ? 0 : 1;
    this.count += 1;
  }

  toArray(): Uint8Array {
    return this.data.slice(0, this.count * this.m);
  }
}

function normalise(values: Float64Array): void {
  let sum = 0;
  for (const v of values) sum += v;
  for (let t = 0; t < values.length; t++) values[t]! /= sum;
}

/** C(n, k) as a float (exact below 2^53). */
export function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result < 2 ** 53 ? Math.round(result) : result;
}

/** Calls `visit` with each k-subset of 0..n−1 in lexicographic order (the array is reused). */
function forEachCombination(n: number, k: number, visit: (chosen: readonly number[]) => void): void {
  const chosen = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    visit(chosen);
    let i = k - 1;
    while (i >= 0 && chosen[i] === n - k + i) i--;
    if (i < 0) return;
    chosen[i]! += 1;
    for (let j = i + 1; j < k; j++) chosen[j] = chosen[j - 1]! + 1;
  }
}
