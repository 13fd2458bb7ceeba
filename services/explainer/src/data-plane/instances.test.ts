import { InvalidArgumentError } from '@sightline/errors';
import { createTensor, type Datatype, type Tensor } from '@sightline/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFeatureSpace } from './feature-space.js';
import { checkTensorsAgainstMetadata, flattenRows, rowsToTensors } from './instances.js';

/** Datatypes whose every value of the generated ranges survives float64 and back exactly. */
const EXACT: readonly [Datatype, (v: number) => number | bigint, () => fc.Arbitrary<number>][] = [
  ['FP64', (v) => v, () => fc.double({ noNaN: true, noDefaultInfinity: true })],
  ['FP32', (v) => Math.fround(v), () => fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround)],
  ['INT32', (v) => v, () => fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })],
  ['INT8', (v) => v, () => fc.integer({ min: -128, max: 127 })],
  ['UINT8', (v) => v, () => fc.integer({ min: 0, max: 255 })],
  ['INT64', (v) => BigInt(v), () => fc.integer({ min: -(2 ** 40), max: 2 ** 40 })],
  ['BOOL', (v) => v, () => fc.integer({ min: 0, max: 1 })],
];

function tensorOf(name: string, datatype: Datatype, shape: number[], values: number[]): Tensor {
  const arrays: Record<string, (v: number[]) => unknown> = {
    FP64: (v) => Float64Array.from(v),
    FP32: (v) => Float32Array.from(v),
    INT32: (v) => Int32Array.from(v),
    INT8: (v) => Int8Array.from(v),
    UINT8: (v) => Uint8Array.from(v),
    INT64: (v) => BigInt64Array.from(v.map(BigInt)),
    BOOL: (v) => Uint8Array.from(v),
  };
  return createTensor(name, datatype, shape, arrays[datatype]!(values) as never) as Tensor;
}

describe('feature rows', () => {
  it('round-trip through rowsToTensors for every exact datatype and per-row shape', () => {
    const slot = fc.constantFrom(...EXACT).chain(([datatype, , values]) =>
      fc.record({
        datatype: fc.constant(datatype),
        rowShape: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        values: fc.constant(values),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(slot, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 4 }),
        (slots, rows) =>
          fc.assert(
            fc.property(
              fc.tuple(
                ...slots.map((s) =>
                  fc.array(s.values(), {
                    minLength: rows * s.rowShape.reduce((a, b) => a * b, 1),
                    maxLength: rows * s.rowShape.reduce((a, b) => a * b, 1),
                  }),
                ),
              ),
              (data) => {
                const tensors = slots.map((s, i) =>
                  tensorOf(`t${i}`, s.datatype, [rows, ...s.rowShape], data[i]!),
                );
                const metadata = {
                  name: 'm',
                  inputs: slots.map((s, i) => ({
                    name: `t${i}`,
                    datatype: s.datatype,
                    shape: [-1, ...s.rowShape],
                  })),
                };
                const { layout, count } = checkTensorsAgainstMetadata(tensors, metadata, 'instances');
                expect(count).toBe(rows);
                const flat = flattenRows(tensors, layout, 'instances');
                expect(flat.rows.length).toBe(rows * layout.featureCount);
                const back = rowsToTensors(layout, flat.rows, rows);
                back.forEach((tensor, i) => {
                  expect(tensor).toMatchObject({
                    name: `t${i}`,
                    datatype: slots[i]!.datatype,
                    shape: [rows, ...slots[i]!.rowShape],
                  });
                  expect(Array.from(tensor.data as ArrayLike<unknown>)).toEqual(
                    Array.from(tensors[i]!.data as ArrayLike<unknown>),
                  );
                });
              },
            ),
            { numRuns: 5 },
          ),
      ),
      { numRuns: 60 },
    );
  });

  it('puts row r of each tensor, in the order given, into feature row r', () => {
    const a = tensorOf('a', 'FP32', [2, 2], [1, 2, 3, 4]);
    const b = tensorOf('b', 'INT32', [2, 1], [10, 20]);
    const metadata = {
      name: 'm',
      inputs: [
        { name: 'b', datatype: 'INT32' as const, shape: [-1, 1] },
        { name: 'a', datatype: 'FP32' as const, shape: [-1, 2] },
      ],
    };
    const { layout } = checkTensorsAgainstMetadata([a, b], metadata, 'instances');
    expect(Array.from(flattenRows([a, b], layout, 'instances').rows)).toEqual([1, 2, 10, 3, 4, 20]);
    const space = buildFeatureSpace(layout, [], new Map());
    expect(space.featureNames).toEqual(['a[0]', 'a[1]', 'b[0]']);
  });

  it('rounds and clamps perturbed values into integer and BOOL ranges', () => {
    const layout = {
      featureCount: 3,
      slots: [
        { name: 'x', datatype: 'INT8' as const, rowShape: [2], rowElements: 2, offset: 0 },
        { name: 'y', datatype: 'BOOL' as const, rowShape: [1], rowElements: 1, offset: 2 },
      ],
    };
    const [x, y] = rowsToTensors(layout, Float64Array.from([2.6, -500, 0.7]), 1);
    expect(Array.from(x!.data as Int8Array)).toEqual([3, -128]);
    expect(Array.from(y!.data as Uint8Array)).toEqual([1]);
  });

  it('refuses BYTES and rows that disagree, naming the tensor', () => {
    const metadata = { name: 'm', inputs: [{ name: 's', datatype: 'BYTES' as const, shape: [-1] }] };
    const bytes = createTensor('s', 'BYTES', [1], [new Uint8Array([1])]);
    expect(() => checkTensorsAgainstMetadata([bytes], metadata, 'instances')).toThrow(InvalidArgumentError);
    expect(() => checkTensorsAgainstMetadata([bytes], metadata, 'instances')).toThrow(
      /instances "s": datatype BYTES cannot be explained/,
    );
    const two = {
      name: 'm',
      inputs: [
        { name: 'a', datatype: 'FP32' as const, shape: [-1, 1] },
        { name: 'b', datatype: 'FP32' as const, shape: [-1, 1] },
      ],
    };
    expect(() =>
      checkTensorsAgainstMetadata(
        [tensorOf('a', 'FP32', [1, 1], [1]), tensorOf('b', 'FP32', [2, 1], [1, 2])],
        two,
        'instances',
      ),
    ).toThrow(
      'instances "b": has 2 rows, the first tensor 1; all must have the same (rule "instances.metadata")',
    );
  });
});
