/**
 * Iris rows and the reference answer: the same iris .onnx file run in this process with
 * onnxruntime-node, with no server in between, so a served prediction can be compared with
 * what the model itself says.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { EXAMPLE_MODELS } from './temp-repository.js';

/** Six flowers from examples/data/iris.csv: two of each species, one row per flower. */
export const IRIS_ROWS: readonly (readonly [number, number, number, number])[] = [
  [5.1, 3.5, 1.4, 0.2],
  [4.9, 3.0, 1.4, 0.2],
  [7.0, 3.2, 4.7, 1.4],
  [5.9, 3.0, 4.2, 1.5],
  [6.3, 3.3, 6.0, 2.5],
  [7.7, 2.6, 6.9, 2.3],
];

/** The species index (0 setosa, 1 versicolor, 2 virginica) of each row of {@link IRIS_ROWS}. */
export const IRIS_SPECIES: readonly number[] = [0, 0, 1, 1, 2, 2];

/** `rows` flattened row-major, as the model's `input` FP32 [n, 4] wants them. */
export function irisFeatures(rows: readonly (readonly number[])[] = IRIS_ROWS): Float32Array {
  return new Float32Array(rows.flat());
}

/** The iris model's `probabilities` for `rows`, computed in-process by onnxruntime-node. */
export async function referenceProbabilities(
  rows: readonly (readonly number[])[] = IRIS_ROWS,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path.join(EXAMPLE_MODELS, 'iris', '1', 'model.onnx'));
  try {
    const input = new ort.Tensor('float32', irisFeatures(rows), [rows.length, 4]);
    const result = await session.run({ input });
    const probabilities = result.probabilities;
    if (probabilities === undefined) throw new Error('the iris model has no "probabilities" output');
    return new Float32Array(probabilities.data as Float32Array);
  } finally {
    await session.release();
  }
}

/** The index of the largest value of each row of a [rows, width] matrix. */
export function argmaxRows(data: ArrayLike<number>, width: number): number[] {
  const out: number[] = [];
  for (let start = 0; start < data.length; start += width) {
    let best = 0;
    for (let j = 1; j < width; j++) if (data[start + j]! > data[start + best]!) best = j;
    out.push(best);
  }
  return out;
}

interface WeightsManifest {
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
}

/**
 * The iris-tfjs model's `probabilities` for `rows`, computed by hand in float64 from its
 * model.json weights (Dense 8 relu, then Dense 3 softmax): a reference that shares no code
 * with any TF.js backend the server may pick.
 */
export async function tfjsReferenceProbabilities(
  rows: readonly (readonly number[])[] = IRIS_ROWS,
): Promise<Float64Array> {
  const dir = path.join(EXAMPLE_MODELS, 'iris-tfjs', '1');
  const manifest = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')) as WeightsManifest;
  const weights = new Map<string, Float32Array>();
  for (const group of manifest.weightsManifest) {
    const bytes = Buffer.concat(await Promise.all(group.paths.map((p) => readFile(path.join(dir, p)))));
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.dtype !== 'float32') throw new Error(`unexpected dtype ${spec.dtype} for ${spec.name}`);
      const count = spec.shape.reduce((a, b) => a * b, 1);
      weights.set(
        spec.name,
        new Float32Array(
          bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + count * 4),
        ),
      );
      offset += count * 4;
    }
  }
  const dense = (x: readonly number[], kernel: string, bias: string): number[] => {
    const k = weights.get(kernel)!;
    const b = weights.get(bias)!;
    return Array.from(b, (bj, j) => x.reduce((sum, xi, i) => sum + xi * k[i * b.length + j]!, bj));
  };
  const out = new Float64Array(rows.length * 3);
  rows.forEach((row, r) => {
    const hidden = dense(
      row.map((v) => Math.fround(v)),
      'hidden/kernel',
      'hidden/bias',
    ).map((v) => Math.max(0, v));
    const logits = dense(hidden, 'probabilities/kernel', 'probabilities/bias');
    const max = Math.max(...logits);
    const exp = logits.map((v) => Math.exp(v - max));
    const total = exp.reduce((a, b) => a + b, 0);
    exp.forEach((v, j) => {
      out[r * 3 + j] = v / total;
    });
  });
  return out;
}
