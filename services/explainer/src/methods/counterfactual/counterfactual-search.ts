/**
 * The black-box counterfactual search of one instance row.
 *
 * Why this search: the model is a black box behind a budget of batched calls, so gradients
 * (Wachter et al., Alibi's Counterfactual and CounterfactualProto) would cost 2 rows per
 * feature per step by finite differences and still find only a local optimum. Instead:
 *
 * 1. Starts, three kinds:
 *    - background rows moved into the search space (immutables pinned, ranges clamped) that the
 *      model assigns to the goal, nearest first (one call per chunk of rows, in order, until
 *      enough are found): CounterfactualProto's idea (the goal class's own data guides the
 *      search) without an autoencoder; it makes the nearest goal row of the background a bound
 *      every answer beats;
 *    - single-feature moves toward either end of each feature's range (one call): an L1
 *      distance's nearest point across a smooth boundary is often one (a vertex of the L1 ball);
 *    - greedy moves for goals no single feature reaches: features in order of the goal margin
 *      their first step gained per unit of distance (measured in the same call), the first
 *      k − 1 at their range's end and the k-th part of the way (one call): the nearest point
 *      of a linear boundary under L1 (a fractional knapsack).
 *    When they give fewer than `count`, growing spheres (random shells of doubling radius, one
 *    call per shell) supply more.
 * 2. Pruning: from each start, put back the instance's value of the changed features whose
 *    return keeps the goal, the most saving first, singly and in growing groups (one call per
 *    round for all starts): the sparsity of the answer comes from here.
 * 3. Line search: bisect the segment from the instance to the pruned point for the goal's
 *    boundary, a grid of points per round (three rounds of 7: 1/512 of the segment).
 * 4. Shrinking: coordinate moves of one changed feature toward the instance (back to it, or
 *    to ½, ¾ ... 63/64 of its change), the best that keeps the goal, until none does (a bounded
 *    number of rounds): the line search stops where the first feature meets the boundary, and
 *    this brings the others to theirs.
 *
 * Every point kept was scored and reaches the goal, so the result is correct whenever it stops;
 * each stage only shortens the distance, so the answer is never farther than its start.
 * Candidate batches go to the evaluator whole, one call each (the evaluator splits by its
 * rows-per-call limit). BudgetExhaustedError ends the search with the points found so far.
 */
import type { SeededRandom } from '@sightline/stats';
import { BudgetExhaustedError, type RowEvaluator, type WeightedRows } from '../method.js';
import { orderedBackgroundStarts } from './background-starts.js';
import type { FoundCounterfactual } from './counterfactual-types.js';
import type { GoalTest } from './goal-test.js';
import { farCornerRadius, GROWING_SPHERES_LAYERS, sphereShell } from './growing-spheres.js';
import type { SearchSpace } from './search-space.js';

/** Starts refined per counterfactual asked for (more starts, more chances at the nearest). */
export const STARTS_PER_COUNTERFACTUAL = 3;
/** Starts refined at least, whatever the count. */
export const MIN_STARTS = 10;
/** Background rows scored per call while looking for starts. */
export const BACKGROUND_CHUNK_ROWS = 256;
/** Points tried per feature and side for single-feature starts. */
export const AXIS_POINTS = 16;
/** Fractions of the way to its range's end tried for the last feature of a greedy start. */
export const GREEDY_FRACTIONS: readonly number[] = [1 / 8, 2 / 8, 3 / 8, 4 / 8, 5 / 8, 6 / 8, 7 / 8, 1];
/** Points per line-search round per start, and rounds: (7 + 1)³ = 1/512 of the segment. */
export const LINE_SEARCH_POINTS = 7;
export const LINE_SEARCH_ROUNDS = 3;
/**
 * Where a shrinking move puts a changed feature, as a fraction of its change kept: back to the
 * instance, or halving what is left to keep, down to 1/64 of the change (a feature that the
 * segment's line search left beyond its own boundary comes back to within 1/64 of its change).
 */
export const SHRINK_FRACTIONS: readonly number[] = [0, 1 / 2, 3 / 4, 7 / 8, 15 / 16, 31 / 32, 63 / 64];
/** Shrinking rounds at most. */
export const MAX_SHRINK_ROUNDS = 20;
/** Two counterfactuals changing the same features are the same one unless they lie this fraction of the nearer one's distance apart. */
export const DISTINCT_FRACTION = 0.05;

/** A scored point that reaches the goal. */
interface Candidate {
  readonly values: Float64Array;
  readonly scores: Float64Array;
  readonly distance: number;
  readonly changed: number;
}

