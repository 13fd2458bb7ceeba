import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseComputeCsv } from './metrics-csv.js';

describe('parseComputeCsv', () => {
  it('reads classification labels as text, with probabilities in prob_ column order', () => {
    expect(
      parseComputeCsv(
        'y_true,y_pred,prob_cat,prob_dog\ncat,dog,0.4,0.6\ndog,dog,0.1,0.9\n',
        'd',
        'classification',
      ),
    ).toEqual({
      task: 'classification',
      yTrue: ['cat', 'dog'],
      yPred: ['dog', 'dog'],
      classes: ['cat', 'dog'],
      probabilities: [
        [0.4, 0.6],
        [0.1, 0.9],
      ],
    });
  });

  it('sends integer labels as integers, so classes sort numerically', () => {
    expect(parseComputeCsv('y_true,y_pred\n10,2\n2,10\n', 'd', 'classification')).toEqual({
      task: 'classification',
      yTrue: ['10', '2'],
      yPred: ['2', '10'],
      integerLabels: true,
    });
  });

  it('reads regression pairs as finite numbers', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.double({ noNaN: true, noDefaultInfinity: true }),
          ),
          { minLength: 1, maxLength: 40 },
        ),
        (pairs) => {
          const text = ['y_true,y_pred', ...pairs.map(([t, p]) => `${t},${p}`)].join('\n');
          const parsed = parseComputeCsv(text, 'd', 'regression');
          expect(parsed).toEqual({
            task: 'regression',
            yTrue: pairs.map(([t]) => t + 0),
            yPred: pairs.map(([, p]) => p + 0),
          });
        },
      ),
    );
  });

  it('refuses unknown columns, missing ones and bad cells, naming them', () => {
    expect(() => parseComputeCsv('y_true,y_pred,prob_a\n1,2,0.5\n', 'd', 'regression')).toThrow(
      /unknown column "prob_a"/,
    );
    expect(() => parseComputeCsv('y_true\n1\n', 'd', 'regression')).toThrow(/expected y_true and y_pred/);
    expect(() => parseComputeCsv('y_true,y_pred\n1,x\n', 'd', 'regression')).toThrow(
      /data row 1, column y_pred: expected a finite number/,
    );
    expect(() => parseComputeCsv('y_true,y_pred\na,\n', 'd', 'classification')).toThrow(
      /data row 1, column y_pred: empty label/,
    );
    expect(() => parseComputeCsv('y_true,y_pred,prob_a,prob_a\na,a,1,1\n', 'd', 'classification')).toThrow(
      /appears twice/,
    );
  });
});
