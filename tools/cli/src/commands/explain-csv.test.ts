import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alignFeatures, parseFeatureCsv, tableTensors } from './explain-csv.js';

const IRIS = [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }];

describe('parseFeatureCsv', () => {
  it('reads any table of finite numbers back exactly, header names as feature names, row-major', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { minLength: 1, maxLength: 6 }).chain((names) =>
          fc.tuple(
            fc.constant(names),
            fc.array(
              fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
                minLength: names.length,
                maxLength: names.length,
              }),
              { minLength: 1, maxLength: 20 },
            ),
          ),
        ),
        ([names, rows]) => {
          // As Python's csv module and pandas write floats: repr, round-tripping exactly.
          const text = `${names.join(',')}\n${rows.map((row) => row.map((v) => String(v)).join(',')).join('\n')}\n`;
          const table = parseFeatureCsv(text, 'f.csv');
          expect(table.names).toEqual(names);
          expect(table.rows).toBe(rows.length);
          // String(-0) is "0", read back as 0.
          expect(Array.from(table.values)).toEqual(rows.flat().map((v) => (v === 0 ? 0 : v)));
        },
      ),
    );
  });

  it('picks and orders columns with --columns, leaving a label column out', () => {
    const table = parseFeatureCsv('a,b,label\n1,2,x\n3,4,y\n', 'f.csv', ['b', 'a']);
    expect(table.names).toEqual(['b', 'a']);
    expect(Array.from(table.values)).toEqual([2, 1, 4, 3]);
  });

  it('names the file, row and column of a cell that is not a finite number', () => {
    expect(() => parseFeatureCsv('a,b\n1,2\n3,\n', 'f.csv')).toThrow(
      'f.csv: row 2, column "b": must be a finite number, got "NaN"',
    );
    expect(() => parseFeatureCsv('a,label\n1,x\n', 'f.csv')).toThrow(
      'f.csv: row 1, column "label": must be a finite number, got "x" (leave a text column out with --columns)',
    );
    expect(() => parseFeatureCsv('a,b\n1,2\n', 'f.csv', ['c'])).toThrow(
      'f.csv: no column "c"; its columns are "a", "b"',
    );
  });

  it("aligns background columns by the instances' names, whatever their order", () => {
    const background = parseFeatureCsv('b,extra,a\n2,9,1\n4,9,3\n', 'bg.csv');
    const aligned = alignFeatures(background, ['a', 'b'], 'bg.csv');
    expect(Array.from(aligned.values)).toEqual([1, 2, 3, 4]);
    expect(() => alignFeatures(background, ['a', 'z'], 'bg.csv')).toThrow(
      'bg.csv: no column "z", a feature of the instances',
    );
  });
});

describe('tableTensors', () => {
  it("cuts the features into the model's inputs in metadata order, with their datatypes and per-row shapes", () => {
    const table = parseFeatureCsv('a,b,c,d,e\n1,2,3,4,5\n6,7,8,9,10\n', 'f.csv');
    const [x, y] = tableTensors(
      table,
      [
        { name: 'x', datatype: 'FP32', shape: [-1, 2, 1] },
        { name: 'y', datatype: 'INT64', shape: [-1, 3] },
      ],
      'm',
      'f.csv',
    );
    expect(x!.datatype).toBe('FP32');
    expect(x!.shape).toEqual([2, 2, 1]);
    expect(Array.from(x!.data as Float32Array)).toEqual([1, 2, 6, 7]);
    expect(y!.datatype).toBe('INT64');
    expect(y!.shape).toEqual([2, 3]);
    expect(Array.from(y!.data as BigInt64Array, Number)).toEqual([3, 4, 5, 8, 9, 10]);
  });

  it('says how many features the model takes when the columns do not match', () => {
    const table = parseFeatureCsv(
      'sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,0\n',
      'iris.csv',
    );
    expect(() => tableTensors(table, IRIS, 'iris', 'iris.csv')).toThrow(
      'iris.csv: 5 columns (sepal_length, sepal_width, petal_length, petal_width, species) but model "iris" takes 4 features per row (input [4]); pick them with --columns',
    );
  });
});
