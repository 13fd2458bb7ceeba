/**
 * Alibi's AnchorBaseBeam.anchor_beam for one instance: beam search over sets of predicates,
 * the KL-LUCB bandit picking each round's best `beam_size` candidates by precision, then
 * sampling them until their precision is settled against the threshold; the valid anchor
 * (precision ≥ threshold, lower bound > threshold − 0.05) with the largest coverage wins.
 *
 * Every draw of perturbed rows goes to the model in one evaluator call per step (all the
 * step's candidates together; the instance itself rides with the first draw), never one call
 * per sample or per candidate. When the budget runs out the best anchor so far is returned
 * with `complete: false`.
 */
import type { SeededRandom } from '@sightline/stats';
import { BudgetExhaustedError, type MethodContext, type RowOutcome } from '../method.js';
import { ANCHORS_EPSILON_STOP, type AnchorResult, type AnchorsParams } from './anchors-types.js';
import type { DiscreteBackground } from './discrete-background.js';
import { klLowerBound, klLucbBeta, klUpperBound } from './kl-bounds.js';
import {
  allowedValues,
  candidatePredicates,
  featureRange,
  type Predicate,
  predicateText,
  satisfies,
} from './predicates.js';
import { SampleCache } from './sample-cache.js';
import type { TabularSampler } from './tabular-sampler.js';

/** What the search knows of one candidate anchor (Alibi's `t_*` state entries). */
interface AnchorState {
  readonly key: string;
  /** Predicate ids in the order they were added. */
  readonly order: readonly number[];
  readonly predicates: readonly Predicate[];
  /** Rows counted for the anchor: its own draws and rows inherited from its parent (Alibi's t_nsamples). */
  samples: number;
  positives: number;
  /** Rows drawn for this anchor itself, from its own sampling distribution. */
  ownSamples: number;
  ownPositives: number;
  /** Ids in the sample cache of rows that satisfy the anchor (its own draws until it is materialised). */
  sampleIds: number[];
  /** Indices into the coverage draws of those that satisfy the anchor (once materialised). */
  coverageDraws: Int32Array;
  coverage: number;
  /**
   * Where its inherited rows and coverage draws are, until a round keeps the anchor: only the
   * kept few list them, so a round over thousands of candidates holds counts, not lists.
   */
  inheritance:
    | { readonly parent: AnchorState; readonly parentIds: number; readonly predicate: Predicate }
    | undefined;
  /** Examples from the anchor's latest own draw. */
  examples: Examples | undefined;
}

interface Examples {
  readonly coveredTrue: Float64Array;
  readonly coveredTrueCount: number;
  readonly coveredFalse: Float64Array;
  readonly coveredFalseCount: number;
}

/** The key of a set of predicate ids (sorted, so the same set reached in another order is one anchor). */
function keyOf(ids: readonly number[]): string {
  return [...ids].sort((a, b) => a - b).join(',');
}

/**
 * The predicted class of row `row`: argmax of its outputs (the first maximum, as numpy), or a
 * single output rounded to the nearest integer (a label output).
 */
export function predictedClass(outputs: Float64Array, row: number, outputCount: number): number {
  if (outputCount === 1) return Math.round(outputs[row]!);
  let best = 0;
  for (let c = 1; c < outputCount; c++) {
    if (outputs[row * outputCount + c]! > outputs[row * outputCount + best]!) best = c;
  }
  return best;
}

/** One row's anchor search. */
export class AnchorSearch {
  private readonly predicates: Predicate[];
  private readonly states = new Map<string, AnchorState>();
  private readonly cache: SampleCache;
  private readonly coverageRows: Int32Array;
  private readonly featureCount: number;
  private instanceClass: number | undefined;
  private samplesEvaluated = 0;
  private roundsDone = 0;
  private readonly maxAnchorSize: number;
  private readonly random: SeededRandom;