/** A feature's most effective move: toward which value, and the goal margin gained per unit of distance. */
interface GreedyMove {
  readonly feature: number;
  readonly end: number;
  readonly efficiency: number;
}

/** What the search needs from the method's context and parameters. */
export interface SearchInputs {
  readonly space: SearchSpace;
  readonly goal: GoalTest;
  readonly evaluator: RowEvaluator;
  readonly background: WeightedRows;
  readonly random: SeededRandom;
  readonly maxChangedFeatures: number | undefined;
  readonly count: number;
  /** Reports progress in [0, 1]. */
  readonly progress: (fractionDone: number) => void;
}

/** Runs the search; `found()` answers the best so far at any time (also after the budget ran out). */
export class CounterfactualSearch {
  private readonly tracks: Candidate[] = [];
  private readonly startLimit: number;

  constructor(private readonly inputs: SearchInputs) {
    this.startLimit = Math.max(MIN_STARTS, STARTS_PER_COUNTERFACTUAL * inputs.count);
  }

  /** Searches to the end; throws BudgetExhaustedError (with the points so far kept) when the budget runs out. */
  async run(): Promise<void> {
    const { progress } = this.inputs;
    // Starts join the tracks as soon as they are scored: valid answers if the budget ends here.
    const first = this.tracks.length;
    await this.backgroundStarts();
    const axes = await this.axisStarts();
    this.adopt(axes.starts);
    this.adopt(await this.greedyStarts(axes.moves));
    progress(0.3);
    await this.refine(first, 0.3, 0.9);
    if (this.found().length < this.inputs.count) {
      const spheres = this.adopt(await this.sphereStarts());
      progress(0.95);
      await this.refine(spheres, 0.95, 1);
    }
    progress(1);
  }

  /** The distinct valid counterfactuals so far, nearest first, at most `count`. */
  found(): FoundCounterfactual[] {
    const { space, maxChangedFeatures, count } = this.inputs;
    const valid = this.tracks
      .filter((c) => maxChangedFeatures === undefined || c.changed <= maxChangedFeatures)
      .sort((a, b) => a.distance - b.distance);
    const kept: Candidate[] = [];
    for (const candidate of valid) {
      if (kept.length === count) break;
      if (kept.every((other) => this.distinct(candidate, other))) kept.push(candidate);
    }
    return kept.map((c) => {
      const changes = [];
      for (let f = 0; f < space.featureCount; f++) {
        if (c.values[f] !== space.instance[f]) {
          changes.push({ index: f, original: space.instance[f]!, counterfactual: c.values[f]! });
        }
      }
      const { prediction, probability } = this.inputs.goal.predictionOf(c.scores, 0);
      return {
        values: c.values,
        changes,
        prediction,
        probability,
        distance: c.distance,
        changedFeatures: c.changed,
      };
    });
  }

  private distinct(a: Candidate, b: Candidate): boolean {
    const { space } = this.inputs;
    for (let f = 0; f < space.featureCount; f++) {
      if ((a.values[f] !== space.instance[f]) !== (b.values[f] !== space.instance[f])) return true;
    }
    return (
      space.distanceBetween(a.values, 0, b.values, 0) > DISTINCT_FRACTION * Math.min(a.distance, b.distance)
    );
  }

  /** Scores rows (one evaluator call) and answers those reaching the goal as candidates, by row index. */
  private async score(rows: Float64Array): Promise<(Candidate | undefined)[]> {
    return this.reachedOf(rows, await this.scoreRows(rows));
  }

  /** Scores rows: one evaluator call (checked against the budget's time first). */
  private async scoreRows(rows: Float64Array): Promise<Float64Array> {
    const { evaluator } = this.inputs;
    const reason = evaluator.exhausted();
    if (reason) throw new BudgetExhaustedError(reason, `counterfactual search stopped: budget ${reason}`);
    return evaluator.evaluate(rows);
  }

  /** The scored rows that reach the goal, as candidates by row index. */
  private reachedOf(rows: Float64Array, scores: Float64Array): (Candidate | undefined)[] {
    const { goal, space } = this.inputs;
    const { featureCount } = space;
    const outputs = this.inputs.evaluator.outputCount;
    return Array.from({ length: rows.length / featureCount }, (_, r) => {
      if (!goal.reached(scores, r * outputs)) return undefined;
      const values = rows.slice(r * featureCount, (r + 1) * featureCount);
      return {
        values,
        scores: scores.slice(r * outputs, (r + 1) * outputs),
        distance: space.distanceTo(values, 0),
        changed: this.changedCount(values),
      };
    });
  }

