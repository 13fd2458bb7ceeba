/**
 * Picks a splitter branch by weight: from a sticky key's hash when there is one (the same
 * key always lands on the same branch while the weights stay), else at random.
 */
import type { SplitterBranchSpec } from '../graph/graph-spec.js';

/** FNV-1a, 32 bits: fast, well spread for short keys, and stable across processes. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The branch for a point in [0, 100). */
function branchAt(branches: readonly SplitterBranchSpec[], point: number): SplitterBranchSpec {
  let acc = 0;
  for (const branch of branches) {
    acc += branch.weight;
    if (point < acc) return branch;
  }
  return branches.filter((b) => b.weight > 0).at(-1) ?? branches[branches.length - 1]!;
}

/** Chooses a branch; `key` makes the choice sticky. */
export function chooseBranch(
  branches: readonly SplitterBranchSpec[],
  key: string | undefined,
  random: () => number = Math.random,
): SplitterBranchSpec {
  const point = key === undefined ? random() * 100 : (fnv1a(key) % 10_000) / 100;
  return branchAt(branches, point);
}
