/**
 * Test helpers: the iris data (examples/data/iris.csv) and the iris ONNX model
 * (examples/models/iris/1/model.onnx, input FP32 [-1, 4], output probabilities [-1, 3]) run
 * in-process by onnxruntime-node, the model-server's runtime, as a RowEvaluator.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { BudgetExhaustedError, type ExhaustedReason, type RowEvaluator } from '../src/methods/method.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export const IRIS_FEATURES = [
  'sepal length (cm)',
  'sepal width (cm)',
  'petal length (cm)',
  'petal width (cm)',
];

/** The 150 iris rows (4 features each, row-major) and their species. */
export function readIris(): { rows: Float64Array; species: Int32Array; count: number } {
  const lines = readFileSync(`${REPO}examples/data/iris.csv`, 'utf8').trim().split('\n').slice(1);
  const rows = new Float64Array(lines.length * 4);
  const species = new Int32Array(lines.length);
  lines.forEach((line, i) => {
    const cells = line.split(',').map(Number);
    rows.set(cells.slice(0, 4), i * 4);
    species[i] = cells[4]!;
  });
  return { rows, species, count: lines.length };
}

export interface IrisEvaluator extends RowEvaluator {
  readonly calls: number;
  readonly rowsScored: number;
}

/** The iris model in-process; one session.run per evaluate call, with a budget of calls. */
export async function irisOnnxEvaluator(maxCalls = Number.POSITIVE_INFINITY): Promise<{
  evaluator: IrisEvaluator;
  close: () => Promise<void>;
}> {
  const session = await ort.InferenceSession.create(`${REPO}examples/models/iris/1/model.onnx`, {
    intraOpNumThreads: 1,
  });
  let calls = 0;
  let rowsScored = 0;
  const evaluator: IrisEvaluator = {
    featureCount: 4,
    outputCount: 3,
    get calls() {
      return calls;
    },
    get rowsScored() {
      return rowsScored;
    },
    async evaluate(rows: Float64Array): Promise<Float64Array> {
      if (calls >= maxCalls)
        throw new BudgetExhaustedError('calls', `model calls: budget of ${maxCalls} spent`);
      calls += 1;
      const count = rows.length / 4;
      rowsScored += count;
      const result = await session.run({
        input: new ort.Tensor('float32', Float32Array.from(rows), [count, 4]),
      });
      return Float64Array.from(result.probabilities!.data as Float32Array);
    },
    exhausted(): ExhaustedReason | undefined {
      return calls >= maxCalls ? 'calls' : undefined;
    },
  };
  return { evaluator, close: () => session.release() };
}
