import type { InferenceSession } from 'onnxruntime-node';

/** A model's single FP32 input and its first output, with variable dimensions resolved. */
export interface ModelSignature {
  readonly inputName: string;
  /** The input's shape for a request of `batch` rows: the first (batch) dim set, others fixed. */
  readonly inputShape: readonly number[];
  readonly outputName: string;
  /** The first output's shape for the same request. */
  readonly outputShape: readonly number[];
}

/**
 * Reads the input and output shapes a request of `batch` rows has from a loaded session's
 * metadata: the leading dimension (symbolic or -1) becomes `batch`; any other variable
 * dimension is refused, since the benchmark cannot guess it.
 */
export function signatureOf(session: InferenceSession, batch: number): ModelSignature {
  const input = session.inputMetadata[0];
  const output = session.outputMetadata[0];
  if (!input?.isTensor || !output?.isTensor)
    throw new Error('model: expected a tensor input and a tensor output');
  if (input.type !== 'float32') throw new Error(`input "${input.name}": expected float32, got ${input.type}`);
  return {
    inputName: input.name,
    inputShape: resolveShape(input.name, input.shape, batch),
    outputName: output.name,
    outputShape: resolveShape(output.name, output.shape, batch),
  };
}

/** Resolves a metadata shape for `batch` rows (exported for tests). */
export function resolveShape(name: string, shape: ReadonlyArray<number | string>, batch: number): number[] {
  if (shape.length === 0) throw new Error(`tensor "${name}": the model declares no shape`);
  return shape.map((dim, axis) => {
    if (axis === 0) return batch;
    if (typeof dim === 'number' && dim > 0) return dim;
    throw new Error(
      `tensor "${name}": dimension ${axis} is variable (${dim}); only the batch dimension may be`,
    );
  });
}

/** Deterministic input values in [0, 1): the same bytes in every run and every setup. */
export function sampleInput(shape: readonly number[]): Float32Array {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 1000) / 1000;
  return data;
}
