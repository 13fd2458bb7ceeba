import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concatTables,
  fromRowMajor,
  TableInputError,
  toRowMajor,
  UNSEEN_CATEGORY_CODE,
} from './feature-table.js';
import { tableFromTensors } from './table-from-tensors.js';

const iris = {
  name: 'input',
  shape: [3, 2],
  data: new Float32Array([5.1, 3.5, 4.9, 3.0, 4.7, 3.2]),
};

function problemOf(fn: () => unknown): { problem: string; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TableInputError);
    const e = error as TableInputError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    return { problem: e.problem, message: e.message };
  }
  throw new Error('expected a TableInputError');
}

describe('tableFromTensors', () => {
  it('names features <tensor>[i] and reads columns', () => {
    const t = tableFromTensors([iris]);
    expect(t.names).toEqual(['input[0]', 'input[1]']);
    expect(t.kinds).toEqual(['numeric', 'numeric']);
    expect(t.rows).toBe(3);
    expect([...t.columns[1]!].map((v) => Math.round(v * 10) / 10)).toEqual([3.5, 3.0, 3.2]);
  });

  it('takes column names, picks columns and marks categorical ones', () => {
    const t = tableFromTensors(
      [iris, { name: 'species', shape: [3], data: ['setosa', 'virginica', 'setosa'] }],
      {
        columnNames: ['sepal_length', 'sepal_width', 'species'],
        columns: ['species', 'sepal_width'],
        categorical: ['species'],
      },
    );
    expect(t.names).toEqual(['species', 'sepal_width']);
    expect(t.kinds).toEqual(['categorical', 'numeric']);
    expect(t.dictionaries[0]).toEqual(['setosa', 'virginica']);
    expect([...t.columns[0]!]).toEqual([0, 1, 0]);
  });

  it('reads a later table with the fitted schema: by name, by position, unseen strings', () => {
    const fitted = tableFromTensors([{ name: 'c', shape: [2], data: ['a', 'b'] }], {
      columnNames: ['colour'],
      categorical: ['colour'],
    });
    const later = tableFromTensors([{ name: 'x', shape: [3], data: ['b', 'z', 'a'] }], { schema: fitted });
    expect(later.names).toEqual(['colour']);
    expect([...later.columns[0]!]).toEqual([1, UNSEEN_CATEGORY_CODE, 0]);
  });

  it('names column and row of NaN and Infinity', () => {
    const bad = { name: 'x', shape: [3, 2], data: new Float64Array([1, 2, 3, Number.NaN, 5, 6]) };
    expect(problemOf(() => tableFromTensors([bad], { columnNames: ['a', 'petal_length'] }))).toEqual({
      problem: 'non-finite',
      message: 'column "petal_length", row 1: NaN is not allowed',
    });
    const inf = { name: 'x', shape: [2], data: [1, Number.POSITIVE_INFINITY] };
    expect(problemOf(() => tableFromTensors([inf])).message).toBe(
      'column "x[0]", row 1: Infinity is not allowed',
    );
  });

  it('keeps and counts bad cells for the quality kind', () => {
    const t = tableFromTensors([{ name: 'x', shape: [4], data: ['1', 'abc', '', 'NaN'] }], {
      nonFinite: 'keep',
    });
    expect(t.typeViolations).toEqual([1]);
    expect(Number.isNaN(t.columns[0]![1]!)).toBe(true);
    expect(Number.isNaN(t.columns[0]![2]!)).toBe(true);
  });

  it('refuses a string that is no number, naming column and row', () => {
    const e = problemOf(() => tableFromTensors([{ name: 'x', shape: [2], data: ['1', 'abc'] }]));
    expect(e).toEqual({ problem: 'type', message: 'column "x[0]", row 1: "abc" is not a number' });
  });

  it('reads BYTES text of a numeric column by the one decimal rule (CSV, Score, live, Fit)', () => {
    const utf8 = (texts: string[]) => texts.map((t) => new TextEncoder().encode(t));
    const table = tableFromTensors([
      { name: 'x', shape: [6], datatype: 'BYTES', data: utf8(['1.5', ' -2 ', '.5', '1e3', '+7', '5.1']) },
    ]);
    expect([...table.columns[0]!]).toEqual([1.5, -2, 0.5, 1000, 7, 5.1]);
    expect([
      ...tableFromTensors([{ name: 'x', shape: [2], data: ['nan', '-inf'] }], { nonFinite: 'keep' })
        .columns[0]!,
    ]).toEqual([Number.NaN, Number.NEGATIVE_INFINITY]);
    // JavaScript's Number would read these as 16, 3, 0 and 1000.
    for (const text of ['0x10', '0b11', ' ', '1_000']) {
      const e = problemOf(() =>
        tableFromTensors([{ name: 'x', shape: [2, 1], datatype: 'BYTES', data: utf8(['1', text]) }]),
      );
      expect(e.message).toMatch(/^column "x\[0\]", row 1: /);
    }
  });

  it.each([
    ['no tensors', [], {}, 'empty', 'the batch is empty: no tensors given'],
    [
      'no rows',
      [{ name: 'x', shape: [0, 4], data: [] }],
      {},
      'empty',
      'the batch is empty: tensor "x" has 0 rows',
    ],
    [
      'shape vs data',
      [{ name: 'x', shape: [2, 3], data: [1, 2, 3, 4, 5] }],
      {},
      'shape',
      'tensor "x": shape [2,3] needs 6 elements, got 5',
    ],
    [
      'rows differ',
      [
        { name: 'a', shape: [2], data: [1, 2] },
        { name: 'b', shape: [3], data: [1, 2, 3] },
      ],
      {},
      'shape',
      'tensor "b" has 3 rows, tensor "a" has 2',
    ],
    ['names count', [iris], { columnNames: ['a'] }, 'width', '1 column names given for 2 features per row'],
    [
      'unknown column',
      [iris],
      { columns: ['nope'] },
      'unknown-column',
      'selected column "nope" does not exist; the columns are "input[0]", "input[1]"',
    ],
    [
      'unknown categorical',
      [iris],
      { categorical: ['nope'] },
      'unknown-column',
      'categorical column "nope" does not exist; the columns are "input[0]", "input[1]"',
    ],
  ] as const)('refuses %s', (_, tensors, options, problem, message) => {
    expect(problemOf(() => tableFromTensors(tensors, options))).toEqual({ problem, message });
  });

  it('refuses a width other than the fitted one', () => {
    const fitted = tableFromTensors([iris], { columnNames: ['a', 'b'] });
    const wide = { name: 'input', shape: [1, 3], data: [1, 2, 3] };
    expect(problemOf(() => tableFromTensors([wide], { schema: fitted }))).toEqual({
      problem: 'width',
      message: 'tensor "input": expected 2 elements per row ("a", "b"), got 3',
    });
  });

  it('refuses unnamed tensors wider or narrower than the fitted width, never cutting them', () => {
    const fitted = tableFromTensors([{ name: 'x', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }]);
    const wide = { name: 'x', shape: [1, 4], data: [1, 2, 3, 4] };
    expect(problemOf(() => tableFromTensors([wide], { schema: fitted }))).toEqual({
      problem: 'width',
      message: 'tensor "x": expected 3 elements per row ("x[0]", "x[1]", "x[2]"), got 4',
    });
    const narrow = { name: 'x', shape: [1, 2], data: [1, 2] };
    expect(problemOf(() => tableFromTensors([narrow], { schema: fitted }))).toMatchObject({
      problem: 'width',
    });
    // Named as the drift service names them (x[0] ... x[3]): still refused, not picked by name.
    const named = { columnNames: ['x[0]', 'x[1]', 'x[2]', 'x[3]'], schema: fitted };
    expect(problemOf(() => tableFromTensors([wide], named))).toEqual({
      problem: 'width',
      message: 'tensor "x": expected 3 elements per row ("x[0]", "x[1]", "x[2]"), got 4',
    });
    // An explicit pick still reads the picked columns of a wider tensor.
    const picked = tableFromTensors([wide], { schema: fitted, columns: ['x[0]', 'x[1]', 'x[2]'] });
    expect(picked.names).toEqual(['x[0]', 'x[1]', 'x[2]']);
  });
});

