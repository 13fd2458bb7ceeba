import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tableFromCsv } from './table-from-csv.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect((error as { code: string }).code).toBe('INVALID_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('tableFromCsv', () => {
  it('reads a header, numbers as numpy/pandas write them, quoted categories, CRLF and a BOM', () => {
    const csv =
      '\ufeffsepal_length,species,label\r\n5.1,"set,osa",0\r\n1e-05,"say ""hi""",1\r\n-2.5E+3,virginica,0\r\n';
    const t = tableFromCsv(csv, { categorical: ['species'], ignoreColumns: ['label'] });
    expect(t.names).toEqual(['sepal_length', 'species']);
    expect([...t.columns[0]!]).toEqual([5.1, 1e-5, -2500]);
    expect(t.dictionaries[1]).toEqual(['say "hi"', 'set,osa', 'virginica']);
  });

  it('keeps nan, inf and empty fields for the quality kind', () => {
    const t = tableFromCsv('a\nnan\ninf\n-inf\n\n""\n3\n', { nonFinite: 'keep' });
    expect([...t.columns[0]!]).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      3,
    ]);
  });

  it.each([
    ['', 'the CSV is empty: no header row'],
    ['a,b\n', 'the CSV has a header but no data rows'],
    ['a,b\n1,2\n3\n', 'line 3: 1 fields, the header has 2'],
    ['a,a\n1,2\n', 'line 1: column "a" appears twice'],
    [',a\n0,1\n', 'line 1, column 1: the header name is empty (a pandas index? write with index=False)'],
    ['a\n"1\n', 'line 2: a quoted field is not closed'],
    ['a\n"1"x\n', 'line 2: a character follows a closing quote'],
    ['a,b\n1,2\n3,abc\n', 'column "b", line 3: "abc" is not a number'],
    ['a\n1\n"multi\nline"\nnan\n', 'column "a", line 3: "multi\\nline" is not a number'],
    ['a\n1\n\n2\nnan\n', 'column "a", line 5: "nan" (NaN) is not allowed'],
    ['a\n1\n1e400\n', 'column "a", line 3: "1e400" is beyond the FP64 range (Infinity) and is not allowed'],
    ['a\n1\n,\n', 'line 3: 2 fields, the header has 1'],
  ])('refuses %j naming the line', (csv, expected) => {
    expect(message(() => tableFromCsv(csv))).toBe(expected);
  });

  it('reads what numpy.savetxt writes, bit for bit', () => {
    const script = `import json, sys
import numpy as np
a = np.array(json.load(sys.stdin))
a[1, 0] = np.nan; a[2, 1] = np.inf; a[3, 1] = -np.inf
np.savetxt(sys.stdout, a, delimiter=',', header='x,y', comments='')`;
    const values = [
      [0.1, 1e-300],
      [2 / 3, -5e307],
      [Math.PI, 0],
      [-1.5, 123456789.123],
    ];
    const csv = execFileSync('python3', ['-c', script], { input: JSON.stringify(values) }).toString();
    const t = tableFromCsv(csv, { nonFinite: 'keep' });
    expect([...t.columns[0]!]).toEqual([0.1, Number.NaN, Math.PI, -1.5]);
    expect([...t.columns[1]!]).toEqual([1e-300, -5e307, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it('refuses more rows than maxRows', () => {
    expect(message(() => tableFromCsv('a\n1\n2\n3\n', { maxRows: 2 }))).toBe(
      'the CSV has more than 2 data rows (maxRows)',
    );
  });

  it('reads back what it is given, whatever the quoting (property)', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', 'b', ',', '"', '\n', ' ', 'é'),
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), text), {
          minLength: 1,
          maxLength: 15,
        }),
        (rows) => {
          const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
          const csv = `x,"c"\n${rows.map(([x, c]) => `${x},${quote(c)}`).join('\n')}`;
          const t = tableFromCsv(csv, { categorical: ['c'] });
          // JavaScript writes -0 as "0".
          expect([...t.columns[0]!]).toEqual(rows.map(([x]) => x + 0));
          expect([...t.columns[1]!].map((code) => t.dictionaries[1]![code])).toEqual(rows.map(([, c]) => c));
        },
      ),
    );
  });
});
