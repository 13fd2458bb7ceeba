/**
 * Triton's classification extension: a requested output with the parameter
 * `classification: k` (an integer) is answered, instead of the model's tensor, as a BYTES
 * tensor of the k highest values of each row, each `"<value>:<index>"` or, when the output
 * has a labels file, `"<value>:<index>:<label>"` (label = line `index` of the file). The
 * shape is `[batch, k]` for a model that batches, `[k]` otherwise; k is cut to the number
 * of classes. Values print as Triton prints them (C++ `std::to_string`: six decimals for
 * floating point, integers as they are); ties keep the lower index first.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { ParameterValue, Tensor } from '@sightline/tensor';

/** The output parameter that asks for classification. */
export const CLASSIFICATION_PARAMETER = 'classification';

/** The largest `classification` count accepted (a likely typo past it; classes are cut anyway). */
export const MAX_CLASSIFICATION_COUNT = 1 << 20;

/**
 * The class count asked by an output's `classification` parameter, or undefined when it
 * has none.
 *
 * @throws InvalidArgumentError naming the output when it is not a positive integer.
 */
export function classificationCount(
  outputName: string,
  value: ParameterValue | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  const count = typeof value === 'bigint' ? Number(value) : value;
  if (
    typeof count !== 'number' ||
    !Number.isSafeInteger(count) ||
    count < 1 ||
    count > MAX_CLASSIFICATION_COUNT
  ) {
    throw new InvalidArgumentError(
      `output ${quoteName(outputName)}: parameter "${CLASSIFICATION_PARAMETER}" must be an integer from 1 to ${MAX_CLASSIFICATION_COUNT} (int64_param), got ${quoteName(String(value))}`,
    );
  }
  return count;
}

/** How `std::to_string` writes a value of each numeric datatype. */
function formatValue(tensor: Tensor): ((index: number) => string) | undefined {
  switch (tensor.datatype) {
    case 'FP32':
    case 'FP64': {
      const data = tensor.data;
      return (i) => data[i]!.toFixed(6);
    }
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
    case 'INT8':
    case 'INT16':
    case 'INT32':
    case 'UINT64':
    case 'INT64': {
      const data = tensor.data;
      return (i) => String(data[i]!);
    }
    default:
      return undefined;
  }
}

/**
 * The classification of `tensor`: see the file comment.
 *
 * @param batched - whether the first dimension is the batch (max_batch_size > 0).
 * @param labels - class labels by index, from the output's labels file.
 * @throws InvalidArgumentError for a datatype that has no order (BOOL, BYTES, FP16, BF16).
 */
export function classify(
  tensor: Tensor,
  count: number,
  batched: boolean,
  labels: readonly string[] | undefined,
): Tensor {
  const format = formatValue(tensor);
  if (format === undefined) {
    throw new InvalidArgumentError(
      `output ${quoteName(tensor.name)}: parameter "${CLASSIFICATION_PARAMETER}" needs a numeric output (not FP16, BF16, BOOL or BYTES), got ${tensor.datatype}`,
    );
  }
  const total = tensor.data.length;
  const rows = batched ? (tensor.shape[0] ?? 1) : 1;
  const perRow = rows === 0 ? 0 : total / rows;
  const k = Math.min(count, perRow);
  const values = tensor.data as ArrayLike<number | bigint>;
  const encoder = new TextEncoder();
  const out: Uint8Array[] = [];
  for (let row = 0; row < rows; row++) {
    const start = row * perRow;
    const order = Array.from({ length: perRow }, (_, i) => i);
    // Array.prototype.sort is stable: equal values keep the lower index first.
    order.sort((a, b) => {
      const x = values[start + a]!;
      const y = values[start + b]!;
      return x > y ? -1 : x < y ? 1 : 0;
    });
    for (let j = 0; j < k; j++) {
      const index = order[j]!;
      const label = labels?.[index];
      const text = `${format(start + index)}:${index}${label === undefined ? '' : `:${label}`}`;
      out.push(encoder.encode(text));
    }
  }
  return { name: tensor.name, datatype: 'BYTES', shape: batched ? [rows, k] : [k], data: out };
}