  constructor(
    private readonly instance: Float64Array,
    instanceCodes: Int32Array,
    private readonly params: AnchorsParams,
    private readonly context: MethodContext,
    private readonly background: DiscreteBackground,
    private readonly sampler: TabularSampler,
  ) {
    this.featureCount = background.featureCount;
    this.random = context.random;
    this.predicates = candidatePredicates(instanceCodes, background);
    this.cache = new SampleCache(this.featureCount);
    this.maxAnchorSize = Math.max(
      1,
      Math.min(params.maxAnchorSize ?? this.predicates.length, this.predicates.length),
    );
    this.coverageRows = sampler.drawRowIndices(params.coverageSamples, this.random);
  }

  async run(): Promise<RowOutcome<AnchorResult>> {
    const empty = this.state([]);
    try {
      const settled = await this.start(empty);
      if (settled) return this.outcome(empty, true, true);
    } catch (error) {
      if (!(error instanceof BudgetExhaustedError)) throw error;
      return this.outcome(empty, this.isValid(empty), false);
    }
    const bestOfSize: AnchorState[][] = [[]];
    let best: AnchorState | undefined;
    try {
      best = await this.beamSearch(bestOfSize);
      if (best !== undefined) return this.outcome(best, true, await this.drawExamplesIfMissing(best));
      // No valid anchor: the most precise of every round's best (Alibi's fallback).
      const candidates = bestOfSize.flat();
      if (candidates.length === 0) return this.outcome(empty, false, true);
      const [index] = await this.klLucb(candidates, 1);
      const fallback = candidates[index!]!;
      return this.outcome(fallback, false, await this.drawExamplesIfMissing(fallback));
    } catch (error) {
      if (!(error instanceof BudgetExhaustedError)) throw error;
      const partial = best ?? this.mostPrecise(bestOfSize.flat()) ?? empty;
      return this.outcome(partial, this.isValid(partial), false);
    }
  }

  /**
   * The instance's prediction and the empty anchor's first draw in one call; then, as Alibi,
   * more draws while the empty anchor looks precise but its bound is not yet above
   * threshold − tau. Answers whether the empty anchor already holds.
   */
  private async start(empty: AnchorState): Promise<boolean> {
    const { threshold, tau, batchSize, minSamplesStart, delta } = this.params;
    const drawn = this.sampler.sample([], empty.key, minSamplesStart, this.random);
    const rows = new Float64Array((minSamplesStart + 1) * this.featureCount);
    rows.set(this.instance);
    rows.set(drawn.rows, this.featureCount);
    this.checkTime();
    const outputs = await this.context.evaluator.evaluate(rows);
    this.instanceClass = predictedClass(outputs, 0, this.context.evaluator.outputCount);
    this.record([empty], [drawn], outputs, 1);
    const beta = Math.log(1 / delta);
    // As every anchor's, the bound counts at most the background rows (boundSamples).
    const support = this.sampler.support([], empty.key);
    let mean = empty.positives / empty.samples;
    let lower = klLowerBound(mean, beta / this.boundSamples(empty));
    while (mean > threshold && lower < threshold - tau && empty.samples < support) {
      await this.draw([empty], batchSize);
      mean = empty.positives / empty.samples;
      lower = klLowerBound(mean, beta / this.boundSamples(empty));
    }
    return lower > threshold;
  }

  /** Alibi's beam search; answers the valid anchor of largest coverage, if any. */
  private async beamSearch(bestOfSize: AnchorState[][]): Promise<AnchorState | undefined> {
    const { threshold, batchSize, beamSize, stopOnFirst } = this.params;
    let bestCoverage = -1;
    let best: AnchorState | undefined;
    const beta = this.betaFinal;
    for (let size = 1; size <= this.maxAnchorSize; size++) {
      this.checkTime();
      const proposed = this.propose(bestOfSize[size - 1]!).filter((a) => a.coverage > bestCoverage);
      if (proposed.length === 0) break;
      const chosen = (await this.klLucb(proposed, Math.min(beamSize, proposed.length))).map(
        (i) => proposed[i]!,
      );
      for (const anchor of chosen) this.materialise(anchor);
      bestOfSize[size] = chosen;
      const bounds = chosen.map((a) => this.bounds(a, beta));
      let toSample = chosen.filter((_, i) => this.needsSamples(chosen[i]!, bounds[i]!));
      while (toSample.length > 0) {
        await this.draw(toSample, batchSize);
        chosen.forEach((a, i) => {
          bounds[i] = this.bounds(a, beta);
        });
        toSample = chosen.filter((_, i) => this.needsSamples(chosen[i]!, bounds[i]!));
      }
      let winner: AnchorState | undefined;
      chosen.forEach((a, i) => {
        const valid =
          a.ownPositives / a.ownSamples >= threshold && bounds[i]!.lower > threshold - ANCHORS_EPSILON_STOP;
        if (valid && a.coverage > bestCoverage && (winner === undefined || a.coverage > winner.coverage))
          winner = a;
      });
      this.roundsDone = size;
      this.context.progress(this.roundsDone / this.maxAnchorSize);
      if (winner !== undefined) {
        best = winner;
        bestCoverage = winner.coverage;
        if (bestCoverage === 1 || stopOnFirst) break;
      }
    }
    return best;
  }

