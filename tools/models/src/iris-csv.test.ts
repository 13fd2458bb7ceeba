import { describe, expect, it } from 'vitest';
import { accuracy, parseIrisCsv } from './iris-csv.js';

const HEADER = 'sepal_length,sepal_width,petal_length,petal_width,species';

describe('parseIrisCsv', () => {
  it('reads rows into row-major features and labels', () => {
    const data = parseIrisCsv(`${HEADER}\n5.1,3.5,1.4,0.2,0\n6.3,3.3,6.0,2.5,2\n`);
    expect(data.rowCount).toBe(2);
    expect(Array.from(data.features)).toEqual(
      Array.from(new Float32Array([5.1, 3.5, 1.4, 0.2, 6.3, 3.3, 6, 2.5])),
    );
    expect(Array.from(data.labels)).toEqual([0, 2]);
  });

  it('accepts CRLF line ends and a missing final newline', () => {
    expect(parseIrisCsv(`${HEADER}\r\n5.1,3.5,1.4,0.2,1`).rowCount).toBe(1);
  });

  it('refuses a wrong header, naming the expected one', () => {
    expect(() => parseIrisCsv('a,b,c,d,e\n1,2,3,4,0\n')).toThrow(
      `iris csv: line 1: expected header "${HEADER}"`,
    );
  });

  it('refuses a short row, naming the line', () => {
    expect(() => parseIrisCsv(`${HEADER}\n5.1,3.5,1.4,0\n`)).toThrow(
      'iris csv: line 2: expected 5 columns, got 4',
    );
  });

  it('refuses a non-number and an out-of-range species', () => {
    expect(() => parseIrisCsv(`${HEADER}\n5.1,x,1.4,0.2,0\n`)).toThrow(
      'iris csv: line 2: sepal_width: expected a number, got "x"',
    );
    expect(() => parseIrisCsv(`${HEADER}\n5.1,3.5,1.4,0.2,3\n`)).toThrow(
      'iris csv: line 2: species: expected an integer 0..2, got "3"',
    );
  });
});

describe('accuracy', () => {
  it('counts rows whose arg-max is the label', () => {
    const scores = [0.9, 0.05, 0.05, 0.1, 0.2, 0.7, 0.3, 0.4, 0.3];
    expect(accuracy(scores, [0, 2, 0], 3)).toBeCloseTo(2 / 3);
  });

  it('refuses scores that do not match the rows', () => {
    expect(() => accuracy([1, 2], [0], 3)).toThrow('accuracy: expected 3 scores (1 rows x 3), got 2');
  });
});
