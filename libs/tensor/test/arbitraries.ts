/** fast-check arbitraries and comparisons shared by this package's tests. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { elementCount } from '../src/shape.js';
import { DATATYPES, type Datatype, type Tensor, type TensorData } from '../src/types.js';

const utf8 = new TextEncoder();

/** Shapes of rank 0-4 with dims 0-4: zero-sized dims and scalars included. */
export const shapeArb: fc.Arbitrary<number[]> = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });

/** One BYTES element: arbitrary bytes, empty, or non-ASCII text as UTF-8. */
export const bytesElementArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 16 }),
  fc.constant(new Uint8Array(0)),
  fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => utf8.encode(s)),
);

/**
 * Data of `n` elements. With `floatBits`, FP32/FP64 are arbitrary bit patterns (NaN
 * payloads included), which survive raw contents; without, they are fast-check floats
 * (NaN, -0, +-Infinity, subnormals), which survive typed contents too.
 */
export function dataArb(datatype: Datatype, n: number, floatBits: boolean): fc.Arbitrary<TensorData> {
  const len = { minLength: n, maxLength: n };
  switch (datatype) {
    case 'BOOL':
      return fc.uint8Array({ ...len, min: 0, max: 1 });
    case 'UINT8':
      return fc.uint8Array(len);
    case 'INT8':
      return fc.int8Array(len);
    case 'UINT16':
    case 'FP16':
    case 'BF16':
      return fc.uint16Array(len);
    case 'INT16':
      return fc.int16Array(len);
    case 'UINT32':
      return fc.uint32Array(len);
    case 'INT32':
      return fc.int32Array(len);
    case 'UINT64':
      return fc.bigUint64Array(len);
    case 'INT64':
      return fc.bigInt64Array(len);
    case 'FP32':
      return floatBits ? fc.uint32Array(len).map((u) => new Float32Array(u.buffer)) : fc.float32Array(len);
    case 'FP64':
      return floatBits ? fc.bigUint64Array(len).map((u) => new Float64Array(u.buffer)) : fc.float64Array(len);
    case 'BYTES':
      return fc.array(bytesElementArb, len);
  }
}

/** A tensor of `datatype` with an arbitrary shape and matching data. */
export function tensorArb(datatype: Datatype, floatBits = false, name = 'x'): fc.Arbitrary<Tensor> {
  return shapeArb.chain((shape) =>
    dataArb(datatype, elementCount(shape), floatBits).map(
      (data) => ({ name, datatype, shape, data }) as Tensor,
    ),
  );
}

/** A tensor of any datatype. */
export function anyTensorArb(floatBits = false): fc.Arbitrary<Tensor> {
  return fc.constantFrom(...DATATYPES).chain((d) => tensorArb(d, floatBits));
}

function bytesOf(data: Exclude<TensorData, Uint8Array[]>): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Asserts two tensors are equal, comparing fixed-width data bit for bit (NaN, -0). */
export function expectSameTensor(actual: Tensor, expected: Tensor): void {
  expect(actual.name).toBe(expected.name);
  expect(actual.datatype).toBe(expected.datatype);
  expect([...actual.shape]).toEqual([...expected.shape]);
  if (expected.datatype === 'BYTES') {
    expect(Array.isArray(actual.data)).toBe(true);
    const actualElements = (actual.data as Uint8Array[]).map((e) => Buffer.from(e).toString('hex'));
    expect(actualElements).toEqual(expected.data.map((e) => Buffer.from(e).toString('hex')));
    return;
  }
  const actualData = actual.data as Exclude<TensorData, Uint8Array[]>;
  expect(actualData.constructor).toBe(expected.data.constructor);
  expect(actualData.length).toBe(expected.data.length);
  expect(bytesOf(actualData).equals(bytesOf(expected.data))).toBe(true);
}

/** Runs `fn`, expecting it to throw an instance of `errorClass`; returns the error's message. */
export function thrownMessage(fn: () => unknown, errorClass: new (...args: never[]) => Error): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(errorClass);
    return (error as Error).message;
  }
  throw new Error('expected the call to throw');
}

/** A fixed-width tensor's typed array (fails the test for BYTES). */
export function fixedWidthData(tensor: Tensor): Exclude<TensorData, Uint8Array[]> {
  if (tensor.datatype === 'BYTES') throw new Error(`tensor "${tensor.name}" is BYTES`);
  return tensor.data;
}