  /** The bounds of an anchor's precision on its own draws ([0, 1] before it has any). */
  private bounds(anchor: AnchorState, beta: number): { lower: number; upper: number } {
    if (anchor.ownSamples === 0) return { lower: 0, upper: 1 };
    const mean = anchor.ownPositives / anchor.ownSamples;
    const level = beta / this.boundSamples(anchor);
    return { lower: klLowerBound(mean, level), upper: klUpperBound(mean, level) };
  }

  /**
   * The sample count the precision bounds use: the anchor's own draws, but at most the
   * background rows they rest on. Draws re-use those rows, so past their number more draws
   * pin down the precision on those rows, not on the data the background stands for: an
   * anchor met by 3 background rows is not 95% certain however often they are drawn. Alibi
   * counts every draw; on iris with a 100-row background that made anchors resting on 1-5
   * rows valid, and with decile bins only 80-100% of anchors held 0.95 on held-out rows over
   * five splits, against 96-100% with this bound (docs/design/explainer-anchors.md).
   */
  private boundSamples(anchor: AnchorState): number {
    return Math.max(1, Math.min(anchor.ownSamples, this.sampler.support(anchor.predicates, anchor.key)));
  }

  /**
   * Alibi's to_sample: more rows while the bounds straddle threshold ± epsilon_stop, on the
   * anchor's own draws (an anchor with none is drawn for).
   */
  private needsSamples(anchor: AnchorState, bounds: { lower: number; upper: number }): boolean {
    if (anchor.ownSamples === 0) return true;
    // Once the draws outnumber the rows they rest on, more cannot tighten the bounds.
    if (anchor.ownSamples >= this.sampler.support(anchor.predicates, anchor.key)) return false;
    const mean = anchor.ownPositives / anchor.ownSamples;
    const { threshold } = this.params;
    return (
      (mean >= threshold && bounds.lower < threshold - ANCHORS_EPSILON_STOP) ||
      (mean < threshold && bounds.upper >= threshold + ANCHORS_EPSILON_STOP)
    );
  }

  /** Alibi's validity test on the anchor's own draws: precision ≥ threshold, lower bound > threshold − 0.05. */
  private isValid(anchor: AnchorState): boolean {
    if (anchor.ownSamples === 0) return false;
    const { precision, lower } = this.reported(anchor);
    return precision >= this.params.threshold && lower > this.params.threshold - ANCHORS_EPSILON_STOP;
  }

  /**
   * An anchor's precision and lower bound as reported: from its own draws where it has them
   * (rows inherited from its parent were drawn from the parent's distribution, which can make
   * an anchor look far more precise than it is under its own), else from what it inherited.
   */
  private reported(anchor: AnchorState): { precision: number; lower: number } {
    const [positives, samples] =
      anchor.ownSamples > 0 ? [anchor.ownPositives, anchor.ownSamples] : [anchor.positives, anchor.samples];
    if (samples === 0) return { precision: Number.NaN, lower: Number.NaN };
    const precision = positives / samples;
    const boundSamples = anchor.ownSamples > 0 ? this.boundSamples(anchor) : samples;
    return { precision, lower: klLowerBound(precision, this.betaFinal / boundSamples) };
  }

