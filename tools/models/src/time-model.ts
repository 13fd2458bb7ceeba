#!/usr/bin/env node
/**
 * Prints how long one run of an ONNX model takes per batch size, to size the example models:
 *
 *   node tools/models/dist/time-model.js examples/models/convnet/1/model.onnx [--batch 1,16,64]
 */
import { parseArgs } from 'node:util';
import { timeOnnxModel } from './onnx-timing.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { batch: { type: 'string', default: '1,16,64' } },
  });
  const [model] = positionals;
  if (model === undefined) throw new Error('usage: time-model.js <model.onnx> [--batch 1,16,64]');
  const batchSizes = values.batch.split(',').map(Number);
  if (batchSizes.some((size) => !Number.isInteger(size) || size < 1)) {
    throw new Error(`--batch: expected positive integers separated by commas, got "${values.batch}"`);
  }
  const timings = await timeOnnxModel(model, { batchSizes });
  const single = timings.find((timing) => timing.batchSize === 1);
  for (const t of timings) {
    const speedup =
      single === undefined
        ? ''
        : `  ${(single.medianMsPerRow / t.medianMsPerRow).toFixed(1)}x per row vs batch 1`;
    process.stdout.write(
      `batch ${String(t.batchSize).padStart(3)}: ${t.medianMsPerRun.toFixed(3)} ms/run, ${t.medianMsPerRow.toFixed(3)} ms/row (median of ${t.runs})${speedup}\n`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