describe('table builders (properties)', () => {
  const matrix = fc
    .record({ rows: fc.integer({ min: 1, max: 20 }), cols: fc.integer({ min: 1, max: 6 }) })
    .chain(({ rows, cols }) =>
      fc.record({
        rows: fc.constant(rows),
        cols: fc.constant(cols),
        data: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
          minLength: rows * cols,
          maxLength: rows * cols,
        }),
      }),
    );

  it('column c, row r of the table is element r*cols+c of the tensor; row-major round trip', () => {
    fc.assert(
      fc.property(matrix, ({ rows, cols, data }) => {
        const t = tableFromTensors([{ name: 't', shape: [rows, cols], data }]);
        expect(t.rows).toBe(rows);
        for (let c = 0; c < cols; c++)
          for (let r = 0; r < rows; r++) expect(t.columns[c]![r]).toBe(data[r * cols + c]);
        expect([...toRowMajor(fromRowMajor(t, toRowMajor(t), rows))]).toEqual([...Float64Array.from(data)]);
      }),
    );
  });

  it('a NaN anywhere is refused naming exactly its column and row', () => {
    fc.assert(
      fc.property(matrix, fc.nat(), ({ rows, cols, data }, at) => {
        const i = at % data.length;
        const withNaN = [...data];
        withNaN[i] = Number.NaN;
        const first = withNaN.findIndex((v) => Number.isNaN(v));
        const col = first % cols;
        const row = Math.floor(first / cols);
        const e = problemOf(() => tableFromTensors([{ name: 't', shape: [rows, cols], data: withNaN }]));
        expect(e.message).toBe(`column "t[${col}]", row ${row}: NaN is not allowed`);
      }),
    );
  });

  it('joining tables keeps every string category and its rows', () => {
    const words = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(fc.array(words, { minLength: 1, maxLength: 4 }), (batches) => {
        const tables = batches.map((b) =>
          tableFromTensors([{ name: 's', shape: [b.length], data: b }], { categorical: ['s[0]'] }),
        );
        const joined = concatTables(tables);
        const all = batches.flat();
        expect(joined.rows).toBe(all.length);
        expect([...joined.columns[0]!].map((code) => joined.dictionaries[0]![code])).toEqual(all);
      }),
    );
  });
});
