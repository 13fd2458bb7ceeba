/**
 * NPY inputs (`--input-file x.npy`): NumPy's .npy format, versions 1.0, 2.0 and 3.0
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), read into the
 * typed array of the matching V2 datatype.
 *
 * Written here rather than taken from npm: the packages checked (npyjs 1.2.0, numpy-parser
 * 1.2.3) read big-endian (`>f4`) data as little-endian without a word, never check the data
 * length against the shape, and ignore (npyjs) or refuse (numpy-parser) Fortran order; the
 * format is one fixed header and a flat array, ~150 lines with those cases handled.
 *
 * dtypes: `b1` BOOL, `i1` `i2` `i4` `i8` INT8-64, `u1` `u2` `u4` `u8` UINT8-64, `f2` FP16
 * (bit patterns kept), `f4` FP32, `f8` FP64, in `<` little, `>` big, `=` native (little
 * here) or `|` (one byte) order. Structured, string, object and complex dtypes are refused
 * with a sentence. Fortran-order arrays are reordered to row-major.
 */
import type { Datatype } from '@sightline/tensor';
import { UsageError } from '../frame/usage-error.js';
import type { ParsedInput, ParsedValues } from './parsed-input.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** The longest header read, in bytes: numpy's own headers are a few hundred. */
export const MAX_NPY_HEADER_BYTES = 1 << 20;
/** The most dimensions a shape may have. */
export const MAX_NPY_RANK = 32;

interface DtypeInfo {
  readonly datatype: Datatype;
  readonly size: number;
}

const DTYPES: Readonly<Record<string, DtypeInfo>> = {
  b1: { datatype: 'BOOL', size: 1 },
  i1: { datatype: 'INT8', size: 1 },
  i2: { datatype: 'INT16', size: 2 },
  i4: { datatype: 'INT32', size: 4 },
  i8: { datatype: 'INT64', size: 8 },
  u1: { datatype: 'UINT8', size: 1 },
  u2: { datatype: 'UINT16', size: 2 },
  u4: { datatype: 'UINT32', size: 4 },
  u8: { datatype: 'UINT64', size: 8 },
  f2: { datatype: 'FP16', size: 2 },
  f4: { datatype: 'FP32', size: 4 },
  f8: { datatype: 'FP64', size: 8 },
};

/** The header's three keys. */
export interface NpyHeader {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: number[];
}

/** Parses the header's Python dict literal: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`. */
export function parseNpyHeader(text: string, source: string): NpyHeader {
  const descr = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(text)?.[2];
  if (descr === undefined) {
    const structured = /['"]descr['"]\s*:\s*\[/.test(text);
    throw new UsageError(
      `${source}: ${structured ? 'structured (record) arrays are not supported' : 'the header has no descr'}`,
    );
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  if (fortran === undefined) throw new UsageError(`${source}: the header has no fortran_order`);
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (shapeText === undefined) throw new UsageError(`${source}: the header has no shape`);
  const parts = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length > MAX_NPY_RANK) throw new UsageError(`${source}: more than ${MAX_NPY_RANK} dimensions`);
  const shape = parts.map((part) => {
    // numpy writes Python ints, which may carry an L suffix in files from Python 2.
    const digits = part.replace(/L$/, '');
    if (!/^\d+$/.test(digits))
      throw new UsageError(`${source}: shape entry ${JSON.stringify(part)} is not a non-negative integer`);
    return Number(digits);
  });
  return { descr, fortranOrder: fortran === 'True', shape };
}

function readElements(
  view: DataView,
  offset: number,
  count: number,
  code: string,
  little: boolean,
): ParsedValues {
  const at = (i: number, size: number) => offset + i * size;
  switch (code) {
    case 'b1':
      // numpy reads any byte but 0 as True; kept as its number, 2 or 255 would reach a model as a feature value.
      return {
        kind: 'number',
        values: Uint8Array.from({ length: count }, (_, i) => (view.getUint8(offset + i) === 0 ? 0 : 1)),
      };
    case 'u1':
      return {
        kind: 'number',
        values: new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count)),
      };
    case 'i1': {
      return {
        kind: 'number',
        values: new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count)),
      };
    }
    case 'i2':
      return {
        kind: 'number',
        values: Int16Array.from({ length: count }, (_, i) => view.getInt16(at(i, 2), little)),
      };
    case 'u2':
      return {
        kind: 'number',
        values: Uint16Array.from({ length: count }, (_, i) => view.getUint16(at(i, 2), little)),
      };
    case 'f2':
      return {
        kind: 'bits16',
        values: Uint16Array.from({ length: count }, (_, i) => view.getUint16(at(i, 2), little)),
      };
    case 'i4':
      return {
        kind: 'number',
        values: Int32Array.from({ length: count }, (_, i) => view.getInt32(at(i, 4), little)),
      };
    case 'u4':
      return {
        kind: 'number',
        values: Uint32Array.from({ length: count }, (_, i) => view.getUint32(at(i, 4), little)),
      };
    case 'f4':
      return {
        kind: 'number',
        values: Float32Array.from({ length: count }, (_, i) => view.getFloat32(at(i, 4), little)),
      };
    case 'f8':
      return {
        kind: 'number',
        values: Float64Array.from({ length: count }, (_, i) => view.getFloat64(at(i, 8), little)),
      };
    case 'i8': {
      const values = new BigInt64Array(count);
      for (let i = 0; i < count; i += 1) values[i] = view.getBigInt64(at(i, 8), little);
      return { kind: 'bigint', values };
    }
    default: {
      const values = new BigUint64Array(count);
      for (let i = 0; i < count; i += 1) values[i] = view.getBigUint64(at(i, 8), little);
      return { kind: 'bigint', values };
    }
  }
}