  private changedCount(values: Float64Array): number {
    let changed = 0;
    for (let f = 0; f < values.length; f++) if (values[f] !== this.inputs.space.instance[f]) changed++;
    return changed;
  }

  /** Adopts the nearest background rows that reach the goal, scored chunk by chunk in distance order. */
  private async backgroundStarts(): Promise<void> {
    const { space, background, progress } = this.inputs;
    const ordered = orderedBackgroundStarts(space, background);
    let adopted = 0;
    const width = space.featureCount;
    // A chunk within one model call: a budget that ends between chunks loses none scored.
    const chunk = Math.min(
      BACKGROUND_CHUNK_ROWS,
      this.inputs.evaluator.maxRowsPerCall ?? BACKGROUND_CHUNK_ROWS,
    );
    for (let first = 0; first < ordered.count && adopted < this.startLimit; first += chunk) {
      const last = Math.min(ordered.count, first + chunk);
      const scored = await this.score(ordered.rows.subarray(first * width, last * width));
      const hits = scored.filter((c): c is Candidate => c !== undefined).slice(0, this.startLimit - adopted);
      adopted += hits.length;
      this.adopt(hits);
      progress(0.02 + (0.28 * last) / ordered.count);
    }
  }

  /**
   * Single-feature starts: each mutable feature alone moved toward either end of its range
   * (AXIS_POINTS steps a side; categorical features to each other category), the nearest point
   * reaching the goal per feature and side. An L1 distance's nearest point across a smooth
   * boundary is often a single-feature move (a vertex of the L1 ball), which pruning a
   * background row may miss by keeping another feature. The same call measures how far each
   * feature's first step moves the goal's margin per unit of distance, which orders the
   * greedy starts. One call of 2 · AXIS_POINTS rows per feature.
   */
  private async axisStarts(): Promise<{ starts: Candidate[]; moves: GreedyMove[] }> {
    const { space, goal } = this.inputs;
    const { instance, featureCount } = space;
    const outputs = this.inputs.evaluator.outputCount;
    // Row 0 is the instance: the margin every step is measured from.
    const trials: Float64Array[] = [instance.slice()];
    const moves: { group: number; feature: number; value: number; first: boolean }[] = [];
    space.mutable.forEach((f, i) => {
      const push = (value: number, group: number, first: boolean) => {
        if (value === instance[f]) return;
        const trial = instance.slice();
        trial[f] = value;
        trials.push(trial);
        moves.push({ group, feature: f, value, first });
      };
      if (space.categorical[f]) {
        for (let c = Math.ceil(space.boxLow[f]!); c <= Math.floor(space.boxHigh[f]!); c++) {
          push(space.clamp(f, c), 2 * i, true);
        }
        return;
      }
      for (let k = 1; k <= AXIS_POINTS; k++) {
        push(instance[f]! + ((space.boxLow[f]! - instance[f]!) * k) / AXIS_POINTS, 2 * i, k === 1);
        push(instance[f]! + ((space.boxHigh[f]! - instance[f]!) * k) / AXIS_POINTS, 2 * i + 1, k === 1);
      }
    });
    if (moves.length === 0) return { starts: [], moves: [] };
    const rows = concatenate(trials, featureCount);
    const scores = await this.scoreRows(rows);
    const scored = this.reachedOf(rows, scores);
    const nearest = new Map<number, Candidate>();
    // Per feature, its most effective first move: margin gained per unit of distance.
    const best = new Map<number, GreedyMove>();
    const instanceMargin = goal.margin(scores, 0);
    moves.forEach((move, m) => {
      const candidate = scored[m + 1];
      if (candidate) {
        const kept = nearest.get(move.group);
        if (!kept || candidate.distance < kept.distance) nearest.set(move.group, candidate);
      }
      if (!move.first) return;
      const trial = trials[m + 1]!;
      const efficiency =
        (goal.margin(scores, (m + 1) * outputs) - instanceMargin) / space.distanceTo(trial, 0);
      const side = move.value < instance[move.feature]! ? space.boxLow : space.boxHigh;
      const end = space.categorical[move.feature] ? move.value : side[move.feature]!;
      const previous = best.get(move.feature);
      if (efficiency > 0 && (!previous || efficiency > previous.efficiency)) {
        best.set(move.feature, { feature: move.feature, end, efficiency });
      }
    });
    const starts = [...nearest.values()].sort((a, b) => a.distance - b.distance).slice(0, this.startLimit);
    return { starts, moves: [...best.values()] };
  }

