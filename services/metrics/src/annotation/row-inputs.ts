/**
 * An item's inputs: each request tensor sliced to the item's row (first dimension 1), kept
 * while their raw bytes fit the per-item limit; the rest are left out and flagged, so a queue
 * of image models cannot fill the store.
 */
import { splitBatch, type Tensor, tensorToRaw } from '@sightline/tensor';
import type { ItemInput } from './annotation-types.js';

export interface RowInputs {
  readonly inputs: ItemInput[];
  readonly truncated: boolean;
}

/** The tensors' share of `row`, in order, at most `maxBytes` raw bytes in all. */
export function sliceRowInputs(tensors: readonly Tensor[], row: number, maxBytes: number): RowInputs {
  const inputs: ItemInput[] = [];
  let bytes = 0;
  let truncated = false;
  for (const tensor of tensors) {
    const rows = tensor.shape[0];
    if (rows === undefined || row >= rows) {
      // A scalar or a tensor without this row cannot be sliced to it: say it was left out.
      truncated = true;
      continue;
    }
    let raw: Uint8Array;
    try {
      const piece = splitBatch(tensor, [row, 1, rows - row - 1])[1] as Tensor;
      raw = tensorToRaw(piece);
    } catch {
      truncated = true;
      continue;
    }
    if (bytes + raw.byteLength > maxBytes) {
      truncated = true;
      continue;
    }
    bytes += raw.byteLength;
    // Copy: the slice is a view on the whole request's buffer, which must not stay alive.
    inputs.push({
      name: tensor.name,
      datatype: tensor.datatype,
      shape: [1, ...tensor.shape.slice(1)],
      raw: raw.slice(),
    });
  }
  return { inputs, truncated };
}

/** Raw bytes of an item's inputs. */
export function inputBytes(inputs: readonly ItemInput[]): number {
  let total = 0;
  for (const input of inputs) total += input.raw.byteLength;
  return total;
}