/** The row-major position of each Fortran-order element: `out[c] = in[f(c)]`. */
function fortranToRowMajor<T extends { length: number; [index: number]: unknown }>(
  values: T,
  shape: readonly number[],
  make: (n: number) => T,
): T {
  const count = values.length;
  const out = make(count);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  for (let c = 0; c < count; c += 1) {
    // Fortran offset of the multi-index: first dimension varies fastest.
    let f = 0;
    let stride = 1;
    for (let d = 0; d < rank; d += 1) {
      f += index[d]! * stride;
      stride *= shape[d]!;
    }
    out[c] = values[f];
    for (let d = rank - 1; d >= 0; d -= 1) {
      index[d] = index[d]! + 1;
      if (index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

function reorder(data: ParsedValues, shape: readonly number[]): ParsedValues {
  if (shape.length < 2) return data;
  const values = data.values as unknown as {
    length: number;
    [index: number]: unknown;
    constructor: new (n: number) => unknown;
  };
  const Ctor = values.constructor;
  const out = fortranToRowMajor(values, shape, (n) => new Ctor(n) as typeof values);
  return { kind: data.kind, values: out } as unknown as ParsedValues;
}

/**
 * Reads an .npy file's bytes as one unnamed input of the dtype's datatype.
 *
 * @throws UsageError naming the file for a bad magic or version, an unsupported dtype, or
 *   data whose length does not match the shape.
 */
export function parseNpyInput(bytes: Uint8Array, source: string): ParsedInput {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new UsageError(`${source}: not an .npy file (no \\x93NUMPY magic)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3)
    throw new UsageError(`${source}: .npy version ${major}.${bytes[7]} is not supported (1.0-3.0 are)`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new UsageError(`${source}: truncated header`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  if (headerLength > MAX_NPY_HEADER_BYTES) {
    throw new UsageError(
      `${source}: header of ${headerLength} bytes is over the ${MAX_NPY_HEADER_BYTES}-byte limit`,
    );
  }
  if (bytes.length < headerStart + headerLength) throw new UsageError(`${source}: truncated header`);
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLength);
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  const header = parseNpyHeader(headerText, source);
  const match = /^([<>|=]?)([a-zA-Z]\d+)$/.exec(header.descr);
  const info = match ? DTYPES[match[2]!] : undefined;
  if (!match || !info) {
    throw new UsageError(
      `${source}: dtype ${JSON.stringify(header.descr)} is not supported (bool, int8-64, uint8-64, float16/32/64 are)`,
    );
  }
  const little = match[1] !== '>';
  const count = header.shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  const expected = count * info.size;
  const actual = bytes.length - dataStart;
  if (actual !== expected) {
    throw new UsageError(
      `${source}: shape (${header.shape.join(', ')}) of ${header.descr} needs ${expected} bytes of data, the file has ${actual}`,
    );
  }
  let data = readElements(view, dataStart, count, match[2]!, little);
  if (header.fortranOrder) data = reorder(data, header.shape);
  return { storedAs: info.datatype, shape: header.shape, data };
}