  /** Alibi's bound for the rounds' winners: δ shared over the beam's candidates. */
  private get betaFinal(): number {
    return Math.log(1 / (this.params.delta / (1 + (this.params.beamSize - 1) * this.predicates.length)));
  }

  private mostPrecise(anchors: readonly AnchorState[]): AnchorState | undefined {
    let best: AnchorState | undefined;
    let bestPrecision = -1;
    for (const a of anchors) {
      const { precision } = this.reported(a);
      if (precision > bestPrecision) {
        best = a;
        bestPrecision = precision;
      }
    }
    return best;
  }

  /**
   * Alibi's propose_anchors: every predicate alone, then each of the last round's best
   * extended by one more predicate; each new anchor starts with its parent's rows (and
   * coverage draws) that satisfy the added predicate.
   */
  private propose(previous: readonly AnchorState[]): AnchorState[] {
    const proposed: AnchorState[] = [];
    const seen = new Set<string>();
    this.predicates.forEach((predicate, id) => {
      for (const parent of previous.length === 0 ? [this.state([])] : previous) {
        if (parent.order.includes(id)) continue;
        // A predicate the parent already implies ("x <= 1.80" on top of "x <= 1.30") would be
        // the same anchor under a longer name; Alibi proposes it and spends draws on it.
        const { low, high } = featureRange(parent.predicates, predicate.feature);
        if (predicate.low <= low && predicate.high >= high) continue;
        const key = keyOf([...parent.order, id]);
        if (seen.has(key)) continue;
        seen.add(key);
        const anchor = this.state([...parent.order, id], true);
        anchor.inheritance = { parent, parentIds: parent.sampleIds.length, predicate };
        const codes = this.cache.codes;
        for (let i = 0; i < parent.sampleIds.length; i++) {
          const row = parent.sampleIds[i]!;
          if (!satisfies(codes, row * this.featureCount, predicate)) continue;
          anchor.samples += 1;
          if (this.cache.agrees(row)) anchor.positives += 1;
        }
        let covered = 0;
        this.forCoverageDraws(parent, predicate, () => {
          covered++;
        });
        anchor.coverage = covered / this.coverageRows.length;
        proposed.push(anchor);
      }
    });
    return proposed;
  }

  /** Calls `each` with the coverage draws that satisfy the parent (all, for the empty anchor) and the predicate. */
  private forCoverageDraws(parent: AnchorState, predicate: Predicate, each: (draw: number) => void): void {
    const bg = this.background;
    const all = parent.order.length === 0;
    const count = all ? this.coverageRows.length : parent.coverageDraws.length;
    for (let i = 0; i < count; i++) {
      const draw = all ? i : parent.coverageDraws[i]!;
      if (satisfies(bg.codes, this.coverageRows[draw]! * bg.featureCount, predicate)) each(draw);
    }
  }

  /** Lists a kept anchor's inherited rows and coverage draws (its children inherit from them). */
  private materialise(anchor: AnchorState): void {
    const inheritance = anchor.inheritance;
    if (inheritance === undefined) return;
    const { parent, parentIds, predicate } = inheritance;
    const codes = this.cache.codes;
    const inherited: number[] = [];
    for (let i = 0; i < parentIds; i++) {
      const row = parent.sampleIds[i]!;
      if (satisfies(codes, row * this.featureCount, predicate)) inherited.push(row);
    }
    for (const row of anchor.sampleIds) inherited.push(row);
    anchor.sampleIds = inherited;
    const draws: number[] = [];
    this.forCoverageDraws(parent, predicate, (draw) => {
      draws.push(draw);
    });
    anchor.coverageDraws = Int32Array.from(draws);
    anchor.inheritance = undefined;
  }

