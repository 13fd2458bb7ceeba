import { decodeTensorMessages } from '@sightline/tensor';
import { describe, expect, it } from 'vitest';
import { outlierTable, outlierTensorMessages } from './outlier-data.js';

describe('outlier data', () => {
  it('leaves out a column named label and sends each other column as its own FP64 tensor', () => {
    const tensors = decodeTensorMessages(
      outlierTensorMessages({ columns: { a: [1, 2], label: [0, 1], b: new Float64Array([3, 4]) } }),
    );
    expect(tensors.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ['a', 'FP64', [2]],
      ['b', 'FP64', [2]],
    ]);
  });

  it('leaves a text label out too, and refuses other text columns naming them', () => {
    expect(Object.keys(outlierTable({ columns: { a: [1], label: ['outlier'] } }).columns)).toEqual(['a']);
    expect(() => outlierTable({ columns: { a: [1], species: ['setosa'] } })).toThrow(
      /^column "species": holds text; outlier detectors score numeric features only/,
    );
    expect(() => outlierTable({ columns: { label: [1] } })).toThrow(
      'columns: a table needs at least one column besides "label"',
    );
  });

  it('passes tensors through as infer takes them (a tensor named label is kept)', () => {
    const [tensor] = decodeTensorMessages(
      outlierTensorMessages({ label: { data: [[1, 2]], datatype: 'FP32' } }),
    );
    expect(tensor).toMatchObject({ name: 'label', datatype: 'FP32', shape: [1, 2] });
  });
});
