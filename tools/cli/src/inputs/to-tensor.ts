/**
 * A parsed input -> a V2 tensor of the datatype it will be sent as: the datatype the file
 * or `--datatype` gave, else the model's declared one, else FP32 for numbers, BOOL for
 * booleans, BYTES for strings. Every element is checked against the datatype (integers in
 * range, 0/1 or booleans for BOOL), so a mistake is named here rather than by the server.
 */
import { createTensor, DATATYPE_INFO, type Datatype, fp16ToNumber, type Tensor } from '@sightline/tensor';
import { UsageError } from '../frame/usage-error.js';
import type { ParsedInput, ParsedValues } from './parsed-input.js';

/** The largest finite FP32 value. */
const FP32_MAX = 3.4028234663852886e38;

function defaultDatatype(data: ParsedValues): Datatype {
  switch (data.kind) {
    case 'boolean':
      return 'BOOL';
    case 'string':
      return 'BYTES';
    case 'bigint':
      return 'INT64';
    case 'bits16':
      return 'FP16';
    default:
      return 'FP32';
  }
}

function numbersOf(data: ParsedValues, label: string, datatype: Datatype): ArrayLike<number> {
  if (data.kind === 'number') return data.values;
  if (data.kind === 'boolean') return data.values.map((b) => (b ? 1 : 0));
  if (data.kind === 'bigint') return Array.from(data.values as ArrayLike<bigint>, (v) => Number(v));
  if (data.kind === 'string') {
    return data.values.map((text, i) => {
      const value = Number(text);
      if (text.trim() === '' || Number.isNaN(value)) {
        throw new UsageError(
          `${label}: element ${i} ${JSON.stringify(text)} is not a number for ${datatype}`,
        );
      }
      return value;
    });
  }
  return Array.from(data.values, fp16ToNumber);
}

function bigintsOf(data: ParsedValues, label: string, datatype: Datatype): bigint[] {
  if (data.kind === 'bigint') return Array.from(data.values as ArrayLike<bigint>);
  if (data.kind === 'bits16')
    throw new UsageError(`${label}: FP16 bits can only be sent as FP16 or BF16, not ${datatype}`);
  const values =
    data.kind === 'boolean'
      ? data.values.map((b) => (b ? 1 : 0))
      : Array.from(data.values as ArrayLike<number | string>);
  return values.map((value, i) => {
    const text = String(value).trim();
    if (!/^[-+]?\d+$/.test(text))
      throw new UsageError(
        `${label}: element ${i} ${JSON.stringify(value)} is not an integer for ${datatype}`,
      );
    return BigInt(text);
  });
}

/**
 * Makes the tensor for one input.
 *
 * @param name - the tensor's name (the input's own, a flag's, or the metadata's).
 * @param options - `force` (`--datatype`) wins over everything; then the input's own
 *   datatype (V2 JSON), then `declared` (the model's metadata), then the file's storage
 *   type, then FP32/BOOL/BYTES/INT64 by the kind of elements.
 * @throws UsageError naming the input and the element that does not fit the datatype.
 */
export function toTensor(
  input: ParsedInput,
  name: string,
  options: { force?: Datatype; declared?: Datatype } = {},
): Tensor {
  const datatype =
    options.force ?? input.datatype ?? options.declared ?? input.storedAs ?? defaultDatatype(input.data);
  const label = `input ${JSON.stringify(name)}`;
  const { data } = input;
  const info = DATATYPE_INFO[datatype];
  try {
    switch (info.element) {
      case 'bytes': {
        if (data.kind !== 'string') throw new UsageError(`${label}: BYTES elements must be strings`);
        const encoder = new TextEncoder();
        return createTensor(
          name,
          'BYTES',
          input.shape,
          data.values.map((s) => encoder.encode(s)),
        );
      }
      case 'bits': {
        if (data.kind !== 'bits16')
          throw new UsageError(`${label}: ${datatype} elements can only come from an .npy float16 file`);
        return createTensor(name, datatype as 'FP16', input.shape, data.values);
      }
      case 'bigint': {
        const values = bigintsOf(data, label, datatype);
        const min = datatype === 'UINT64' ? 0n : -(2n ** 63n);
        const max = datatype === 'UINT64' ? 2n ** 64n - 1n : 2n ** 63n - 1n;
        const bad = values.findIndex((v) => v < min || v > max);
        if (bad !== -1)
          throw new UsageError(`${label}: element ${bad} (${values[bad]}) is out of ${datatype}'s range`);
        return datatype === 'UINT64'
          ? createTensor(name, 'UINT64', input.shape, BigUint64Array.from(values))
          : createTensor(name, 'INT64', input.shape, BigInt64Array.from(values));
      }
      case 'bool': {
        const values = numbersOf(data, label, datatype);
        const bad = Array.prototype.findIndex.call(values, (v: number) => v !== 0 && v !== 1);
        if (bad !== -1)
          throw new UsageError(`${label}: element ${bad} (${values[bad]}) is not a BOOL (true/false or 0/1)`);
        return createTensor(name, 'BOOL', input.shape, Uint8Array.from(values));
      }
      case 'int': {
        const values = numbersOf(data, label, datatype);
        const [min, max] = info.range!;
        const bad = Array.prototype.findIndex.call(
          values,
          (v: number) => !Number.isInteger(v) || v < min || v > max,
        );
        if (bad !== -1)
          throw new UsageError(
            `${label}: element ${bad} (${values[bad]}) is not an integer in ${datatype}'s range ${min}..${max}`,
          );
        const stored = new (info.arrayClass as unknown as new (length: number) => Int32Array)(values.length);
        stored.set(Array.from(values));
        return createTensor(name, datatype as 'INT32', input.shape, stored);
      }
      default: {
        const values = numbersOf(data, label, datatype);
        if (datatype === 'FP32') {
          // A finite number past FP32's range would be sent as ±Infinity without a word.
          const bad = Array.prototype.findIndex.call(
            values,
            (v: number) => Number.isFinite(v) && !Number.isFinite(Math.fround(v)),
          );
          if (bad !== -1)
            throw new UsageError(
              `${label}: element ${bad} (${values[bad]}) is out of FP32's range (at most ${FP32_MAX} in magnitude)`,
            );
        }
        return datatype === 'FP64'
          ? createTensor(name, 'FP64', input.shape, Float64Array.from(values))
          : createTensor(
              name,
              'FP32',
              input.shape,
              values instanceof Float32Array ? values : Float32Array.from(values),
            );
      }
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // createTensor's own checks (shape vs. element count): the user's input, not a server's answer.
    throw new UsageError((error as Error).message);
  }
}