  /**
   * KL-LUCB (Kaufmann & Kalyanakrishnan 2013) as Alibi's kllucb: the indices of the `top`
   * most precise anchors, to within tau with probability 1 − delta. Each step samples the two
   * critical arms (the weakest lower bound among the best, the strongest upper bound among
   * the rest) in one evaluator call.
   */
  private async klLucb(anchors: readonly AnchorState[], top: number): Promise<number[]> {
    const { tau, delta, batchSize } = this.params;
    const unsampled = anchors.filter((a) => a.samples === 0);
    if (unsampled.length > 0) await this.draw(unsampled, 1);
    const n = anchors.length;
    if (n === top) return Array.from({ length: n }, (_, i) => i);
    const means = new Float64Array(n);
    const upper = new Float64Array(n);
    const lower = new Float64Array(n);
    const refresh = () => {
      anchors.forEach((a, i) => {
        means[i] = a.positives / a.samples;
      });
    };
    const coverages = Float64Array.from(anchors, (a) => a.coverage);
    const critical = (round: number): { weakBest: number; strongRest: number } => {
      const ranked = ascendingOrder(means, coverages);
      const beta = klLucbBeta(n, round, delta);
      const best = ranked.slice(n - top);
      const rest = ranked.slice(0, n - top);
      for (const i of rest) upper[i] = klUpperBound(means[i]!, beta / anchors[i]!.samples);
      for (const i of best) lower[i] = klLowerBound(means[i]!, beta / anchors[i]!.samples);
      let strongRest = rest[0]!;
      for (const i of rest) if (upper[i]! > upper[strongRest]!) strongRest = i;
      let weakBest = best[0]!;
      for (const i of best) if (lower[i]! < lower[weakBest]!) weakBest = i;
      return { weakBest, strongRest };
    };
    refresh();
    let round = 1;
    let arms = critical(round);
    while (upper[arms.strongRest]! - lower[arms.weakBest]! > tau) {
      await this.draw([anchors[arms.strongRest]!, anchors[arms.weakBest]!], batchSize);
      refresh();
      round += 1;
      arms = critical(round);
    }
    return ascendingOrder(means, coverages).slice(n - top);
  }

  /** Draws `count` rows for each anchor and scores them all in one evaluator call. */
  private async draw(anchors: readonly AnchorState[], count: number): Promise<void> {
    const drawn = anchors.map((a) => this.sampler.sample(a.predicates, a.key, count, this.random));
    const rows = new Float64Array(anchors.length * count * this.featureCount);
    drawn.forEach((d, i) => {
      rows.set(d.rows, i * count * this.featureCount);
    });
    this.checkTime();
    const outputs = await this.context.evaluator.evaluate(rows);
    this.record(anchors, drawn, outputs, 0);
  }

  /** Counts, caches and keeps examples of scored draws (the outputs of the draws start at row `offset`). */
  private record(
    anchors: readonly AnchorState[],
    drawn: readonly { rows: Float64Array; codes: Int32Array; count: number }[],
    outputs: Float64Array,
    offset: number,
  ): void {
    const outputCount = this.context.evaluator.outputCount;
    const keep = this.params.examples;
    let row = offset;
    anchors.forEach((anchor, a) => {
      const { rows, codes, count } = drawn[a]!;
      const agree = new Uint8Array(count);
      const coveredTrue = new Float64Array(Math.min(keep, count) * this.featureCount);
      const coveredFalse = new Float64Array(Math.min(keep, count) * this.featureCount);
      let trueCount = 0;
      let falseCount = 0;
      for (let i = 0; i < count; i++, row++) {
        const same = predictedClass(outputs, row, outputCount) === this.instanceClass;
        agree[i] = same ? 1 : 0;
        const values = rows.subarray(i * this.featureCount, (i + 1) * this.featureCount);
        if (same && trueCount < keep) coveredTrue.set(values, trueCount++ * this.featureCount);
        if (!same && falseCount < keep) coveredFalse.set(values, falseCount++ * this.featureCount);
        if (same) anchor.positives += 1;
        if (same) anchor.ownPositives += 1;
      }
      anchor.samples += count;
      anchor.ownSamples += count;
      anchor.sampleIds.push(...this.cache.add(codes, agree, count));
      anchor.examples = {
        coveredTrue: coveredTrue.slice(0, trueCount * this.featureCount),
        coveredTrueCount: trueCount,
        coveredFalse: coveredFalse.slice(0, falseCount * this.featureCount),
        coveredFalseCount: falseCount,
      };
      this.samplesEvaluated += count;
    });
  }

