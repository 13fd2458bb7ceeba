/**
 * `sightline feedback send FILE.csv`: ground truth as a CSV with a header. Columns:
 * `request_id` (required), `row` (optional, 0-based; default 0), and exactly one truth
 * column kind: `label` (a class name or decimal index), `value` or `value_0`, `value_1`, ...
 * (a regression row's outputs, in order), or `reward`. Optional: `model_name` (only that
 * model's or graph node's predictions are judged; `--model` sets it for every row) and
 * `observe_time` (ISO-8601, when the truth was observed). Other columns are refused, so a
 * typo is not silently ignored. Cells are read as text: request ids keep their leading
 * zeros.
 */
import type { FeedbackInput } from '@sightline/sdk';
import { UsageError } from '../frame/usage-error.js';
import { csvNumber } from '../inputs/csv-input.js';
import { readCsvRecords } from '../inputs/csv-table.js';

const KNOWN = new Set(['request_id', 'row', 'label', 'value', 'reward', 'model_name', 'observe_time']);
const VALUE_COLUMN = /^value_(\d+)$/;

/** The feedback items of a CSV text; `source` names the file in messages. */
export function parseFeedbackCsv(text: string, source: string, modelName?: string): FeedbackInput[] {
  const records = readCsvRecords(text, source);
  if (records.length === 0) throw new UsageError(`${source}: empty; expected a header row and data rows`);
  const header = records[0]!;
  const at = new Map<string, number>();
  const valueColumns: { index: number; column: number }[] = [];
  header.forEach((name, c) => {
    if (at.has(name))
      throw new UsageError(`${source}: column ${JSON.stringify(name)} appears twice in the header`);
    const value = VALUE_COLUMN.exec(name);
    if (value) valueColumns.push({ index: Number(value[1]), column: c });
    else if (!KNOWN.has(name)) {
      throw new UsageError(
        `${source}: unknown column ${JSON.stringify(name)}; expected request_id, optional row, model_name and observe_time, and one of label, value (or value_0, value_1, ...) and reward`,
      );
    }
    at.set(name, c);
  });
  if (!at.has('request_id')) throw new UsageError(`${source}: no request_id column in the header`);
  if (at.has('value') && valueColumns.length > 0) {
    throw new UsageError(
      `${source}: both value and value_<i> columns; use value for one output, value_0, value_1, ... for several`,
    );
  }
  valueColumns.sort((a, b) => a.index - b.index);
  valueColumns.forEach((v, i) => {
    if (v.index !== i)
      throw new UsageError(
        `${source}: value_ columns must be value_0, value_1, ... without gaps; value_${i} is missing`,
      );
  });
  const truthKinds =
    ['label', 'value', 'reward'].filter((k) => at.has(k)).length + (valueColumns.length > 0 ? 1 : 0);
  if (truthKinds !== 1) {
    throw new UsageError(
      `${source}: expected exactly one truth column kind (label, value or value_<i>, reward), got ${truthKinds}`,
    );
  }
  if (modelName !== undefined && at.has('model_name')) {
    throw new UsageError(`--model: the file has a model_name column; give one or the other`);
  }
  const body = records.slice(1);
  if (body.length === 0) throw new UsageError(`${source}: a header but no data rows`);
  return body.map((cells, r) => {
    const where = `${source}: data row ${r + 1}`;
    const cell = (name: string) => {
      const c = at.get(name);
      return c === undefined ? undefined : cells[c]!;
    };
    const number = (text: string, column: string): number => {
      const value = csvNumber(text);
      if (value === undefined || !Number.isFinite(value)) {
        throw new UsageError(
          `${where}, column ${column}: expected a finite number, got ${JSON.stringify(text)}`,
        );
      }
      return value;
    };
    const requestId = cell('request_id')!;
    if (requestId === '') throw new UsageError(`${where}, column request_id: empty`);
    const rowText = cell('row');
    let row: number | undefined;
    if (rowText !== undefined && rowText !== '') {
      if (!/^\d+$/.test(rowText))
        throw new UsageError(
          `${where}, column row: expected a whole number of 0 or more, got ${JSON.stringify(rowText)}`,
        );
      row = Number(rowText);
    }
    const model = modelName ?? cell('model_name');
    const observe = cell('observe_time');
    let observeTime: number | undefined;
    if (observe !== undefined && observe !== '') {
      observeTime = Date.parse(observe);
      if (Number.isNaN(observeTime))
        throw new UsageError(
          `${where}, column observe_time: expected an ISO-8601 time, got ${JSON.stringify(observe)}`,
        );
    }
    const base = {
      requestId,
      ...(row !== undefined && { row }),
      ...(model !== undefined && model !== '' && { modelName: model }),
      ...(observeTime !== undefined && { observeTime }),
    };
    const label = cell('label');
    if (label !== undefined) {
      if (label === '') throw new UsageError(`${where}, column label: empty`);
      return { ...base, label };
    }
    const reward = cell('reward');
    if (reward !== undefined) return { ...base, reward: number(reward, 'reward') };
    const value = cell('value');
    if (value !== undefined) return { ...base, values: [number(value, 'value')] };
    return { ...base, values: valueColumns.map((v) => number(cells[v.column]!, `value_${v.index}`)) };
  });
}
