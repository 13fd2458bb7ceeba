/**
 * The rows of stored events, sampled and grouped: each event's request holds one or more
 * rows (its tensors' first dimension); a seeded reservoir keeps at most max_rows of all the
 * range's rows, uniformly, each copied out of its event (so no event is held whole); the rows
 * kept are grouped by the model and version that answered
 * them and rebuilt into one batch of tensors per group, so each group is explained as the
 * instances of an Explain are.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { concatBatch, type Tensor } from '@sightline/tensor';
import type { StoredEvent } from '../data-plane/stored-events.js';

/** One sampled row: who answered it, its request tensors (one row each), and the order it was read in. */
export interface SampledRow {
  readonly modelName: string;
  readonly modelVersion: string;
  /** The event's request tensors cut to this row (copies: the event itself is not kept). */
  readonly inputs: readonly Tensor[];
  readonly sequence: number;
}

/** Row `row` of `event` as a SampledRow; tensors too short for the row are left out. */
export function sampledRow(event: StoredEvent, row: number, sequence: number): SampledRow {
  const inputs: Tensor[] = [];
  for (const tensor of event.inputs) {
    const rows = tensor.shape[0] ?? 0;
    if (row >= rows) continue;
    const size = tensor.shape.slice(1).reduce((a, b) => a * b, 1);
    // slice, not a view: a view would keep the whole event's buffer alive.
    inputs.push({
      ...tensor,
      shape: [1, ...tensor.shape.slice(1)],
      data: tensor.data.slice(row * size, (row + 1) * size),
    } as Tensor);
  }
  return { modelName: event.modelName, modelVersion: event.modelVersion, inputs, sequence };
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
    const key = JSON.stringify([row.modelName, row.modelVersion]);
    let group = groups.get(key);
    if (!group) {
      group = { modelName: row.modelName, modelVersion: row.modelVersion, rows: [] };
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
  const wanted = names.length > 0 ? names : first.inputs.map((t) => t.name);
  const pieces: Tensor[][] = wanted.map(() => []);
  const used: SampledRow[] = [];
  let reference: Tensor[] | undefined;
  for (const row of rows) {
    const byName = new Map(row.inputs.map((t) => [t.name, t]));
    const picked = wanted.map((name) => byName.get(name));
    if (picked.some((t) => t === undefined)) continue;
    const tensors = picked as Tensor[];
    reference ??= tensors;
    const fits = tensors.every((t, i) => {
      const ref = reference![i]!;
      return (
        t.datatype === ref.datatype &&
        t.shape.length === ref.shape.length &&
        t.shape.every((d, j) => j === 0 || d === ref.shape[j])
      );
    });
    if (!fits) continue;
    for (const [i, tensor] of tensors.entries()) pieces[i]!.push(tensor);
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
