/**
 * `infer --batch-size N`: a big input (a CSV of thousands of rows) sent as several
 * requests of at most N rows each, one after the other, with a progress bar over the rows;
 * the outputs are concatenated back in order, and each request's parameters (its trace id)
 * kept. Plain TypeScript: the command passes the call in.
 */
import { concatBatch, type ParameterRecord, splitBatch, type Tensor } from '@sightline/tensor';
import type { ProgressBar } from '../frame/progress.js';
import { UsageError } from '../frame/usage-error.js';
import type { InferAnswer } from './infer-view.js';

/** One request's share of a batched run. */
export interface BatchAnswer {
  /** The rows it carried. */
  readonly rows: number;
  /** Its answer's parameters (through the router: its own trace id). */
  readonly parameters: ParameterRecord;
}

/**
 * The row counts of each request: the inputs' shared first dimension cut into pieces of at
 * most `batchSize`.
 *
 * @throws UsageError when an input has no rows dimension or the inputs' row counts differ.
 */
export function batchRowCounts(tensors: readonly Tensor[], batchSize: number): number[] {
  const rows = tensors[0]?.shape[0];
  for (const tensor of tensors) {
    if (tensor.shape.length === 0)
      throw new UsageError(
        `--batch-size: input ${JSON.stringify(tensor.name)} is a scalar, with no rows to split`,
      );
    if (tensor.shape[0] !== rows) {
      throw new UsageError(
        `--batch-size: inputs have different row counts (${JSON.stringify(tensors[0]!.name)} ${rows}, ${JSON.stringify(tensor.name)} ${tensor.shape[0]})`,
      );
    }
  }
  const counts: number[] = [];
  for (let left = rows ?? 0; left > 0; left -= batchSize) counts.push(Math.min(batchSize, left));
  return counts;
}

/**
 * Runs the inputs in requests of at most `batchSize` rows and merges the answers: outputs
 * concatenated along their first dimension, the first request's model, version, id and
 * parameters on top, every request's rows and parameters in `batches`.
 */
export async function inferInBatches(
  tensors: readonly Tensor[],
  batchSize: number,
  runOne: (inputs: Tensor[]) => Promise<InferAnswer>,
  bar: ProgressBar,
): Promise<InferAnswer & { readonly batches: BatchAnswer[] }> {
  const counts = batchRowCounts(tensors, batchSize);
  const pieces = tensors.map((tensor) => splitBatch(tensor, counts));
  const answers: InferAnswer[] = [];
  for (let i = 0; i < counts.length; i += 1) {
    answers.push(await runOne(pieces.map((split) => split[i]!)));
    bar.increment(counts[i]!);
  }
  const first = answers[0]!;
  const outputs = first.outputs.map((output) =>
    concatBatch(
      answers.map((answer) => {
        const piece = answer.outputs.find((candidate) => candidate.name === output.name);
        if (piece === undefined)
          throw new Error(`output ${JSON.stringify(output.name)} is missing from a batch's answer`);
        return piece;
      }),
    ),
  );
  return {
    ...first,
    outputs,
    batches: answers.map((answer, i) => ({ rows: counts[i]!, parameters: answer.parameters })),
  };
}