  /**
   * Greedy starts, for goals no single feature reaches: the features in order of their
   * measured effect per unit of distance, the first k − 1 moved to the end of their range and
   * the k-th a fraction of the way (1/8 ... 1). Against a linear boundary under an L1 distance
   * this is the nearest point (fill the most effective features first); elsewhere a start
   * that pruning and the line search refine. One call of 8 rows per useful feature.
   */
  private async greedyStarts(moves: GreedyMove[]): Promise<Candidate[]> {
    const { space, maxChangedFeatures } = this.inputs;
    const { instance, featureCount } = space;
    moves.sort((a, b) => b.efficiency - a.efficiency);
    const depth = Math.min(moves.length, maxChangedFeatures ?? moves.length);
    if (depth < 2) return [];
    const trials: Float64Array[] = [];
    const base = instance.slice();
    for (let k = 0; k < depth; k++) {
      const { feature, end } = moves[k]!;
      const fractions = space.categorical[feature] ? [1] : GREEDY_FRACTIONS;
      // With k = 0 the row is a single-feature move, which the axis starts have covered.
      if (k > 0) {
        for (const fraction of fractions) {
          const trial = base.slice();
          trial[feature] = instance[feature]! + fraction * (end - instance[feature]!);
          trials.push(trial);
        }
      }
      base[feature] = end;
    }
    const scored = await this.score(concatenate(trials, featureCount));
    return scored
      .filter((c): c is Candidate => c !== undefined)
      .sort((a, b) => a.distance - b.distance)
      .slice(0, this.startLimit);
  }

  /** Growing spheres: the nearest points of the first shell that holds any reaching the goal. */
  private async sphereStarts(): Promise<Candidate[]> {
    const { space, maxChangedFeatures, random } = this.inputs;
    const radius = farCornerRadius(space);
    if (!(radius > 0)) return [];
    for (let layer = 0; layer < GROWING_SPHERES_LAYERS; layer++) {
      const rows = sphereShell(space, layer, radius, maxChangedFeatures, random);
      const hits = (await this.score(rows)).filter((c): c is Candidate => c !== undefined);
      if (hits.length > 0) return hits.sort((a, b) => a.distance - b.distance).slice(0, this.startLimit);
    }
    return [];
  }

  /** Adds starts to the tracks; answers the index of the first. */
  private adopt(starts: Candidate[]): number {
    const first = this.tracks.length;
    this.tracks.push(...starts);
    return first;
  }

  /** Refines the tracks from index `first` on. */
  private async refine(first: number, fromProgress: number, toProgress: number): Promise<void> {
    const indices = Array.from({ length: this.tracks.length - first }, (_, i) => first + i);
    const span = toProgress - fromProgress;
    await this.prune(indices);
    this.inputs.progress(fromProgress + span * 0.4);
    // A track still changing too many features after pruning cannot become valid by moving closer.
    const limit = this.inputs.maxChangedFeatures;
    const useful = indices.filter((t) => limit === undefined || this.tracks[t]!.changed <= limit);
    await this.lineSearch(useful);
    this.inputs.progress(fromProgress + span * 0.6);
    await this.shrink(useful, SHRINK_FRACTIONS, MAX_SHRINK_ROUNDS);
  }

  /**
   * Pruning: per round, each changed feature put back to the instance's value alone, and the
   * features whose return kept the goal last round put back together, the most saving first,
   * in groups of 2, 4, 8 ... (a background row changes every feature, most of them beside the
   * point: returning them in groups takes a logarithmic number of rounds instead of one a
   * feature). Each track takes the nearest trial that keeps the goal, until none does.
   */
  private async prune(indices: number[]): Promise<void> {
    const { space } = this.inputs;
    const { instance, featureCount } = space;
    let active = [...indices];
    const revertible = new Map<number, number[]>();
    while (active.length > 0) {
      const owners: number[] = [];
      const trials: Float64Array[] = [];
      const reverted: number[][] = [];
      for (const t of active) {
        const current = this.tracks[t]!.values;
        const push = (features: number[]) => {
          const trial = current.slice();
          for (const f of features) trial[f] = instance[f]!;
          trials.push(trial);
          owners.push(t);
          reverted.push(features);
        };
        for (const f of space.mutable) if (current[f] !== instance[f]) push([f]);
        const group = (revertible.get(t) ?? []).filter((f) => current[f] !== instance[f]);
        for (let size = 2; size < 2 * group.length; size *= 2)
          push(group.slice(0, Math.min(size, group.length)));
      }
      if (trials.length === 0) return;
      const scored = await this.score(concatenate(trials, featureCount));
      const before = new Map(active.map((t) => [t, this.tracks[t]!.distance]));
      const improved = new Set<number>();
      const passed = new Map<number, { feature: number; saving: number }[]>();
      scored.forEach((candidate, i) => {
        const t = owners[i]!;
        if (!candidate) return;
        if (reverted[i]!.length === 1) {
          const list = passed.get(t) ?? [];
          list.push({ feature: reverted[i]![0]!, saving: before.get(t)! - candidate.distance });
          passed.set(t, list);
        }
        if (candidate.distance < this.tracks[t]!.distance) {
          this.tracks[t] = candidate;
          improved.add(t);
        }
      });
      for (const [t, list] of passed) {
        revertible.set(
          t,
          list.sort((a, b) => b.saving - a.saving).map((entry) => entry.feature),
        );
      }
      active = active.filter((t) => improved.has(t));
    }
  }

