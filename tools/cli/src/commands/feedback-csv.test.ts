import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../frame/usage-error.js';
import { parseFeedbackCsv } from './feedback-csv.js';

const quote = (cell: string) => `"${cell.replaceAll('"', '""')}"`;

describe('parseFeedbackCsv', () => {
  it('reads request ids, rows and labels as text, keeping leading zeros', () => {
    const items = parseFeedbackCsv('request_id,row,label\n007,0,setosa\n008,,2\n', 'f.csv');
    expect(items).toEqual([
      { requestId: '007', row: 0, label: 'setosa' },
      { requestId: '008', label: '2' },
    ]);
  });

  it('reads values, value_<i> columns, rewards, model names and observe times', () => {
    expect(parseFeedbackCsv('request_id,value\nr1,1.5\n', 'f')).toEqual([{ requestId: 'r1', values: [1.5] }]);
    expect(parseFeedbackCsv('request_id,value_1,value_0\nr1,2,1\n', 'f')).toEqual([
      { requestId: 'r1', values: [1, 2] },
    ]);
    expect(parseFeedbackCsv('request_id,reward,model_name\nr1,0,iris\n', 'f')).toEqual([
      { requestId: 'r1', reward: 0, modelName: 'iris' },
    ]);
    expect(parseFeedbackCsv('request_id,label,observe_time\nr1,a,2026-12-01T00:00:00Z\n', 'f', 'm')).toEqual([
      { requestId: 'r1', label: 'a', modelName: 'm', observeTime: Date.parse('2026-12-01T00:00:00Z') },
    ]);
  });

  it('refuses what it cannot read, naming the file, row and column', () => {
    const bad: [string, RegExp][] = [
      ['', /f: empty/],
      ['request_id,label\n', /a header but no data rows/],
      ['label\na\n', /no request_id column/],
      ['request_id,label,value\nr,a,1\n', /exactly one truth column kind/],
      ['request_id,lable\nr,a\n', /unknown column "lable"/],
      ['request_id,value_0,value_2\nr,1,2\n', /value_1 is missing/],
      ['request_id,label\n,a\n', /data row 1, column request_id: empty/],
      ['request_id,row,label\nr,-1,a\n', /data row 1, column row: expected a whole number/],
      ['request_id,value\nr,1\nr,abc\n', /data row 2, column value: expected a finite number, got "abc"/],
      ['request_id,value\nr,inf\n', /expected a finite number/],
      ['request_id,label,observe_time\nr,a,yesterday\n', /column observe_time: expected an ISO-8601 time/],
    ];
    for (const [text, message] of bad) expect(() => parseFeedbackCsv(text, 'f')).toThrow(message);
    expect(() => parseFeedbackCsv('request_id,label,model_name\nr,a,m\n', 'f', 'x')).toThrow(UsageError);
  });

  it('reads back any table of ids, rows and labels it is given, quoted as a CSV writer quotes', () => {
    const cell = fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((s) => s.trim() === s && s.trim() !== '' && !s.includes('\r'));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(cell, fc.nat({ max: 4095 }), cell), { minLength: 1, maxLength: 30 }),
        (rows) => {
          const text = [
            'request_id,row,label',
            ...rows.map(([id, row, label]) => `${quote(id)},${row},${quote(label)}`),
          ].join('\n');
          expect(parseFeedbackCsv(text, 'f')).toEqual(
            rows.map(([requestId, row, label]) => ({ requestId, row, label })),
          );
        },
      ),
    );
  });
});
