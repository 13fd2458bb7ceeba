import { decodeTensorMessages } from '@sightline/tensor';
import { describe, expect, it } from 'vitest';
import { batchTensorMessages, isDataTable, tableTensors } from './table-data.js';

describe('tables', () => {
  it('turns each column into its own 1-D tensor: FP64 numbers, BYTES strings', () => {
    const tensors = tableTensors({
      columns: {
        petal_length: [1.4, 4.7],
        width: new Float64Array([0.2, 1.4]),
        species: ['setosa', 'versicolor'],
      },
    });
    expect(tensors.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ['petal_length', 'FP64', [2]],
      ['width', 'FP64', [2]],
      ['species', 'BYTES', [2]],
    ]);
    const decoded = decodeTensorMessages(
      batchTensorMessages({ columns: { petal_length: [1.4, 4.7], species: ['a', 'b'] } }),
    );
    expect(Array.from(decoded[0]!.data as Float64Array)).toEqual([1.4, 4.7]);
    expect((decoded[1]!.data as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual(['a', 'b']);
  });

  it('refuses unequal lengths, mixed types, empty columns and no columns, naming the column', () => {
    expect(() => tableTensors({ columns: { a: [1, 2], b: [1] } })).toThrow(
      'column "b": has 1 rows, column "a" has 2',
    );
    expect(() => tableTensors({ columns: { a: [1, 'x'] as never } })).toThrow(
      /^column "a", row 1: "x" is not a number/,
    );
    expect(() => tableTensors({ columns: { a: [] } })).toThrow('column "a": has no rows');
    expect(() => tableTensors({ columns: {} })).toThrow('columns: a table needs at least one column');
  });

  it('tells a table from tensors', () => {
    expect(isDataTable({ columns: { a: [1] } })).toBe(true);
    expect(isDataTable({ input: [[1, 2]] })).toBe(false);
    expect(isDataTable([{ name: 'columns', data: [1] }])).toBe(false);
    expect(isDataTable({ columns: [1, 2] })).toBe(false);
  });

  it('passes tensors through as infer takes them', () => {
    const [tensor] = decodeTensorMessages(
      batchTensorMessages({
        x: {
          data: [
            [1, 2],
            [3, 4],
          ],
          datatype: 'FP64',
        },
      }),
    );
    expect(tensor).toMatchObject({ name: 'x', datatype: 'FP64', shape: [2, 2] });
  });
});