  /**
   * Coordinate moves toward the instance: per round, for every active track, each changed
   * feature at each kept fraction of its change (categorical features only back to the
   * instance's category), all in one call; each track takes its nearest move that keeps the
   * goal, and leaves when none does.
   */
  private async shrink(indices: number[], fractions: readonly number[], maxRounds: number): Promise<void> {
    const { space } = this.inputs;
    const { instance, featureCount } = space;
    let active = [...indices];
    for (let round = 0; round < maxRounds && active.length > 0; round++) {
      const owners: number[] = [];
      const trials: Float64Array[] = [];
      for (const t of active) {
        const current = this.tracks[t]!.values;
        for (const f of space.mutable) {
          if (current[f] === instance[f]) continue;
          for (const fraction of space.categorical[f] ? [0] : fractions) {
            const trial = current.slice();
            trial[f] = fraction === 0 ? instance[f]! : instance[f]! + fraction * (current[f]! - instance[f]!);
            trials.push(trial);
            owners.push(t);
          }
        }
      }
      if (trials.length === 0) return;
      const scored = await this.score(concatenate(trials, featureCount));
      const improved = new Set<number>();
      scored.forEach((candidate, i) => {
        const t = owners[i]!;
        if (candidate && candidate.distance < this.tracks[t]!.distance) {
          this.tracks[t] = candidate;
          improved.add(t);
        }
      });
      active = active.filter((t) => improved.has(t));
    }
  }

  /** Bisection toward the instance along the segment to each track's point, a grid per round. */
  private async lineSearch(indices: number[]): Promise<void> {
    const { instance, featureCount, categorical } = this.inputs.space;
    const ends = new Map(indices.map((t) => [t, this.tracks[t]!.values]));
    const low = new Map(indices.map((t) => [t, 0]));
    const high = new Map(indices.map((t) => [t, 1]));
    for (let round = 0; round < LINE_SEARCH_ROUNDS && indices.length > 0; round++) {
      const trials: Float64Array[] = [];
      const positions: number[] = [];
      for (const t of indices) {
        const end = ends.get(t)!;
        for (let k = 1; k <= LINE_SEARCH_POINTS; k++) {
          const at = low.get(t)! + ((high.get(t)! - low.get(t)!) * k) / (LINE_SEARCH_POINTS + 1);
          const trial = end.slice();
          // Categories have no in-between: they keep the end's category along the segment.
          for (let f = 0; f < featureCount; f++) {
            if (!categorical[f]) trial[f] = instance[f]! + at * (end[f]! - instance[f]!);
          }
          trials.push(trial);
          positions.push(at);
        }
      }
      const scored = await this.score(concatenate(trials, featureCount));
      indices.forEach((t, i) => {
        let nearest = -1;
        for (let k = 0; k < LINE_SEARCH_POINTS; k++) {
          if (scored[i * LINE_SEARCH_POINTS + k]) {
            nearest = k;
            break;
          }
        }
        if (nearest < 0) {
          low.set(t, positions[(i + 1) * LINE_SEARCH_POINTS - 1]!);
          return;
        }
        const candidate = scored[i * LINE_SEARCH_POINTS + nearest]!;
        if (nearest > 0) low.set(t, positions[i * LINE_SEARCH_POINTS + nearest - 1]!);
        high.set(t, positions[i * LINE_SEARCH_POINTS + nearest]!);
        if (candidate.distance < this.tracks[t]!.distance) this.tracks[t] = candidate;
      });
    }
  }
}

function concatenate(rows: Float64Array[], width: number): Float64Array {
  const all = new Float64Array(rows.length * width);
  rows.forEach((row, i) => {
    all.set(row, i * width);
  });
  return all;
}
