import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataArb, expectSameTensor, fixedWidthData, thrownMessage } from '../test/arbitraries.js';
import { concatBatch, splitBatch } from './batch.js';
import { elementCount } from './shape.js';
import { DATATYPES, type Tensor } from './types.js';

/** A batch of tensors sharing datatype and trailing dims, with arbitrary row counts (0 included). */
const batchArb = fc
  .record({
    datatype: fc.constantFrom(...DATATYPES),
    trailing: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    rows: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 5 }),
  })
  .chain(({ datatype, trailing, rows }) =>
    fc.tuple(
      ...rows.map((r) =>
        dataArb(datatype, elementCount([r, ...trailing]), true).map(
          (data) => ({ name: 'input', datatype, shape: [r, ...trailing], data }) as Tensor,
        ),
      ),
    ),
  );

describe('concatBatch / splitBatch', () => {
  it('splitBatch(concatBatch(ts), rows) gives back ts', () => {
    fc.assert(
      fc.property(batchArb, (tensors) => {
        const batch = concatBatch(tensors);
        expect(batch.shape[0]).toBe(tensors.reduce((n, t) => n + t.shape[0]!, 0));
        const pieces = splitBatch(
          batch,
          tensors.map((t) => t.shape[0]!),
        );
        expect(pieces).toHaveLength(tensors.length);
        for (const [i, piece] of pieces.entries()) expectSameTensor(piece, tensors[i]!);
      }),
    );
  });

  it('concatenates row-major along dim 0', () => {
    const a: Tensor = { name: 'x', datatype: 'INT32', shape: [1, 2], data: Int32Array.of(1, 2) };
    const b: Tensor = { name: 'x', datatype: 'INT32', shape: [2, 2], data: Int32Array.of(3, 4, 5, 6) };
    const batch = concatBatch([a, b]);
    expect(batch.shape).toEqual([3, 2]);
    expect([...batch.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('returns a single tensor unchanged', () => {
    const a: Tensor = { name: 'x', datatype: 'FP32', shape: [1], data: Float32Array.of(1) };
    expect(concatBatch([a])).toBe(a);
  });

  it('splits into views on the batch, not copies', () => {
    const batch: Tensor = { name: 'y', datatype: 'FP32', shape: [3, 2], data: new Float32Array(6) };
    const [first, second] = splitBatch(batch, [1, 2]);
    expect(fixedWidthData(first!).buffer).toBe(fixedWidthData(batch).buffer);
    expect(fixedWidthData(second!).byteOffset).toBe(8);
    expect(second!.shape).toEqual([2, 2]);
  });

  it('rejects an empty list', () => {
    expect(thrownMessage(() => concatBatch([]), InvalidArgumentError)).toBe(
      'concatBatch needs at least one tensor',
    );
  });

  it('rejects mismatched datatypes, naming the tensor', () => {
    const a: Tensor = { name: 'x', datatype: 'FP32', shape: [1], data: Float32Array.of(1) };
    const b: Tensor = { name: 'z', datatype: 'FP64', shape: [1], data: Float64Array.of(1) };
    expect(thrownMessage(() => concatBatch([a, b]), InvalidArgumentError)).toBe(
      'tensor "z": cannot batch datatype FP64 with FP32',
    );
  });

  it('rejects mismatched trailing dims and scalars', () => {
    const a: Tensor = { name: 'x', datatype: 'FP32', shape: [1, 2], data: new Float32Array(2) };
    const b: Tensor = { name: 'x', datatype: 'FP32', shape: [1, 3], data: new Float32Array(3) };
    expect(thrownMessage(() => concatBatch([a, b]), InvalidArgumentError)).toContain(
      'tensor "x": cannot batch shape [1,3] with [1,2]',
    );
    const s: Tensor = { name: 's', datatype: 'FP32', shape: [], data: new Float32Array(1) };
    expect(thrownMessage(() => concatBatch([s, s]), InvalidArgumentError)).toContain(
      'tensor "s": cannot batch shape []',
    );
  });

  it('rejects row counts that do not add up, negative counts and scalars', () => {
    const batch: Tensor = { name: 'y', datatype: 'FP32', shape: [3], data: new Float32Array(3) };
    expect(thrownMessage(() => splitBatch(batch, [1, 1]), InvalidArgumentError)).toBe(
      'tensor "y": row counts add up to 2, but dim 0 of shape [3] is 3',
    );
    expect(thrownMessage(() => splitBatch(batch, [4, -1]), InvalidArgumentError)).toContain(
      'tensor "y": row count 1 is -1',
    );
    const scalar: Tensor = { name: 's', datatype: 'FP32', shape: [], data: new Float32Array(1) };
    expect(thrownMessage(() => splitBatch(scalar, [1]), InvalidArgumentError)).toBe(
      'tensor "s": a scalar cannot be split along dim 0',
    );
  });
});
