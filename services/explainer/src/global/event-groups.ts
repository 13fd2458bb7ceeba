/**
 * The rows of stored events, sampled and grouped: each event's request holds one or more
 * rows (its tensors' first dimension); a seeded reservoir keeps at most max_rows of all the
 * range's rows, uniformly; the rows kept are grouped by the model and version that answered
 * them and rebuilt into one batch of tensors per group, so each group is explained as the
 * instances of an Explain are.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { concatBatch, splitBatch, type Tensor } from '@sightline/tensor';
import type { StoredEvent } from '../data-plane/stored-events.js';

/** One sampled row: the event, the row's index in it, and the order it was read in. */
export interface SampledRow {
  readonly event: StoredEvent;
  readonly row: number;
  readonly sequence: number;
}

/** The sampled rows of one model version, in the order they were read (newest first). */
export interface RowGroup {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly rows: readonly SampledRow[];
}

/** The rows one event's request holds: its tensors' first dimension (0 without tensors or for a scalar). */
export function eventRowCount(event: StoredEvent): number {
  return event.inputs[0]?.shape[0] ?? 0;
}

const byNumberAware = new Intl.Collator('en', { numeric: true });

/** Sampled rows grouped by model then version ("2" before "10"), rows in reading order within each. */
export function groupRows(rows: readonly SampledRow[]): RowGroup[] {
  const groups = new Map<string, { modelName: string; modelVersion: string; rows: SampledRow[] }>();
  for (const row of rows) {
    const key = JSON.stringify([row.event.modelName, row.event.modelVersion]);
    let group = groups.get(key);
    if (!group) {
      group = { modelName: row.event.modelName, modelVersion: row.event.modelVersion, rows: [] };
      groups.set(key, group);
    }
    group.rows.push(row);
  }
  return [...groups.values()]
    .map((group) => ({ ...group, rows: group.rows.sort((a, b) => a.sequence - b.sequence) }))
    .sort(
      (a, b) =>
        byNumberAware.compare(a.modelName, b.modelName) ||
        byNumberAware.compare(a.modelVersion, b.modelVersion),
    );
}

/**
 * The rows as one batch of tensors named `names` (empty: the first row's request tensors, in
 * their stored order). Rows whose event lacks a tensor, or holds it with another datatype or
 * per-row shape than the first row's, are left out and counted.
 */
export function rowsAsTensors(
  rows: readonly SampledRow[],
  names: readonly string[],
): { tensors: Tensor[]; used: SampledRow[]; skipped: number } {
  const first = rows[0];
  if (!first) return { tensors: [], used: [], skipped: 0 };
  const wanted = names.length > 0 ? names : first.event.inputs.map((t) => t.name);
  const pieces: Tensor[][] = wanted.map(() => []);
  const used: SampledRow[] = [];
  let reference: Tensor[] | undefined;
  for (const row of rows) {
    const byName = new Map(row.event.inputs.map((t) => [t.name, t]));
    const picked = wanted.map((name) => byName.get(name));
    if (picked.some((t) => t === undefined)) continue;
    const tensors = picked as Tensor[];
    reference ??= tensors;
    const fits = tensors.every((t, i) => {
      const ref = reference![i]!;
      return (
        t.datatype === ref.datatype &&
        t.shape.length === ref.shape.length &&
        t.shape.every((d, j) => j === 0 || d === ref.shape[j]) &&
        row.row < (t.shape[0] ?? 0)
      );
    });
    if (!fits) continue;
    for (const [i, tensor] of tensors.entries()) {
      const rowsIn = tensor.shape[0]!;
      pieces[i]!.push(splitBatch(tensor, [row.row, 1, rowsIn - row.row - 1])[1]!);
    }
    used.push(row);
  }
  if (used.length === 0) {
    throw new InvalidArgumentError(
      `selector.tensors: none of the ${rows.length} sampled rows has the tensors ${wanted.map((n) => JSON.stringify(n)).join(', ')} (rule "selector.tensors")`,
    );
  }
  return {
    tensors: pieces.map((p, i) => ({ ...concatBatch(p), name: wanted[i]! }) as Tensor),
    used,
    skipped: rows.length - used.length,
  };
}
