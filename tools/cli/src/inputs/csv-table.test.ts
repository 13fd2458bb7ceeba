import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsvTable } from './csv-table.js';

describe('parseCsvTable', () => {
  it('reads numeric columns as FP64 and text columns as categories, with any line ending', () => {
    const names = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(
        names,
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom('\n', '\r\n'),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (header, rows, eol, base) => {
          const numeric = header.map((_, c) => c % 2 === 0);
          const lines = [header.join(',')];
          const expected = header.map((_, c) =>
            Array.from({ length: rows }, (_, r) =>
              numeric[c] ? (base === 0 ? 0 : base) * (r + 1) : `cat ${r % 3}`,
            ),
          );
          for (let r = 0; r < rows; r++) lines.push(header.map((_, c) => String(expected[c]![r])).join(','));
          const table = parseCsvTable(lines.join(eol) + eol, 'f.csv');
          expect(table.rows).toBe(rows);
          table.columns.forEach((column, c) => {
            expect(column.name).toBe(header[c]);
            expect(column.type).toBe(numeric[c] ? 'numeric' : 'categorical');
            expect(Array.from(column.values as ArrayLike<number | string>)).toEqual(expected[c]);
          });
        },
      ),
    );
  });

  it("reads numbers as numpy and pandas write them, an empty cell as pandas' NaN", () => {
    const table = parseCsvTable('a,b\n1e-05,nan\n-inf,\n3,inf\n', 'f.csv');
    expect(table.columns.map((c) => c.type)).toEqual(['numeric', 'numeric']);
    expect(Array.from(table.columns[0]!.values as ArrayLike<number>)).toEqual([
      1e-5,
      Number.NEGATIVE_INFINITY,
      3,
    ]);
    expect(Array.from(table.columns[1]!.values as ArrayLike<number>)).toEqual([
      Number.NaN,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it('makes a column with any text a categorical column, its numbers kept as text', () => {
    const table = parseCsvTable('size\n1\nlarge\n', 'f.csv');
    expect(table.columns[0]).toEqual({ name: 'size', type: 'categorical', values: ['1', 'large'] });
  });

  it.each([
    ['a,b\n1,2\n3\n', '--data f.csv: line 3, column 2: expected 2 cells like the header, got 1'],
    ['a,b\n1,2\n3,4,5\n', '--data f.csv: line 3, column 3: expected 2 cells like the header, got 3'],
    ['a,b\n1,"2\n', '--data f.csv: line 2, column 2: a quote is opened and never closed'],
    [
      'a,b\n1,2"x",3\n',
      '--data f.csv: line 2, column 2: a quote in the middle of a cell (quote the whole cell, doubling quotes inside)',
    ],
    ['a,,c\n1,2,3\n', '--data f.csv: line 1, column 2: the header names no column'],
    ['a,b,a\n1,2,3\n', '--data f.csv: line 1, column 3: column "a" appears twice in the header'],
    ['a,b\n', '--data f.csv: a header but no data rows'],
    ['\n\n', '--data f.csv: empty; expected a header row and data rows'],
  ])('names the line and column of a malformed file: %j', (text, message) => {
    expect(() => parseCsvTable(text, '--data f.csv')).toThrow(message);
  });
});
