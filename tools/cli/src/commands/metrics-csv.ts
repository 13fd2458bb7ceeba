/**
 * `sightline metrics compute --data FILE.csv`: pairs as a CSV with a header: `y_true`,
 * `y_pred` and, for classification, optional `prob_<class>` columns (one per class, in the
 * class order the probabilities use). Classification labels are read as text; when every
 * label is a decimal integer they are sent as integers, so classes sort numerically as
 * scikit-learn sorts integer labels. Regression cells must be finite numbers. Other columns
 * are refused, so a typo is not silently ignored.
 */
import type { ComputePairs } from '@sightline/sdk';
import { UsageError } from '../frame/usage-error.js';
import { csvNumber } from '../inputs/csv-input.js';
import { readCsvRecords } from '../inputs/csv-table.js';

const PROB = /^prob_(.+)$/;
const INTEGER = /^-?\d+$/;

/** The pairs of a CSV text for `task`; `source` names the file in messages. */
export function parseComputeCsv(
  text: string,
  source: string,
  task: 'classification' | 'regression',
): ComputePairs {
  const records = readCsvRecords(text, source);
  if (records.length === 0) throw new UsageError(`${source}: empty; expected a header row and data rows`);
  const header = records[0]!;
  const classes: string[] = [];
  const probColumns: number[] = [];
  let yTrue = -1;
  let yPred = -1;
  header.forEach((name, c) => {
    const prob = PROB.exec(name);
    if (name === 'y_true') yTrue = c;
    else if (name === 'y_pred') yPred = c;
    else if (prob && task === 'classification') {
      if (classes.includes(prob[1]!))
        throw new UsageError(`${source}: column ${JSON.stringify(name)} appears twice in the header`);
      classes.push(prob[1]!);
      probColumns.push(c);
    } else {
      throw new UsageError(
        `${source}: unknown column ${JSON.stringify(name)}; expected y_true, y_pred${task === 'classification' ? ' and optional prob_<class> columns' : ''}`,
      );
    }
  });
  if (yTrue < 0 || yPred < 0)
    throw new UsageError(`${source}: expected y_true and y_pred columns in the header`);
  const body = records.slice(1);
  if (body.length === 0) throw new UsageError(`${source}: a header but no data rows`);
  const number = (cells: readonly string[], c: number, r: number): number => {
    const value = csvNumber(cells[c]!);
    if (value === undefined || !Number.isFinite(value)) {
      throw new UsageError(
        `${source}: data row ${r + 1}, column ${header[c]}: expected a finite number, got ${JSON.stringify(cells[c])}`,
      );
    }
    return value;
  };
  if (task === 'regression') {
    return {
      task,
      yTrue: body.map((cells, r) => number(cells, yTrue, r)),
      yPred: body.map((cells, r) => number(cells, yPred, r)),
    };
  }
  const labels = (c: number) =>
    body.map((cells, r) => {
      if (cells[c] === '')
        throw new UsageError(`${source}: data row ${r + 1}, column ${header[c]}: empty label`);
      return cells[c]!;
    });
  const trueLabels = labels(yTrue);
  const predLabels = labels(yPred);
  const integerLabels = [...trueLabels, ...predLabels, ...classes].every((label) => INTEGER.test(label));
  return {
    task,
    yTrue: trueLabels,
    yPred: predLabels,
    ...(integerLabels && { integerLabels }),
    ...(classes.length > 0 && {
      classes,
      probabilities: body.map((cells, r) => probColumns.map((c) => number(cells, c, r))),
    }),
  };
}
