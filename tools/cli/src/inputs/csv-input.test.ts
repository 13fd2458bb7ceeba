import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvNumber, parseCsvInput } from './csv-input.js';

const matrices = fc
  .record({ rows: fc.integer({ min: 1, max: 20 }), cols: fc.integer({ min: 1, max: 8 }) })
  .chain(({ rows, cols }) =>
    // String(-0) is "0": a CSV cell cannot say -0.
    fc.array(
      fc.array(
        fc.float({ noNaN: true, noDefaultInfinity: true }).map((v) => (v === 0 ? 0 : v)),
        { minLength: cols, maxLength: cols },
      ),
      {
        minLength: rows,
        maxLength: rows,
      },
    ),
  );

describe('parseCsvInput', () => {
  it('reads any FP32 matrix back as a [rows, cols] tensor, with or without a header, in CRLF or LF', () => {
    fc.assert(
      fc.property(matrices, fc.boolean(), fc.constantFrom('\n', '\r\n'), (matrix, header, eol) => {
        const cols = matrix[0]!.length;
        const lines = matrix.map((row) => row.join(','));
        if (header) lines.unshift(Array.from({ length: cols }, (_, i) => `c${i}`).join(','));
        const input = parseCsvInput(lines.join(eol) + eol, 'x.csv');
        expect(input.shape).toEqual([matrix.length, cols]);
        expect(input.storedAs).toBe('FP32');
        expect(Array.from(input.data.values as Float32Array)).toEqual(matrix.flat());
      }),
    );
  });

  it('picks and orders columns by header name or index (the iris file with its label dropped)', () => {
    const text = 'sepal_length,sepal_width,species\n5.1,3.5,0\n4.9,3.0,1\n';
    expect(
      Array.from(
        parseCsvInput(text, 'iris.csv', ['sepal_width', 'sepal_length']).data.values as Float32Array,
      ),
    ).toEqual([3.5, 5.1, 3, 4.9].map(Math.fround));
    expect(parseCsvInput('1,2,3\n4,5,6\n', 'x.csv', ['2', '0']).data.values).toEqual(
      new Float32Array([3, 1, 6, 4]),
    );
    expect(() => parseCsvInput(text, 'iris.csv', ['petal'])).toThrow(
      '--csv-columns: "petal" is not a column of iris.csv, which has columns "sepal_length", "sepal_width", "species"',
    );
  });

  it("reads Python's nan and inf, and skips blank lines", () => {
    const input = parseCsvInput('nan,inf\n\n-Inf,1e3\n', 'x.csv');
    expect(Array.from(input.data.values as Float32Array)).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      1000,
    ]);
  });

  it('names the row and column of a bad cell, and a ragged row', () => {
    expect(() => parseCsvInput('a,b\n1,2\n3,x\n', 'x.csv')).toThrow(
      'x.csv: row 2, column 1 ("b"): "x" is not a number',
    );
    expect(() => parseCsvInput('1,2\n3\n', 'x.csv')).toThrow(
      /^x\.csv: not valid CSV \(Invalid Record Length/,
    );
    expect(() => parseCsvInput('', 'x.csv')).toThrow('x.csv: no rows');
    expect(() => parseCsvInput('a,b\n', 'x.csv')).toThrow('x.csv: a header but no data rows');
  });

  it('reads a cell as a number exactly when JavaScript would print it as one', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(csvNumber(String(value))).toBe(value === 0 ? 0 : value);
      }),
    );
    expect(csvNumber('')).toBeUndefined();
    expect(csvNumber('0x10')).toBeUndefined();
  });

  it("refuses cells named like Object.prototype's keys instead of reading them as NaN", () => {
    for (const cell of ['constructor', '__proto__', 'hasOwnProperty', 'toString']) {
      expect(csvNumber(cell)).toBeUndefined();
    }
    expect(() => parseCsvInput('a,b\n1,constructor\n', 'x.csv')).toThrow(
      'x.csv: row 1, column 1 ("b"): "constructor" is not a number',
    );
    // A header of such names is a header, not a row of NaNs.
    expect(parseCsvInput('constructor,__proto__\n1,2\n', 'x.csv').shape).toEqual([1, 2]);
  });
});
