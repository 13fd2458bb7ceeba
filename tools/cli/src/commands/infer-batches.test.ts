import { createTensor, type Tensor } from '@sightline/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_PROGRESS } from '../frame/progress.js';
import { batchRowCounts, inferInBatches } from './infer-batches.js';
import type { InferAnswer } from './infer-view.js';

const rows = (n: number, width = 2): Tensor =>
  createTensor(
    'x',
    'FP32',
    [n, width],
    Float32Array.from({ length: n * width }, (_, i) => i),
  );

describe('batchRowCounts', () => {
  it('cuts the rows into full batches and one remainder, in order, adding up to all rows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 100 }), (n, size) => {
        const counts = batchRowCounts([rows(n)], size);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
        expect(counts.slice(0, -1).every((c) => c === size)).toBe(true);
        expect(counts.at(-1)).toBeGreaterThan(0);
        expect(counts.at(-1)).toBeLessThanOrEqual(size);
      }),
    );
  });

  it('refuses inputs whose row counts differ, and scalars', () => {
    expect(() => batchRowCounts([rows(3), { ...rows(4), name: 'y' }], 2)).toThrow(
      '--batch-size: inputs have different row counts ("x" 3, "y" 4)',
    );
    expect(() => batchRowCounts([createTensor('s', 'FP32', [], new Float32Array([1]))], 2)).toThrow(
      'is a scalar',
    );
  });
});

describe('inferInBatches', () => {
  it('sends each batch in order and concatenates the outputs back', async () => {
    const seen: number[] = [];
    const echo = async (inputs: Tensor[]): Promise<InferAnswer> => {
      seen.push(inputs[0]!.shape[0]!);
      return {
        modelName: 'm',
        modelVersion: '1',
        id: '',
        parameters: { n: BigInt(seen.length) },
        outputs: [{ ...inputs[0]!, name: 'y' } as Tensor],
      };
    };
    const merged = await inferInBatches([rows(5)], 2, echo, NO_PROGRESS.bar('', 5));
    expect(seen).toEqual([2, 2, 1]);
    expect(merged.outputs[0]).toMatchObject({ name: 'y', shape: [5, 2] });
    expect(Array.from(merged.outputs[0]!.data as Float32Array)).toEqual([...Array(10).keys()]);
    expect(merged.batches).toEqual([
      { rows: 2, parameters: { n: 1n } },
      { rows: 2, parameters: { n: 2n } },
      { rows: 1, parameters: { n: 3n } },
    ]);
  });
});
