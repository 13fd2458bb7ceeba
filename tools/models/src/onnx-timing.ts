import * as ort from 'onnxruntime-node';

/** How {@link timeOnnxModel} samples; defaults suit a model of a few milliseconds. */
export interface OnnxTimingOptions {
  /** Batch sizes to time, each filling the model's first (batch) dimension. */
  readonly batchSizes: readonly number[];
  /** Runs discarded first per batch size (allocator and thread-pool warm-up). */
  readonly warmupRuns?: number;
  /** Runs timed per batch size, at least. */
  readonly minRuns?: number;
  /** Keep timing a batch size until this much time has passed, so fast models get many samples. */
  readonly minDurationMs?: number;
}

/** The cost of one batch size: the median run, since a shared machine adds outliers. */
export interface BatchTiming {
  readonly batchSize: number;
  readonly runs: number;
  readonly medianMsPerRun: number;
  readonly medianMsPerRow: number;
}

const DEFAULT_WARMUP_RUNS = 5;
const DEFAULT_MIN_RUNS = 10;
const DEFAULT_MIN_DURATION_MS = 1000;

/**
 * Times a single-input FP32 ONNX model in onnxruntime-node with default session options (as
 * the model-server creates it), feeding a deterministic input of each batch size.
 *
 * @throws Error when the model has more than one input or a non-float32 input.
 */
export async function timeOnnxModel(modelPath: string, options: OnnxTimingOptions): Promise<BatchTiming[]> {
  const session = await ort.InferenceSession.create(modelPath);
  try {
    const [meta, ...others] = session.inputMetadata;
    if (meta === undefined || others.length > 0 || !meta.isTensor || meta.type !== 'float32') {
      throw new Error(`${modelPath}: timing needs exactly one float32 input`);
    }
    const rowShape = meta.shape.slice(1).map((dim) => {
      if (typeof dim !== 'number' || dim < 0)
        throw new Error(`${modelPath}: input "${meta.name}": only the batch dimension may vary`);
      return dim;
    });
    const rowSize = rowShape.reduce((a, b) => a * b, 1);
    const timings: BatchTiming[] = [];
    for (const batchSize of options.batchSizes) {
      const data = new Float32Array(batchSize * rowSize).map((_, i) => Math.sin(i));
      const feeds = { [meta.name]: new ort.Tensor('float32', data, [batchSize, ...rowShape]) };
      for (let i = 0; i < (options.warmupRuns ?? DEFAULT_WARMUP_RUNS); i++) await session.run(feeds);
      const samples: number[] = [];
      const started = performance.now();
      while (
        samples.length < (options.minRuns ?? DEFAULT_MIN_RUNS) ||
        performance.now() - started < (options.minDurationMs ?? DEFAULT_MIN_DURATION_MS)
      ) {
        const t0 = performance.now();
        await session.run(feeds);
        samples.push(performance.now() - t0);
      }
      samples.sort((a, b) => a - b);
      const median = samples[Math.floor(samples.length / 2)]!;
      timings.push({
        batchSize,
        runs: samples.length,
        medianMsPerRun: median,
        medianMsPerRow: median / batchSize,
      });
    }
    return timings;
  } finally {
    await session.release();
  }
}
