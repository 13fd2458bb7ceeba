import { InvalidArgumentError } from '@sightline/errors';
import {
  DATATYPE_INFO,
  type Datatype,
  type DatatypeInfo,
  type FixedWidthDatatype,
  isDatatype,
  type Tensor,
} from '@sightline/tensor';

/**
 * A tensor in the event's JSON form. Fixed-size datatypes carry `data` as the base64 of
 * their little-endian element bytes (compact, lossless for FP16/BF16 and 64-bit
 * integers); BYTES carries one base64 string per element. On input a plain array of
 * numbers (or of booleans for BOOL) is accepted as well, so people can write events by hand.
 */
export interface TensorJson {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: string | readonly (string | number | boolean)[];
}

/** Encodes a domain tensor to its JSON form. Typed arrays are little-endian on every host Node supports. */
export function tensorToJson(tensor: Tensor): TensorJson {
  if (tensor.datatype === 'BYTES') {
    const data = tensor.data.map((el) =>
      Buffer.from(el.buffer, el.byteOffset, el.byteLength).toString('base64'),
    );
    return { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, data };
  }
  const view = tensor.data;
  const data = Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
  return { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, data };
}

/**
 * Decodes a tensor's JSON form, checking the datatype, the shape and that the element
 * count equals the product of the shape.
 * @param field where the tensor sits, for error messages (e.g. `inputs[0]`).
 * @throws InvalidArgumentError naming the field and the rule it broke.
 */
export function tensorFromJson(value: unknown, field: string): Tensor {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(`${field}: expected an object with name, datatype, shape and data`);
  }
  const t = value as Record<string, unknown>;
  if (typeof t.name !== 'string') throw new InvalidArgumentError(`${field}.name: expected a string`);
  const datatype = t.datatype;
  if (typeof datatype !== 'string' || !isDatatype(datatype)) {
    throw new InvalidArgumentError(
      `${field}.datatype: expected a V2 datatype, got ${JSON.stringify(datatype)}`,
    );
  }
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new InvalidArgumentError(`${field}.shape: expected an array of non-negative integers`);
  }
  const shape = t.shape as number[];
  const count = shape.reduce((a, b) => a * b, 1);
  const name = t.name;
  if (datatype === 'BYTES') {
    if (!Array.isArray(t.data) || !t.data.every((el) => typeof el === 'string')) {
      throw new InvalidArgumentError(`${field}.data: BYTES expects an array of base64 strings`);
    }
    if (t.data.length !== count) {
      throw new InvalidArgumentError(
        `${field}.data: expected ${count} elements for shape [${shape}], got ${t.data.length}`,
      );
    }
    const data = (t.data as string[]).map((el) => new Uint8Array(Buffer.from(el, 'base64')));
    return { name, datatype, shape, data };
  }
  const spec = DATATYPE_INFO[datatype as FixedWidthDatatype];
  let data: ArrayLike<number | bigint>;
  if (typeof t.data === 'string') {
    const raw = Buffer.from(t.data, 'base64');
    if (raw.byteLength !== count * spec.bytesPerElement) {
      throw new InvalidArgumentError(
        `${field}.data: expected ${count * spec.bytesPerElement} bytes (${count} ${datatype} elements for shape [${shape}]), got ${raw.byteLength}`,
      );
    }
    // Copy into a fresh, aligned buffer: Buffer.from may hand back a slice of a shared pool.
    const copy = new ArrayBuffer(raw.byteLength);
    new Uint8Array(copy).set(raw);
    data = new spec.arrayClass(copy, 0, count);
  } else if (Array.isArray(t.data)) {
    if (t.data.length !== count) {
      throw new InvalidArgumentError(
        `${field}.data: expected ${count} elements for shape [${shape}], got ${t.data.length}`,
      );
    }
    data = fromNumbers(t.data, spec, datatype, field);
  } else {
    throw new InvalidArgumentError(`${field}.data: expected a base64 string or an array of numbers`);
  }
  return { name, datatype, shape, data } as unknown as Tensor;
}

function fromNumbers(
  values: readonly unknown[],
  spec: DatatypeInfo<FixedWidthDatatype>,
  datatype: string,
  field: string,
): ArrayLike<number | bigint> {
  const out = new spec.arrayClass(values.length) as unknown as {
    [i: number]: number | bigint;
    length: number;
  };
  const big = spec.element === 'bigint';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'boolean' && spec.element === 'bool') out[i] = v ? 1 : 0;
    else if (typeof v === 'number' && Number.isFinite(v)) out[i] = big ? BigInt(Math.trunc(v)) : v;
    else if (big && typeof v === 'string' && /^-?\d+$/.test(v)) out[i] = BigInt(v);
    else
      throw new InvalidArgumentError(
        `${field}.data[${i}]: expected a ${datatype} number, got ${JSON.stringify(v)}`,
      );
  }
  return out as unknown as ArrayLike<number | bigint>;
}