  /** Alibi draws a batch for an anchor whose examples were never drawn (it only inherited rows); answers whether that worked. */
  private async drawExamplesIfMissing(anchor: AnchorState): Promise<boolean> {
    if (anchor.examples !== undefined) return true;
    try {
      await this.draw([anchor], this.params.batchSize);
      return true;
    } catch (error) {
      if (error instanceof BudgetExhaustedError) return false;
      throw error;
    }
  }

  private checkTime(): void {
    const reason = this.context.evaluator.exhausted();
    if (reason !== undefined) throw new BudgetExhaustedError(reason, `anchors: budget exhausted (${reason})`);
  }

  /** The state of an anchor given its predicates in order; `fresh` replaces what a previous round knew (Alibi's propose does). */
  private state(order: readonly number[], fresh = false): AnchorState {
    const key = keyOf(order);
    const known = this.states.get(key);
    if (known !== undefined && !fresh) return known;
    const anchor: AnchorState = {
      key,
      order: [...order],
      predicates: order.map((id) => this.predicates[id]!),
      samples: 0,
      positives: 0,
      ownSamples: 0,
      ownPositives: 0,
      sampleIds: [],
      coverageDraws: new Int32Array(0),
      inheritance: undefined,
      coverage: order.length === 0 ? 1 : 0,
      examples: undefined,
    };
    this.states.set(key, anchor);
    return anchor;
  }

  private outcome(anchor: AnchorState, thresholdMet: boolean, complete: boolean): RowOutcome<AnchorResult> {
    const space = this.context.space;
    const { precision, lower } = this.reported(anchor);
    const predicates = anchor.order.map((id, k) => {
      const predicate = this.predicates[id]!;
      const prefix = this.states.get(keyOf(anchor.order.slice(0, k + 1)));
      const upTo = anchor.predicates.slice(0, k + 1);
      return {
        featureIndex: predicate.feature,
        featureName: space.featureNames[predicate.feature] ?? `feature ${predicate.feature}`,
        text: predicateText(upTo, predicate.feature, this.background.codings[predicate.feature]!, space),
        allowed: allowedValues(upTo, predicate.feature, this.background.codings[predicate.feature]!),
        // Every prefix of a beam's anchor was a beam candidate with rows; NaN only if not.
        precision: prefix !== undefined ? this.reported(prefix).precision : Number.NaN,
        coverage: prefix?.coverage ?? Number.NaN,
      };
    });
    const examples = anchor.examples;
    const result: AnchorResult = {
      predicates,
      precision: Number.isNaN(precision) ? 0 : precision,
      coverage: anchor.coverage,
      precisionLowerBound: Number.isNaN(lower) ? 0 : lower,
      prediction: this.instanceClass,
      thresholdMet: thresholdMet && this.isValid(anchor),
      samples: this.samplesEvaluated,
      coveredTrue: examples?.coveredTrue ?? new Float64Array(0),
      coveredTrueCount: examples?.coveredTrueCount ?? 0,
      coveredFalse: examples?.coveredFalse ?? new Float64Array(0),
      coveredFalseCount: examples?.coveredFalseCount ?? 0,
    };
    const fractionDone = complete ? 1 : this.roundsDone / this.maxAnchorSize;
    if (complete) this.context.progress(1);
    return { result, complete, fractionDone };
  }
}

/**
 * Indices sorting candidates by precision ascending (the best last). Ties go to the larger
 * coverage, then to index order: Alibi's argsort leaves ties in index order, which among
 * equally precise predicates ("petal width > 0.30", "> 1.30", "> 1.80", all 100%) picks the
 * narrowest; the search's goal is the widest anchor that holds.
 */
function ascendingOrder(means: Float64Array, coverages: Float64Array): number[] {
  return Array.from(means.keys()).sort(
    (a, b) => means[a]! - means[b]! || coverages[a]! - coverages[b]! || a - b,
  );
}
